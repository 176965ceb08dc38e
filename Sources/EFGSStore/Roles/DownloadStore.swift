// SPDX-License-Identifier: EUPL-1.2

/// Downloads (PROTOCOL.md §5.4) and audits (§5.5, §7.4): batches, their keys and their upload batches, for a
/// caller that never receives its own country's keys.
public protocol DownloadStore: Sendable {
    /// The download batch tagged `tag`, or nil.
    func downloadBatch(tag: String) async throws -> DownloadBatchRecord?
    /// The oldest download batch created at or after `millis` (epoch milliseconds) and not quarantined: the head of a
    /// day's chain.
    func firstDownloadBatch(createdAtOrAfter millis: Int64) async throws -> DownloadBatchRecord?
    /// The batch `lookup` names — as ``downloadBatch(tag:)`` or ``firstDownloadBatch(createdAtOrAfter:)`` — read on the
    /// calling thread without waiting, where the store can (SQLite: ``SQLiteDownloadBatchRows``), from a read that
    /// began after the call: the row, or no row for no such batch; nil: not read this way, ask those. By default nil.
    func downloadBatchNow(_ lookup: DownloadBatchLookup) -> [DownloadBatchRecord]?
    /// Sealed payloads and MACs of the batch's keys not uploaded by `excludingCountry` (`""`: every key), in download
    /// order (upload batch, then position).
    func downloadKeys(batchTag: String, excludingCountry: String) async throws -> [StoredKey]
    /// The countries whose upload batches the download batch tagged `batchTag` holds (the callers whose download of
    /// it leaves keys out), with the batch's `contentVersion` read in the same statement; nil for no such batch.
    func uploaderCountries(batchTag: String) async throws -> (contentVersion: Int, countries: Set<String>)?
    /// Upload batches of other countries in the batch whose keys are still stored, in download order (§7.4).
    func auditEntries(batchTag: String, excludingCountry: String) async throws -> [UploadBatchRecord]
}

extension DownloadStore {
    public func downloadBatchNow(_ lookup: DownloadBatchLookup) -> [DownloadBatchRecord]? { nil }

    /// The batch `lookup` names, through the usual read: ``downloadBatch(tag:)`` or
    /// ``firstDownloadBatch(createdAtOrAfter:)``.
    public func downloadBatch(_ lookup: DownloadBatchLookup) async throws -> DownloadBatchRecord? {
        switch lookup {
        case .tag(let tag): try await downloadBatch(tag: tag)
        case .firstCreated(let millis): try await firstDownloadBatch(createdAtOrAfter: millis)
        }
    }
}
