// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import XCTest

/// The statistics of PROTOCOL.md §7.7 read back for the operator's reports (``ReportStore``).
final class ReportStoreTests: StoreTestCase {
    /// Usage is grouped by UTC day and country from the upload and download statistics, limited to the period
    /// (half-open) and to one country when asked; a day boundary splits the figures.
    func testUsageByDayAndCountry() async throws {
        let day = UTCDay(iso: "2026-11-20")!.startMillis
        _ = try await store.storeUpload(uploadRecord(5, tag: "a", acceptedAt: day + 1000), keys: randomKeys(5))
        _ = try await store.storeUpload(uploadRecord(7, tag: "b", acceptedAt: day + 86_399_999), keys: randomKeys(7))
        _ = try await store.storeUpload(
            uploadRecord(3, tag: "c", country: "FR", acceptedAt: day + 86_400_000), keys: randomKeys(3))
        // outside the period
        _ = try await store.storeUpload(uploadRecord(9, tag: "d", acceptedAt: day - 1), keys: randomKeys(9))
        try await store.recordDownloadStatistics([
            DownloadStatistic(time: day + 5000, country: "FR", batchTag: "20261120-1", keyCount: 12),
            DownloadStatistic(time: day + 6000, country: "FR", batchTag: "20261120-1", keyCount: 0),
            DownloadStatistic(time: day + 86_400_001, country: "DE", batchTag: "20261121-1", keyCount: 3),
        ])
        let period = (from: day, to: day + 2 * 86_400_000)
        let usage = try await store.usage(fromMillis: period.from, toMillis: period.to, country: nil)
        let epochDay = day / 86_400_000
        XCTAssertEqual(
            usage,
            [
                UsageDay(epochDay: epochDay, country: "DE", uploads: 2, keysUploaded: 12),
                UsageDay(epochDay: epochDay, country: "FR", downloads: 2, keysDownloaded: 12),
                UsageDay(epochDay: epochDay + 1, country: "DE", downloads: 1, keysDownloaded: 3),
                UsageDay(epochDay: epochDay + 1, country: "FR", uploads: 1, keysUploaded: 3),
            ])
        let fr = try await store.usage(fromMillis: period.from, toMillis: period.to, country: "FR")
        XCTAssertEqual(fr.map(\.country), ["FR", "FR"])
        let firstDay = try await store.usage(fromMillis: period.from, toMillis: day + 86_400_000, country: nil)
        XCTAssertEqual(firstDay.map(\.epochDay), [epochDay, epochDay], "the end of the period is excluded")
    }

    /// The recorded retention runs of a period, and what is held now with its oldest acceptance.
    func testCleanupRunsAndHeldKeys() async throws {
        try await assertEq(try await store.heldKeys(), HeldKeys(keys: 0, uploadBatches: 0, oldestAcceptedAt: nil))
        let now = UTCTimestamp.millis(Date())
        _ = try await store.storeUpload(
            uploadRecord(4, tag: "old", acceptedAt: now - 20 * 86_400_000), keys: randomKeys(4))
        _ = try await store.storeUpload(uploadRecord(6, tag: "new", acceptedAt: now - 1000), keys: randomKeys(6))
        try await assertEq(
            try await store.heldKeys(), HeldKeys(keys: 10, uploadBatches: 2, oldestAcceptedAt: now - 20 * 86_400_000))
        let result = try await store.purgeKeys(
            KeyRetentionCutoffs(batchedBefore: now - 3 * 86_400_000, acceptedBefore: now - 14 * 86_400_000),
            chunkSize: 100)
        XCTAssertEqual(result.keysDeleted, 4)
        let runs = try await store.cleanupRuns(fromMillis: now - 60_000, toMillis: now + 3_600_000)
        XCTAssertEqual(runs.count, 1)
        XCTAssertEqual(runs.first?.keysDeleted, 4)
        XCTAssertEqual(runs.first?.keysBefore, 10)
        XCTAssertEqual(runs.first?.keysAfter, 6)
        XCTAssertEqual(runs.first?.cutoff, now - 3 * 86_400_000)
        XCTAssertEqual(runs.first?.oldestKept, now - 1000, "the oldest upload the run left")
        try await assertEq(try await store.cleanupRuns(fromMillis: 0, toMillis: now - 60_000), [])
        try await assertEq(
            try await store.heldKeys(), HeldKeys(keys: 6, uploadBatches: 1, oldestAcceptedAt: now - 1000))
    }

    /// A country's usual cadence is its longest gap between consecutive uploads since the cut-off, with three
    /// uploads or more.
    func testLongestUploadGaps() async throws {
        let start = UTCTimestamp.millis(Date()) - 10 * 3_600_000
        let hour: Int64 = 3_600_000
        for (i, offset) in [0, 1, 2, 4].enumerated() {
            _ = try await store.storeUpload(
                uploadRecord(1, tag: "de-\(i)", acceptedAt: start + Int64(offset) * hour), keys: randomKeys(1))
        }
        for i in 0..<2 {
            _ = try await store.storeUpload(
                uploadRecord(1, tag: "fr-\(i)", country: "FR", acceptedAt: start + Int64(i) * hour), keys: randomKeys(1)
            )
        }
        // an old DE upload before the cut-off does not count
        _ = try await store.storeUpload(
            uploadRecord(1, tag: "de-old", acceptedAt: start - 100 * hour), keys: randomKeys(1))
        try await assertEq(try await store.longestUploadGaps(sinceMillis: start - hour), ["DE": 2 * hour])
        try await assertEq(try await store.longestUploadGaps(sinceMillis: start + hour), ["DE": 2 * hour])
        try await assertEq(try await store.longestUploadGaps(sinceMillis: start + 2 * hour), [:], "two uploads: none")
        // the day's download batches, in creation order
        try await assertEq(try await store.downloadBatches(createdFromMillis: 0, toMillis: start, limit: 10), [])
    }
}
