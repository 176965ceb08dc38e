// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

@testable import EFGSStore

/// Retention and statistics (PROTOCOL.md §7.7).
final class StatisticsStoreTests: StoreTestCase {
    /// The cutoffs of a run with `retention.keyRetentionDays` 3 and the 14-day legal limit.
    var cutoffs: KeyRetentionCutoffs {
        let now = UTCTimestamp.millis(Date())
        return KeyRetentionCutoffs(batchedBefore: now - 3 * 86_400_000, acceptedBefore: now - 14 * 86_400_000)
    }

    /// An upload batch larger than the chunk is deleted whole in one transaction; the tag reservation stays.
    func testRetentionDeletesWholeUploadBatchesAndKeepsTags() async throws {
        try await store.migrate()
        var old = uploadRecord(25, tag: "old")
        old.acceptedAt -= 5 * 86_400_000
        _ = try await store.storeUpload(old, keys: randomKeys(25))
        _ = try await store.createDownloadBatch(now: Date(timeIntervalSinceNow: -4 * 86_400), docLimit: 5000)
        _ = try await store.storeUpload(uploadRecord(4, tag: "new"), keys: randomKeys(4))
        let r = try await store.purgeKeys(cutoffs, chunkSize: 10)
        XCTAssertEqual(r.keysDeleted, 25)
        XCTAssertEqual(r.keysBefore, 29)
        XCTAssertEqual(r.keysAfter, 4)
        XCTAssertEqual(r.earlyDeleted, [])
        try await assertEq(
            try await store.isUploadTagReserved(country: "DE", tag: "old"), true, "tag reservation survives retention")
    }

    /// An upload batch goes when its download batch is older than the retention period, or at the legal limit
    /// (batched or not, reported as deleted early); otherwise it stays, however old its acceptance.
    func testRetentionCutoffs() async throws {
        let dayMillis: Int64 = 86_400_000
        let now = UTCTimestamp.millis(Date())
        func upload(_ n: Int, _ tag: String, daysAgo: Int64, batchedDaysAgo: Double?) async throws {
            _ = try await store.storeUpload(
                uploadRecord(n, tag: tag, acceptedAt: now - daysAgo * dayMillis), keys: randomKeys(n))
            if let batchedDaysAgo {
                _ = try await store.createDownloadBatch(
                    now: Date(timeIntervalSinceNow: -batchedDaysAgo * 86_400), docLimit: 5000)
            }
        }
        try await upload(1, "batched-long-ago", daysAgo: 6, batchedDaysAgo: 5)
        try await upload(2, "batched-late", daysAgo: 15, batchedDaysAgo: 1)
        try await upload(3, "batched-yesterday", daysAgo: 6, batchedDaysAgo: 1)
        try await upload(4, "never-batched-old", daysAgo: 15, batchedDaysAgo: nil)
        try await upload(5, "never-batched", daysAgo: 10, batchedDaysAgo: nil)
        let cutoffs = self.cutoffs
        let r = try await store.purgeKeys(cutoffs, chunkSize: 1000)
        XCTAssertEqual(r.keysDeleted, 1 + 2 + 4)
        XCTAssertEqual(r.keysAfter, 3 + 5)
        XCTAssertEqual(r.earlyDeleted.map(\.uploadTag), ["batched-late", "never-batched-old"])
        XCTAssertEqual(r.earlyDeleted.map(\.keyCount), [2, 4])
        XCTAssertEqual(r.earlyDeleted.map { $0.downloadBatchTag == nil }, [false, true])
        XCTAssertEqual(r.cutoff, cutoffs.batchedBefore)
        try await assertEq(try await store.purgeKeys(cutoffs, chunkSize: 1000).keysDeleted, 0)
    }

    /// Retention of more upload batches than one statement may bind: the deletions are chunked under every
    /// backend's bind-parameter limit.
    func testRetentionOfManyUploadBatchesInOneTransaction() async throws {
        let n = 40_000
        try await insertOneKeyUploadBatches(n, acceptedAt: UTCTimestamp.millis(Date()) - 20 * 86_400_000)
        let r = try await store.purgeKeys(cutoffs, chunkSize: 100_000)
        XCTAssertEqual(r.keysDeleted, n)
        XCTAssertEqual(r.earlyDeleted.count, n)
        try await assertEq(try await store.storedKeyCount(), 0)
    }

