// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSTestSupport
import Foundation
import SQLKit
import XCTest

@testable import EFGSStore

/// Concurrent uploads share a commit on SQLite (``SQLBackend/transactionSharingCommit(_:)``, issue 14 part 3): each
/// in a savepoint of its own, answered only once the commit holding it returned. On PostgreSQL each has a transaction
/// of its own; the outcomes must be the same on both.
final class SharedCommitTests: StoreTestCase {
    struct BodyFailure: Error {}

    /// Uploads that wait for the writer while a first upload holds it are stored in one commit with it, and each
    /// still gets its own outcome: a tag two of them want goes to one (the other `tagExists`), a key two of them hold
    /// to one (the other `duplicates`), a failure while its keys are sealed to its own caller alone, with nothing of
    /// it stored.
    func testConcurrentUploadsKeepTheirOwnOutcomes() async throws {
        let keys = (0..<8).map { _ in randomKeys(3) }
        var sharing = randomKeys(3)
        sharing[2].dedupMAC = keys[2][1].dedupMAC
        let before = store.sharedCommits
        let store = self.store!
        // upload 0 holds the writer for 400 ms while its one chunk is "sealed"; the others queue behind it
        let first = Task {
            try await store.storeUpload(
                uploadRecord(3, tag: "t0"),
                keys: UploadKeys(count: 3, chunkCount: 1) { _ in
                    try await Task.sleep(for: .milliseconds(400))
                    return keys[0]
                })
        }
        try await Task.sleep(for: .milliseconds(100))
        let uploads: [(tag: String, keys: UploadKeys)] = [
            ("t1", UploadKeys(keys[1])), ("t2", UploadKeys(keys[2])), ("t3", UploadKeys(keys[3])),
            ("t4", UploadKeys(keys[4])), ("t1", UploadKeys(keys[5])), ("t6", UploadKeys(sharing)),
            ("t7", UploadKeys(count: 3, chunkCount: 1) { _ in throw BodyFailure() }),
        ]
        let outcomes = await withTaskGroup(of: (Int, Result<UploadStoreOutcome, any Error>).self) { group in
            for (i, upload) in uploads.enumerated() {
                group.addTask {
                    do {
                        let outcome = try await store.storeUpload(uploadRecord(3, tag: upload.tag), keys: upload.keys)
                        return (i + 1, .success(outcome))
                    } catch {
                        return (i + 1, .failure(error))
                    }
                }
            }
            var outcomes: [Int: Result<UploadStoreOutcome, any Error>] = [:]
            for await (i, outcome) in group { outcomes[i] = outcome }
            return outcomes
        }
        guard case .stored = try await first.value else { return XCTFail("the upload holding the writer") }
        func stored(_ i: Int) -> Bool {
            if case .success(.stored) = outcomes[i] { true } else { false }
        }
        for i in [3, 4] { XCTAssertTrue(stored(i), "upload \(i): \(String(describing: outcomes[i]))") }
        // one of the two wanting tag t1
        let tagWinner = stored(1) ? 1 : 5
        XCTAssertTrue(stored(tagWinner))
        guard case .success(.tagExists) = outcomes[6 - tagWinner] else {
            return XCTFail("the other upload of tag t1: \(String(describing: outcomes[6 - tagWinner]))")
        }
        // one of the two holding keys[2][1]: 207 names its position in the loser's request
        let keyWinner = stored(2) ? 2 : 6
        XCTAssertTrue(stored(keyWinner))
        guard case .success(.duplicates(let positions)) = outcomes[8 - keyWinner] else {
            return XCTFail("the other upload of a shared key: \(String(describing: outcomes[8 - keyWinner]))")
        }
        XCTAssertEqual(positions, keyWinner == 2 ? [2] : [1])
        guard case .failure(let error) = outcomes[7], error is BodyFailure else {
            return XCTFail("the upload whose sealing failed: \(String(describing: outcomes[7]))")
        }
        try await assertEq(try await store.isUploadTagReserved(country: "DE", tag: "t7"), false)
        // uploads 0, 3, 4 and the two winners: five uploads of three keys
        try await assertEq(try await store.storedKeyCount(), 15)
        if let before, let after = store.sharedCommits {
            let transactions = after.transactions - before.transactions
            let commits = after.commits - before.commits
            XCTAssertGreaterThanOrEqual(transactions, 8, "eight uploads, and the second attempt of a 207")
            XCTAssertLessThanOrEqual(commits, transactions - 3, "the queued uploads shared commits")
        } else {
            XCTAssertTrue(onPostgres, "SQLite counts its shared commits")
        }
    }

