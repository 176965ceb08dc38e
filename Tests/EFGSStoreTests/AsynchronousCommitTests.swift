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
        func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
            try await backend.read(body)
        }
        func isUniqueViolation(_ error: any Error) -> Bool { backend.isUniqueViolation(error) }
        var connectionBusyTime: Duration { backend.connectionBusyTime }
        func close() async throws {}
        func insertKeys(_ keys: [StoredKey], uploadBatchId: Int64, db: any SQLDatabase) async throws {
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
    }

    /// The setting that makes a commit wait for its sync is off inside the asynchronous commit only, and on again
    /// after it, also when its body fails: SQLite `synchronous` 1 (NORMAL) inside, 2 (FULL) outside; PostgreSQL
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
        // the connection of the commit, outside any transaction (the next transaction would set FULL itself); on
        // PostgreSQL `SET LOCAL` ended with the transaction on every pooled connection
        if let sqlite = backend as? SQLiteBackend {
            let db = sqlite.connection.sql()
            try await assertEq(try await sqlite.exclusive { try await setting(db) }, waits, "FULL again at once")
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
