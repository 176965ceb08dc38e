// SPDX-License-Identifier: EUPL-1.2

/// Retention and statistics (PROTOCOL.md §7.7), and the per-country activity operators see.
public protocol StatisticsStore: Sendable {
    /// Deletes the keys of upload batches accepted before `cutoff`, at most `chunkSize` per transaction, then those
    /// upload-batch records; tag reservations and statistics stay. Records and returns the cleanup statistic.
    func purgeKeys(acceptedBefore cutoff: Int64, chunkSize: Int) async throws -> CleanupResult
    /// Deletes statistics, callback tasks and download batches (never the newest) older than `cutoff`; returns
    /// how many rows.
    func purgeStatistics(before cutoff: Int64) async throws -> Int
    /// Records one successful download (time, country, batch tag, keys delivered).
    func recordDownloadStatistic(time: Int64, country: String, batchTag: String, keyCount: Int) async throws
    /// Last upload and download per country, by country.
    func countryActivity() async throws -> [CountryActivity]
    /// Keys stored now.
    func storedKeyCount() async throws -> Int
}
