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
        try await injectFault(f, position: 15)
        do {
            try await f.services.keyRetention.run()
            XCTFail("the injected fault stops the purge")
        } catch {}
        try await assertEq(
            try await keysPerUpload(f), ["big": 25, "small-1": 4, "small-2": 4], "no upload batch is partly deleted")
        try await removeFault(f)
        let result = try await f.services.keyRetention.run()
        XCTAssertEqual(result.keysDeleted, 33)
        try await assertEq(try await keysPerUpload(f), [:])
    }

    /// Makes the deletion of the key at `position` fail (a trigger raising an error).
    func injectFault(_ f: Fixture, position: Int) async throws {
        let statements: [SQLQueryString] =
            TestDatabase.postgresURL != nil
            ? [
                """
                CREATE FUNCTION fail_purge() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN IF OLD.position = \(literal: position) THEN RAISE EXCEPTION 'injected fault'; END IF;
                RETURN OLD; END $$
                """,
                "CREATE TRIGGER fail_purge BEFORE DELETE ON diagnosis_keys FOR EACH ROW EXECUTE FUNCTION fail_purge()",
            ]
            : [
                """
                CREATE TRIGGER fail_purge BEFORE DELETE ON diagnosis_keys WHEN OLD.position = \(literal: position)
                BEGIN SELECT RAISE(ABORT, 'injected fault'); END
                """
            ]
        for sql in statements {
            try await f.store.backend.transaction { db in try await db.raw(sql).run() }
        }
    }

    /// Removes the trigger of ``injectFault(_:position:)``.
    func removeFault(_ f: Fixture) async throws {
        let sql: SQLQueryString =
            TestDatabase.postgresURL != nil ? "DROP TRIGGER fail_purge ON diagnosis_keys" : "DROP TRIGGER fail_purge"
        try await f.store.backend.transaction { db in try await db.raw(sql).run() }
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
