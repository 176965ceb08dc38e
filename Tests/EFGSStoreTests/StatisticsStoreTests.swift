// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import XCTest

/// Retention and statistics (PROTOCOL.md §7.7).
final class StatisticsStoreTests: StoreTestCase {
    func testRetentionDeletesInChunksAndKeepsTags() async throws {
        try await store.migrate()
        var old = uploadRecord(25, tag: "old")
        old.acceptedAt -= 5 * 86_400_000
        _ = try await store.storeUpload(old, keys: randomKeys(25))
        _ = try await store.storeUpload(uploadRecord(4, tag: "new"), keys: randomKeys(4))
        let r = try await store.purgeKeys(acceptedBefore: UTCTimestamp.millis(Date()) - 3 * 86_400_000, chunkSize: 10)
        XCTAssertEqual(r.keysDeleted, 25)
        XCTAssertEqual(r.keysBefore, 29)
        XCTAssertEqual(r.keysAfter, 4)
        try await assertEq(
            try await store.isUploadTagReserved(country: "DE", tag: "old"), true, "tag reservation survives retention")
    }

    /// Uploads and downloads show as the countries' last activity.
    func testCountryActivity() async throws {
        let old = UTCTimestamp.millis(Date()) - 1000
        _ = try await store.storeUpload(uploadRecord(1, tag: "a", acceptedAt: old), keys: randomKeys(1))
        _ = try await store.storeUpload(uploadRecord(1, tag: "b", acceptedAt: old + 10), keys: randomKeys(1))
        try await store.recordDownloadStatistic(time: old + 20, country: "FR", batchTag: "20260101-1", keyCount: 2)
        let activity = try await store.countryActivity()
        XCTAssertEqual(activity.map(\.country), ["DE", "FR"])
        XCTAssertEqual(activity.map(\.lastUpload), [old + 10, nil])
        XCTAssertEqual(activity.map(\.lastDownload), [nil, old + 20])
    }

    /// Statistics, callback tasks and download batches older than the cutoff go — never the newest batch.
    func testStatisticsRetentionKeepsTheNewestBatch() async throws {
        try await store.upsertCallbackSubscription(country: "FR", callbackId: "c", url: "https://fr.example/", now: 0)
        let long = Date(timeIntervalSinceNow: -100 * 86_400)
        let first = try await store.uploadAndBatch(tag: "a", now: long)
        let second = try await store.uploadAndBatch(tag: "b", now: long.addingTimeInterval(60))
        try await store.recordDownloadStatistic(
            time: UTCTimestamp.millis(long), country: "FR", batchTag: first.tag, keyCount: 1)
        try await assertEq(try await store.pendingCallbackTaskCount(), 2)
        let cutoff = UTCTimestamp.millis(Date()) - 90 * 86_400_000
        // 2 tasks, 1 download statistic, the first batch; upload statistics are recent (stored now)
        try await assertEq(try await store.purgeStatistics(before: cutoff), 4)
        try await assertEq(try await store.pendingCallbackTaskCount(), 0)
        try await assertEq(try await store.downloadBatch(tag: first.tag), nil)
        try await assertEq(try await store.downloadBatch(tag: second.tag)?.tag, second.tag, "the newest batch stays")
        try await assertEq(try await store.purgeStatistics(before: cutoff), 0)
    }
}
