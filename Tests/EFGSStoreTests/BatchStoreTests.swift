// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import XCTest

/// Batching and the download chain (PROTOCOL.md §7.3).
final class BatchStoreTests: StoreTestCase {
    /// §7.3 example: docLimit 9 and upload batches of 5,5,5,5,3 keys give batches of 5,5,5,8; the chain is linked.
    func testBatchingExampleAndChain() async throws {
        try await assertEq(try await store.migrate(), [], "idempotent")
        try await assertEq(try await store.schemaVersion(), 4)
        for (i, n) in [5, 5, 5, 5, 3].enumerated() {
            guard case .stored = try await store.storeUpload(uploadRecord(n, tag: "t\(i)"), keys: randomKeys(n))
            else { return XCTFail() }
        }
        var batches: [DownloadBatchRecord] = []
        while let b = try await store.createDownloadBatch(now: Date(), docLimit: 9) { batches.append(b) }
        XCTAssertEqual(batches.map(\.keyCount), [5, 5, 5, 8])
        let day = UTCDay(Date()).compact
        XCTAssertEqual(batches.map(\.tag), (1...4).map { "\(day)-\($0)" })
        for (i, b) in batches.enumerated() {
            let stored = try await store.downloadBatch(tag: b.tag)
            XCTAssertEqual(stored?.nextTag, i + 1 < batches.count ? batches[i + 1].tag : nil)
        }
        try await assertEq(try await store.unbatchedKeyCount(), 0)
    }

    /// A format change starts a new batch: the first upload batch fixes the batch's format.
    func testFormatChangeStartsANewBatch() async throws {
        _ = try await store.storeUpload(uploadRecord(3, tag: "a"), keys: randomKeys(3))
        _ = try await store.storeUpload(uploadRecord(2, tag: "c", format: .json), keys: randomKeys(2))
        let first = try await store.createDownloadBatch(now: Date(), docLimit: 5000)
        XCTAssertEqual(first?.keyCount, 3)
        try await assertEq(try await store.createDownloadBatch(now: Date(), docLimit: 5000)?.format, .json)
    }

    /// The batch holds the unbatched keys; a run with nothing unbatched creates nothing; the first batch of a day
    /// is found by creation time.
    func testUnbatchedCountAndFirstBatchOfTheDay() async throws {
        try await assertEq(try await store.createDownloadBatch(now: Date(), docLimit: 10), nil)
        _ = try await store.storeUpload(uploadRecord(4, tag: "a"), keys: randomKeys(4))
        try await assertEq(try await store.unbatchedKeyCount(), 4)
        let now = Date()
        let batch = try await store.createDownloadBatch(now: now, docLimit: 10)
        try await assertEq(try await store.unbatchedKeyCount(), 0)
        try await assertEq(try await store.firstDownloadBatch(createdAtOrAfter: UTCDay(now).startMillis), batch)
        try await assertEq(try await store.firstDownloadBatch(createdAtOrAfter: UTCTimestamp.millis(now) + 1), nil)
    }

    /// `batching.docLimit` 70 000 with 70 000 one-key upload batches: one download batch of all of them, although
    /// assigning them binds more ids than PostgreSQL (65 535) or SQLite (32 766) take in one statement.
    func testADocLimitAboveTheBindLimitsBatchesEveryUploadBatch() async throws {
        let n = 70_000
        try await insertOneKeyUploadBatches(n, acceptedAt: UTCTimestamp.millis(Date()))
        try await assertEq(try await store.unbatchedKeyCount(), n)
        let batch = try await store.createDownloadBatch(now: Date(), docLimit: n)
        XCTAssertEqual(batch?.keyCount, n)
        try await assertEq(try await store.unbatchedKeyCount(), 0)
        try await assertEq(try await store.downloadKeys(batchTag: batch?.tag ?? "", excludingCountry: "FR").count, n)
    }
}
