// SPDX-License-Identifier: EUPL-1.2

/// Reads of the statistics of PROTOCOL.md §7.7 for the operator's reports and console: usage per country and day,
/// the recorded retention runs, and what is held now.
public protocol ReportStore: Sendable {
    /// Uploads and downloads per country and UTC day with a statistic time in `[fromMillis, toMillis)`, of `country`
    /// only when given; sorted by day, then country. A country and day without traffic has no entry.
    func usage(fromMillis: Int64, toMillis: Int64, country: String?) async throws -> [UsageDay]
    /// The key-retention runs recorded in `[fromMillis, toMillis)`, oldest first.
    func cleanupRuns(fromMillis: Int64, toMillis: Int64) async throws -> [CleanupRun]
    /// The keys and upload batches stored now and the acceptance time of the oldest.
    func heldKeys() async throws -> HeldKeys
    /// Each country's longest time between two consecutive uploads accepted since `sinceMillis`, in milliseconds,
    /// for the countries with at least three such uploads: its usual cadence, nights and weekends included (what
    /// "silent for longer than usual" is measured against).
    func longestUploadGaps(sinceMillis: Int64) async throws -> [String: Int64]
    /// The download batches created in `[createdFromMillis, toMillis)`, quarantined ones included, in creation
    /// order, at most `limit`.
    func downloadBatches(createdFromMillis: Int64, toMillis: Int64, limit: Int) async throws -> [DownloadBatchRecord]
}