    /// A body that throws is rolled back to its savepoint, alone: the members before and after it in the same commit
    /// are stored, and it gets its own error.
    func testAFailingMemberIsRolledBackAlone() async throws {
        let backend = store.backend
        try await backend.transaction { db in try await db.raw("CREATE TABLE shared (member TEXT NOT NULL)").run() }
        let before = store.sharedCommits
        let results = try await runHeldMembers(backend) { name, db in
            try await db.raw("INSERT INTO shared (member) VALUES (\(bind: name))").run()
            if name == "b" { throw BodyFailure() }
        }
        XCTAssertEqual(results.map { $0.1 }, [nil, nil, "BodyFailure()", nil])
        try await assertEq(try await members(backend), ["a", "c", "holder"])
        if let before, let after = store.sharedCommits {
            XCTAssertEqual(after.commits - before.commits, 1, "the four shared one commit")
            XCTAssertEqual(after.transactions - before.transactions, 4)
        }
    }

    /// The first member of a transaction runs without a savepoint (its rows are the transaction's first): when it
    /// throws, the transaction rolls back whole, it gets its own error, and the members queued behind it are stored
    /// in a transaction of their own.
    func testAFailingFirstMemberLeavesTheOthersStored() async throws {
        let backend = store.backend
        try await backend.transaction { db in try await db.raw("CREATE TABLE shared (member TEXT NOT NULL)").run() }
        let results = try await runHeldMembers(backend) { name, db in
            try await db.raw("INSERT INTO shared (member) VALUES (\(bind: name))").run()
            if name == "holder" { throw BodyFailure() }
        }
        XCTAssertEqual(results.map { $0.1 }, ["BodyFailure()", nil, nil, nil])
        try await assertEq(try await members(backend), ["a", "b", "c"])
    }

    /// SQLite: a member that ends the shared transaction (here with its own `ROLLBACK`) fails every member of that
    /// transaction, also those whose bodies succeeded before it: none is answered as committed, none of their rows
    /// is there. The member queued after it gets a transaction of its own.
    func testAFailedSharedTransactionFailsEveryMemberOfIt() async throws {
        try XCTSkipIf(onPostgres, "PostgreSQL gives each caller a transaction of its own")
        let backend = store.backend
        try await backend.transaction { db in try await db.raw("CREATE TABLE shared (member TEXT NOT NULL)").run() }
        let results = try await runHeldMembers(backend) { name, db in
            try await db.raw("INSERT INTO shared (member) VALUES (\(bind: name))").run()
            if name == "b" { try await db.raw("ROLLBACK").run() }
        }
        XCTAssertEqual(results.map { $0.0 }, ["holder", "a", "b", "c"])
        for (name, failure) in results where name != "c" {
            XCTAssertNotNil(failure, "\(name) was in the transaction that did not commit")
        }
        XCTAssertNil(results[3].1, "c ran after the failed transaction, in one of its own")
        try await assertEq(try await members(backend), ["c"])
    }

