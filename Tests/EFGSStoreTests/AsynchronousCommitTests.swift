// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSTestSupport
import SQLKit
import Synchronization
import XCTest

@testable import EFGSStore

/// Download statistics commit without waiting for a disk sync (§7.7: a statistic acknowledges nothing), every other
/// transaction with it (an upload's 201 is on disk before it is sent).
final class AsynchronousCommitTests: StoreTestCase {
    /// Counts the transactions of each kind it passes on to the store's backend.
    final class CountingBackend: SQLBackend {
        let backend: any SQLBackend
        let counts = Mutex((durable: 0, asynchronous: 0))
        init(_ backend: any SQLBackend) { self.backend = backend }
        var dialect: SQLStoreDialect { backend.dialect }
        func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
        {
            counts.withLock { $0.durable += 1 }
            return try await backend.transaction(body)
        }
        func transactionWithAsynchronousCommit<T: Sendable>(
            _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
        ) async throws -> T {
            counts.withLock { $0.asynchronous += 1 }
            return try await backend.transactionWithAsynchronousCommit(body)
        }
        func runWithAsynchronousCommit(_ statement: SQLQueryString) async throws {
            counts.withLock { $0.asynchronous += 1 }
            try await backend.runWithAsynchronousCommit(statement)
        }
        func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
            try await backend.read(body)
        }
        func isConflict(_ error: any Error) -> Bool { backend.isConflict(error) }
        var connectionBusyTime: Duration { backend.connectionBusyTime }
        func close() async throws {}
        func insertKeys(_ keys: UploadKeys, uploadBatchId: Int64, db: any SQLDatabase) async throws {
            try await backend.insertKeys(keys, uploadBatchId: uploadBatchId, db: db)
        }
        func fetchKeys(batchTag: String, excludingCountry: String) async throws -> [StoredKey] {
            try await backend.fetchKeys(batchTag: batchTag, excludingCountry: excludingCountry)
        }
    }

    func testDownloadStatisticsAloneCommitAsynchronously() async throws {
        try await store.migrate()
        let counting = CountingBackend(store.backend)
        let observed = SQLGatewayStore(backend: counting)
        _ = try await observed.storeUpload(uploadRecord(3, tag: "t1"), keys: randomKeys(3))
        XCTAssertEqual(counting.counts.withLock { $0.asynchronous }, 0, "an upload waits for its sync")
        let durable = counting.counts.withLock { $0.durable }
        XCTAssertGreaterThan(durable, 0)
        try await observed.recordDownloadStatistics([
            DownloadStatistic(time: 1, country: "FR", batchTag: "20261202-1", keyCount: 3),
            DownloadStatistic(time: 2, country: "NL", batchTag: "20261202-1", keyCount: 3),
        ])
        XCTAssertEqual(counting.counts.withLock { $0.asynchronous }, 1, "one asynchronous commit")
        XCTAssertEqual(counting.counts.withLock { $0.durable }, durable)
        try await assertEq(try await statisticsRows(), 2, "committed")
        // a group too large for one statement goes in one transaction, all of it
        let many = (0..<9000).map { DownloadStatistic(time: 10 + Int64($0), country: "BE", batchTag: "t", keyCount: 1) }
        try await observed.recordDownloadStatistics(many)
        XCTAssertEqual(counting.counts.withLock { $0.asynchronous }, 2, "one asynchronous commit for two statements")
        try await assertEq(try await statisticsRows(), 9002, "committed")
    }

    /// A statement run alone with an asynchronous commit (SQLite: in autocommit) is all or nothing: a multi-row
    /// INSERT whose second row breaks a constraint leaves no row.
    func testAStatementRunAloneIsAtomic() async throws {
        try await store.migrate()
        do {
            try await store.backend.runWithAsynchronousCommit(
                """
                INSERT INTO statistics_downloads (time, country, batch_tag, key_count)
                VALUES (1, 'FR', 't', 1), (2, NULL, 't', 1)
                """)
            XCTFail("the NULL country is refused")
        } catch {}
        try await assertEq(try await statisticsRows(), 0, "nothing of the statement")
        try await store.backend.runWithAsynchronousCommit(
            "INSERT INTO statistics_downloads (time, country, batch_tag, key_count) VALUES (1, 'FR', 't', 1)")
        try await assertEq(try await statisticsRows(), 1, "committed")
    }

    /// The setting that makes a commit wait for its sync is off for the asynchronous commits only, and on in every
    /// durable transaction after one, also when its body failed: SQLite `synchronous` 1 (NORMAL) in the
    /// asynchronous commit and until the next durable transaction begins, 2 (FULL) in that; PostgreSQL
    /// `synchronous_commit` off inside, on outside.
    func testOnlyTheAsynchronousCommitSkipsTheSync() async throws {
        let backend = store.backend
        let postgres = onPostgres
        @Sendable func setting(_ db: any SQLDatabase) async throws -> String {
            if postgres {
                return try await db.raw("SHOW synchronous_commit").first()!.decode(
                    column: "synchronous_commit", as: String.self)
            }
            return String(try await db.raw("PRAGMA synchronous").first()!.decode(column: "synchronous", as: Int.self))
        }
        let (waits, skips) = postgres ? ("on", "off") : ("2", "1")
        try await assertEq(try await backend.transactionWithAsynchronousCommit { try await setting($0) }, skips)
        try await assertEq(try await backend.transaction { try await setting($0) }, waits)
        // the connection of the commit, outside any transaction: on SQLite NORMAL stays set after an asynchronous
        // commit (a run of them switches nothing) and FULL after a durable one; on PostgreSQL `SET LOCAL` ended with
        // the transaction on every pooled connection
        if let sqlite = backend as? SQLiteBackend {
            let db = sqlite.connection.sql()
            try await assertEq(try await sqlite.exclusive { try await setting(db) }, waits, "FULL after a durable one")
            try await sqlite.runWithAsynchronousCommit("CREATE TABLE t (x INTEGER)")
            try await assertEq(try await sqlite.exclusive { try await setting(db) }, skips, "NORMAL for the statement")
            _ = try await backend.transactionWithAsynchronousCommit { try await setting($0) }
            try await assertEq(try await sqlite.exclusive { try await setting(db) }, skips, "NORMAL until durable")
            try await assertEq(try await backend.transaction { try await setting($0) }, waits, "FULL before BEGIN")
            try await assertEq(try await sqlite.exclusive { try await setting(db) }, waits)
        } else {
            try await assertEq(try await backend.read { try await setting($0) }, waits)
        }
        struct Refused: Error {}
        do {
            _ = try await backend.transactionWithAsynchronousCommit { db -> Int in
                let inside = try await setting(db)
                XCTAssertEqual(inside, skips)
                throw Refused()
            }
            XCTFail("the body's error is the transaction's")
        } catch is Refused {}
        try await assertEq(try await backend.transaction { try await setting($0) }, waits, "set again after a failure")
    }

    func statisticsRows() async throws -> Int {
        try await store.backend.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM statistics_downloads").first()!.decode(
                column: "n", as: Int.self)
        }
    }
}
