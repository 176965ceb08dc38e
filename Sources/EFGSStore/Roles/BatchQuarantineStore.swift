// SPDX-License-Identifier: EUPL-1.2

/// Taking a download batch that cannot be served out of the chain, and putting it back (§7.3; the operator's
/// `efgs batch quarantine` / `release`). Nothing is deleted: the batch keeps its keys and its own link.
public protocol BatchQuarantineStore: Sendable {
    /// Marks `tag` quarantined and links its predecessor to its successor, in one transaction. False when there is
    /// no such batch or it is quarantined already.
    func quarantineDownloadBatch(tag: String, reason: String, at millis: Int64) async throws -> Bool
    /// Clears the quarantine of `tag` and links the nearest served batch before it to it again. False when there
    /// is no such quarantined batch.
    func releaseDownloadBatch(tag: String) async throws -> Bool
}