    /// SQLite runs the uploads' shared transactions without foreign-key enforcement (their key rows reference the
    /// batch row the same upload inserted just before); every other write enforces it again, whichever ran before
    /// it: a key row of no upload batch is refused by a transaction and by an asynchronous commit that each follow an
    /// upload, while the same row of an existing batch goes in; deleting an upload batch deletes its keys (the
    /// cascade retention relies on); and after uploads stored, refused as duplicates and failing while sealed, no key
    /// row references a missing batch.
    func testEveryWriteButTheUploadsEnforcesForeignKeys() async throws {
        let store = self.store!
        let backend = store.backend
        @Sendable func keyRow(batch: Int64) -> SQLQueryString {
            """
            INSERT INTO diagnosis_keys (upload_batch_id, position, dedup_mac, payload)
            VALUES (\(bind: batch), 0, \(bind: Data(randomMAC())), \(bind: Data([1])))
            """
        }
        func upload(_ tag: String) async throws -> Int64 {
            guard case .stored(let id) = try await store.storeUpload(uploadRecord(3, tag: tag), keys: randomKeys(3))
            else { throw BodyFailure() }
            return id
        }
        let stored = try await upload("fk0")
        let missing = stored + 1000
        try await backend.transaction { db in try await db.raw(keyRow(batch: stored)).run() }
        _ = try await upload("fk1")
        do {
            try await backend.transaction { db in try await db.raw(keyRow(batch: missing)).run() }
            XCTFail("a transaction after an upload stored a key row of no upload batch")
        } catch {}
        try await backend.runWithAsynchronousCommit(keyRow(batch: stored))
        _ = try await upload("fk2")
        do {
            try await backend.runWithAsynchronousCommit(keyRow(batch: missing))
            XCTFail("an asynchronous commit after an upload stored a key row of no upload batch")
        } catch {}

        let repeated = randomKeys(3)
        guard case .stored = try await store.storeUpload(uploadRecord(3, tag: "fk3"), keys: repeated),
            case .duplicates = try await store.storeUpload(uploadRecord(3, tag: "fk4"), keys: repeated)
        else { return XCTFail("an upload and its repetition") }
        do {
            _ = try await store.storeUpload(
                uploadRecord(3, tag: "fk5"), keys: UploadKeys(count: 3, chunkCount: 1) { _ in throw BodyFailure() })
            XCTFail("an upload whose sealing failed")
        } catch is BodyFailure {}
        let orphans = try await backend.read { db in
            try await db.raw(
                """
                SELECT COUNT(*) AS n FROM diagnosis_keys k
                WHERE NOT EXISTS (SELECT 1 FROM upload_batches b WHERE b.id = k.upload_batch_id)
                """
            ).first()!.decode(column: "n", as: Int.self)
        }
        XCTAssertEqual(orphans, 0)
        // fk0 (3 + 2 rows), fk1, fk2, fk3: 14 keys; deleting fk0's batch deletes its 5
        try await assertEq(try await store.storedKeyCount(), 14)
        try await backend.transaction { db in
            try await db.raw("DELETE FROM upload_batches WHERE id = \(bind: stored)").run()
        }
        try await assertEq(try await store.storedKeyCount(), 9)
    }

    /// Runs a member `holder` whose body holds the writer for 600 ms before it runs `body("holder", db)`, then
    /// members `a`, `b` and `c`, queued in that order while it holds it, whose bodies run `body(name, db)`. Returns
    /// each member's name and error (nil: it was answered as committed), in that order.
    func runHeldMembers(
        _ backend: any SQLBackend, _ body: @escaping @Sendable (String, any SQLDatabase) async throws -> Void
    ) async throws -> [(String, String?)] {
        func member(_ name: String, holding: Bool = false) -> Task<String?, Never> {
            Task {
                do {
                    try await backend.transactionSharingCommit { db in
                        if holding { try await Task.sleep(for: .milliseconds(600)) }
                        try await body(name, db)
                    }
                    return nil
                } catch {
                    return String(describing: error)
                }
            }
        }
        let holder = member("holder", holding: true)
        var queued: [(String, Task<String?, Never>)] = []
        for name in ["a", "b", "c"] {
            try await Task.sleep(for: .milliseconds(100))  // queued in this order, also on a busy machine
            queued.append((name, member(name)))
        }
        var results = [("holder", await holder.value)]
        for (name, task) in queued { results.append((name, await task.value)) }
        return results
    }

    /// The members whose rows are committed, in name order.
    func members(_ backend: any SQLBackend) async throws -> [String] {
        try await backend.read { db in
            try await db.raw("SELECT member FROM shared ORDER BY member").all().map {
                try $0.decode(column: "member", as: String.self)
            }
        }
    }
}