    /// On PostgreSQL, retention deleting an unbatched upload batch at the legal limit while a batching run assigns
    /// it to a new download batch, the batching transaction committing while retention waits for the upload
    /// batch's row: the new batch's content version goes up, so no download cache goes on serving the deleted
    /// keys. Before, the version was raised through a SELECT that ran before the wait and saw no batch.
    func testRetentionRacingABatchingRunRaisesTheNewBatchsContentVersion() async throws {
        try XCTSkipUnless(onPostgres, "a race of two PostgreSQL transactions (SQLite runs one at a time)")
        let now = UTCTimestamp.millis(Date())
        _ = try await store.storeUpload(
            uploadRecord(3, tag: "old", acceptedAt: now - 15 * 86_400_000), keys: randomKeys(3))
        let (store, cutoffs) = (self.store!, self.cutoffs)
        let day = UTCDay(epochMillis: now)
        let tag = BatchTag(day: day, number: 1).description
        let purge = try await store.backend.transaction { db in
            // the batching run's writes, not committed yet
            try await db.raw(
                """
                INSERT INTO download_batches (tag, tag_day, tag_number, created_at, next_tag, key_count, format)
                VALUES (\(bind: tag), \(bind: day.epochDay), 1, \(bind: now), NULL, 3, 'protobuf')
                """
            ).run()
            try await db.raw("UPDATE upload_batches SET download_batch_tag = \(bind: tag) WHERE upload_tag = 'old'")
                .run()
            let purge = Task { try await store.purgeKeys(cutoffs, chunkSize: 1000) }
            let waited = try await Self.sessionWaits(in: store, "wait_event_type", "Lock")
            XCTAssertTrue(waited, "retention waits for the upload batch being batched")
            return purge
        }
        let r = try await purge.value
        XCTAssertEqual(r.keysDeleted, 3)
        XCTAssertEqual(r.earlyDeleted.map(\.downloadBatchTag), [tag], "reported as batched (just now), not as never")
        try await assertEq(
            try await store.downloadBatch(tag: tag)?.contentVersion, 1, "the new batch lost keys: its version goes up")
    }

    /// On PostgreSQL, a retention chunk waits for a batching run in progress (one advisory lock serialises the two
    /// writers of upload batches; before, they interleaved under READ COMMITTED and could deadlock) and then deletes
    /// the upload batch that run batched, raising its new batch's content version.
    func testRetentionWaitsForABatchingRunInProgress() async throws {
        try XCTSkipUnless(onPostgres, "SQLite runs one transaction at a time")
        let now = UTCTimestamp.millis(Date())
        _ = try await store.storeUpload(
            uploadRecord(2, tag: "old", acceptedAt: now - 15 * 86_400_000), keys: randomKeys(2))
        let (store, cutoffs) = (self.store!, self.cutoffs)
        let day = UTCDay(epochMillis: now)
        let tag = BatchTag(day: day, number: 1).description
        let purge = try await store.backend.transaction { db in
            // a batching run that has taken its lock
            try await SQLGatewayStore.serialiseUploadBatchChanges(db, dialect: .postgres)
            let purge = Task { try await store.purgeKeys(cutoffs, chunkSize: 1000) }
            let waited = try await Self.sessionWaits(in: store, "wait_event", "advisory")
            XCTAssertTrue(waited, "retention waits for the batching run")
            // … and batches the upload batch while retention waits
            try await db.raw(
                """
                INSERT INTO download_batches (tag, tag_day, tag_number, created_at, next_tag, key_count, format)
                VALUES (\(bind: tag), \(bind: day.epochDay), 1, \(bind: now), NULL, 2, 'protobuf')
                """
            ).run()
            try await db.raw("UPDATE upload_batches SET download_batch_tag = \(bind: tag) WHERE upload_tag = 'old'")
                .run()
            return purge
        }
        let r = try await purge.value
        XCTAssertEqual(r.keysDeleted, 2)
        XCTAssertEqual(r.earlyDeleted.map(\.downloadBatchTag), [tag], "deleted as batched (just now)")
        try await assertEq(try await store.downloadBatch(tag: tag)?.contentVersion, 1)
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
