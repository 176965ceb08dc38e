// SPDX-License-Identifier: EUPL-1.2

/// Retention and statistics (PROTOCOL.md §7.7), and the per-country activity operators see.
public protocol StatisticsStore: Sendable {
    /// Deletes the upload batches past `cutoffs` (``KeyRetentionCutoffs``: the download batch older than the
    /// retention period, or the legal limit) with their keys, signature and certificate snapshots; tag reservations
    /// and statistics stay. Whole upload batches only, in acceptance order: each transaction deletes as many whole
    /// upload batches as fit in `chunkSize` keys, and an upload batch of more keys alone — an upload batch is never
    /// deleted partially. Records and returns the cleanup statistic.
    func purgeKeys(_ cutoffs: KeyRetentionCutoffs, chunkSize: Int) async throws -> CleanupResult
    /// Deletes statistics, callback tasks and download batches (never the newest) older than `cutoff`; returns
    /// how many rows.
    func purgeStatistics(before cutoff: Int64) async throws -> Int
    /// Records successful downloads (time, country, batch tag, keys delivered), all in one transaction.
    func recordDownloadStatistics(_ downloads: [DownloadStatistic]) async throws
    /// Last upload and download per country, by country.
    func countryActivity() async throws -> [CountryActivity]
    /// Keys stored now.
    func storedKeyCount() async throws -> Int
    /// Keys stored, unbatched keys and the oldest unbatched upload, and the database size: cheap enough for every
    /// metrics scrape (no scan of the key table).
    func storeFigures() async throws -> StoreFigures
}

extension StatisticsStore {
    /// Records one successful download (time, country, batch tag, keys delivered).
    public func recordDownloadStatistic(time: Int64, country: String, batchTag: String, keyCount: Int) async throws {
        try await recordDownloadStatistics(
            [DownloadStatistic(time: time, country: country, batchTag: batchTag, keyCount: keyCount)])
    }
}
