// SPDX-License-Identifier: EUPL-1.2

/// How a download names its batch (PROTOCOL.md §5.4): by the `batchTag` header, or as the first batch created from a
/// moment on (the head of the requested day's chain, quarantined batches left out).
public enum DownloadBatchLookup: Hashable, Sendable {
    /// The batch tagged so (`yyyyMMdd-N`).
    case tag(String)
    /// The oldest unquarantined batch created at or after these epoch milliseconds.
    case firstCreated(atOrAfterMillis: Int64)
}
