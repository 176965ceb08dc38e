// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import SQLKit
import XCTest

@testable import EFGSGateway
@testable import EFGSStore

/// Key retention (PROTOCOL.md §7.7, `KeyRetentionJob`): whole upload batches only, never before their download batch
/// existed for the retention period, and never-batched keys at the 14-day legal limit with a WARN event. Runs on
/// SQLite, and on PostgreSQL when `EFGS_TEST_POSTGRES_URL` is set.
final class KeyRetentionTests: XCTestCase {
    static let day: TimeInterval = 86_400

    /// Stores an upload of `n` keys (country DE, upload tag `tag`) accepted `daysAgo` days ago.
    func storeUpload(_ f: Fixture, _ n: Int, tag: String, daysAgo: Double) async throws {
        let record = UploadBatchRecord(
            country: "DE", uploadTag: tag, acceptedAt: UTCTimestamp.millis(Date()) - Int64(daysAgo * 86_400_000),
            keyCount: n, format: .protobuf, batchSignature: "sig", authThumbprint: "a", authPEM: "p",
            authOperatorSignature: "o", signerThumbprint: "s", signerPEM: "p", signerOperatorSignature: "o")
        let keys = (0..<n).map { i in
            StoredKey(position: i, dedupMAC: (0..<32).map { _ in UInt8.random(in: 0...255) }, sealedPayload: [1])
        }
        guard case .stored = try await f.store.storeUpload(record, keys: keys) else {
            return XCTFail("upload \(tag) not stored")
        }
    }

    /// Batches every unbatched upload batch into download batches created `daysAgo` days ago.
    func batchAll(_ f: Fixture, daysAgo: Double) async throws {
        let at = Date(timeIntervalSinceNow: -daysAgo * Self.day)
        while try await f.store.createDownloadBatch(now: at, docLimit: 5000) != nil {}
    }

    /// The keys stored per upload tag.
    func keysPerUpload(_ f: Fixture) async throws -> [String: Int] {
        try await f.store.backend.read { db in
            var counts: [String: Int] = [:]
            for row in try await db.raw(
                """
                SELECT u.upload_tag, COUNT(k.id) AS n FROM upload_batches u
                LEFT JOIN diagnosis_keys k ON k.upload_batch_id = u.id GROUP BY u.upload_tag
                """
            ).all() {
                counts[try row.decode(column: "upload_tag", as: String.self)] = try row.decode(
                    column: "n", as: Int.self)
            }
            return counts
        }
    }

    /// Keys accepted long ago whose download batch is younger than `retention.keyRetentionDays` (3) stay: the
    /// countries have not had them for the retention period. Once the batch is older, they go.
    func testKeysStayUntilTheirDownloadBatchExistedForTheRetentionPeriod() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        try await storeUpload(f, 4, tag: "late", daysAgo: 6)
        try await batchAll(f, daysAgo: 1)
        try await storeUpload(f, 2, tag: "on-time", daysAgo: 5)
        try await batchAll(f, daysAgo: 4)
        let result = try await f.services.keyRetention.run()
        XCTAssertEqual(result.keysDeleted, 2)
        try await assertEq(try await keysPerUpload(f), ["late": 4], "the batch of a day ago keeps its keys")
        XCTAssertFalse(f.lines.contains { $0.contains("level=\"WARN\"") }, "nothing was deleted early")
    }

    /// Keys that were never batched (batching stopped) stay past the retention period; at the 14-day legal limit
    /// they go, whole upload batch by whole upload batch, each named in a WARN event.
    func testNeverBatchedKeysGoAtTheLegalLimitWithAWarning() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        try await storeUpload(f, 3, tag: "expired", daysAgo: 14.1)
        try await storeUpload(f, 5, tag: "waiting", daysAgo: 13.9)
        let result = try await f.services.keyRetention.run()
        XCTAssertEqual(result.keysDeleted, 3)
        try await assertEq(try await keysPerUpload(f), ["waiting": 5], "keys never batched wait for batching")
        let warnings = f.lines.filter { $0.contains("level=\"WARN\"") }
        XCTAssertEqual(warnings.count, 1, "\(warnings)")
        XCTAssertTrue(
            warnings.first?.hasSuffix(
                "class=\"CleanupService\", message=\"Deleted keys that were never batched\", country=\"DE\", "
                    + "batchTag=\"expired\", numKeys=\"3\"") ?? false,
            "\(warnings)")
        try await assertEq(
            try await f.store.isUploadTagReserved(country: "DE", tag: "expired"), true, "the tag reservation stays")
    }

    /// A purge that fails midway (a fault injected on one key's deletion, as a crash would) leaves every upload
    /// batch whole: the transactions delete whole upload batches, never a part of one, even when an upload batch
    /// holds more keys than `retention.chunkSize`.
    func testAFailingPurgeNeverLeavesAnUploadBatchPartlyDeleted() async throws {
        let f = try await Fixture { env in env["RETENTION_CHUNK_SIZE"] = "10" }
        addTeardownBlock { [store = f.store] in try await store.close() }
        try await storeUpload(f, 25, tag: "big", daysAgo: 6)
        try await storeUpload(f, 4, tag: "small-1", daysAgo: 6)
        try await storeUpload(f, 4, tag: "small-2", daysAgo: 6)
        try await batchAll(f, daysAgo: 5)
        try await execute(f, Self.purgeFault(position: 15).creation)
        do {
            try await f.services.keyRetention.run()
            XCTFail("the injected fault stops the purge")
        } catch {}
        try await assertEq(
            try await keysPerUpload(f), ["big": 25, "small-1": 4, "small-2": 4], "no upload batch is partly deleted")
        try await execute(f, Self.purgeFault(position: 15).removal)
        let result = try await f.services.keyRetention.run()
        XCTAssertEqual(result.keysDeleted, 33)
        try await assertEq(try await keysPerUpload(f), [:])
    }

    /// Makes the deletion of the key at `position` fail, as a database failing in the middle of a purge.
    static func purgeFault(position: Int) -> TestDatabase.InjectedFault {
        .init(
            "fail_purge", before: "DELETE", on: "diagnosis_keys", when: "OLD.position = \(position)",
            message: "injected fault")
    }

    /// Runs `statements` in `f`'s store.
    func execute(_ f: Fixture, _ statements: [String]) async throws {
        for sql in statements {
            try await f.store.backend.transaction { db in try await db.raw(SQLQueryString(sql)).run() }
        }
    }

    /// Many small upload batches are deleted in transactions of whole upload batches up to `retention.chunkSize`
    /// keys; the cleanup statistic counts them all.
    func testSmallUploadBatchesAreDeletedTogetherUpToTheChunkSize() async throws {
        let f = try await Fixture { env in env["RETENTION_CHUNK_SIZE"] = "7" }
        addTeardownBlock { [store = f.store] in try await store.close() }
        for i in 0..<12 { try await storeUpload(f, 3, tag: "u\(i)", daysAgo: 5) }
        try await batchAll(f, daysAgo: 4)
        let result = try await f.services.keyRetention.run()
        XCTAssertEqual(result.keysDeleted, 36)
        XCTAssertEqual(result.keysAfter, 0)
        try await assertEq(try await keysPerUpload(f), [:])
    }
}
