// SPDX-License-Identifier: EUPL-1.2

import Foundation
import Logging
import Metrics
import NIOCore
import SQLKit
import SQLiteKit
import Synchronization

/// The embedded default (PROTOCOL.md §7.1): one SQLite file in WAL mode, one connection that writes (every
/// transaction, serialized), and for a file a second one that only reads (every ``read(_:)``, serialized too) — and
/// the reading connections of ``SQLiteReadsNow``, which read the certificate row and the download batch row of a
/// request on its own thread.
///
/// In WAL mode a read sees the last commit made before it began and neither waits for a writer nor holds one up
/// (https://sqlite.org/wal.html#concurrency), so on the reading connection the certificate row of a request, the
/// batch row of a download and a download's keys are read while an upload's commit or the download statistics are
/// written. On one connection they waited for those: each download waited for the statistics commits of the
/// downloads before it, and every request for the transaction of an upload under way (issue 14). A read begun after
/// a commit returned sees it, so a revocation still counts from the next request.
public final class SQLiteBackend: SQLBackend, @unchecked Sendable {
    /// SQLite DDL spellings for the migrations.
    public let dialect = SQLStoreDialect.sqlite
    /// The connection of every transaction (and of every read for `:memory:`).
    let connection: SQLiteConnection
    let gate = AsyncSerialGate()
    /// The connection of ``read(_:)`` for a file (`PRAGMA query_only`); nil for `:memory:`, whose database belongs to
    /// its one connection.
    let reader: SQLiteConnection?
    let readerGate = AsyncSerialGate()
    let use: ConnectionUse
    /// Whether the writing connection runs with `synchronous=FULL` (``pragmas(cacheMegabytes:)``): an asynchronous
    /// commit sets `NORMAL` and leaves it set, so a run of download-statistics commits costs one statement each; the
    /// next durable ``transaction(_:)`` sets `FULL` again before it begins. Read and written only while holding the
    /// gate; false whenever the setting is not known to be `FULL`.
    let synchronousIsFull = Mutex(true)
    /// Whether the writing connection enforces foreign keys (``pragmas(cacheMegabytes:)``): the uploads' shared
    /// transactions (``transactionSharingCommit(_:)``) run without, every other write with; each sets what it needs
    /// before it begins, so a run of uploads switches nothing. Read and written only while holding the gate; false
    /// whenever enforcement is not known to be on.
    let foreignKeysAreOn = Mutex(true)
    /// Checkpoints the WAL off the commit path (not for `:memory:`, which has no WAL); set once by ``open``.
    private(set) var checkpointer: SQLiteCheckpointer?
    /// The certificate and download batch rows read on the calling thread (``SQLiteReadsNow``; not for `:memory:`,
    /// whose database belongs to its one connection); set once by ``open``.
    private(set) var readsNow: SQLiteReadsNow?
    /// The transactions waiting to share a commit (``transactionSharingCommit(_:)``).
    let commitGroups = SQLiteCommitGroups()
    /// At most this many uploads (transactions of ``transactionSharingCommit(_:)``) share a commit.
    public static var maximumUploadsPerCommit: Int { SQLiteCommitGroups.maximumMembersPerCommit }

    /// Opens (creating if needed) the database file at `path`, or an in-memory database for `:memory:`, with a page
    /// cache of at most `cacheMegabytes` (the reading connection: ``readerCacheMegabytes(_:)``) and the settings of
    /// ``pragmas(cacheMegabytes:)``, and starts the file's ``SQLiteCheckpointer`` (tests lower its marks with
    /// `checkpointPages`: new pages, and pages for holding writers; and its pause between rounds with
    /// `checkpointPause`).
    public static func open(path: String, cacheMegabytes: Int = 64, logger: Logger) async throws -> SQLiteBackend {
        try await open(
            path: path, cacheMegabytes: cacheMegabytes,
            checkpointPages: (
                SQLiteCheckpointer.defaultPagesPerCheckpoint, SQLiteCheckpointer.defaultPagesBeforeHoldingWriters
            ), checkpointPause: SQLiteCheckpointer.defaultPauseBetweenRounds, logger: logger)
    }

    static func open(
        path: String, cacheMegabytes: Int, checkpointPages: (new: Int, holdingWriters: Int),
        checkpointPause: Duration, logger: Logger
    ) async throws -> SQLiteBackend {
        let storage: SQLiteConnection.Storage = path == ":memory:" ? .memory : .file(path: path)
        let conn = try await SQLiteConnection.open(storage: storage, logger: logger)
        var reader: SQLiteConnection?
        do {
            let db = conn.sql()
            if path != ":memory:" { try await db.raw("PRAGMA journal_mode=WAL").run() }
            for pragma in pragmas(cacheMegabytes: cacheMegabytes) { try await db.raw(SQLQueryString(pragma)).run() }
            if path != ":memory:" {
                // opened after WAL mode is set, which the file keeps: this connection reads the WAL as well
                reader = try await SQLiteConnection.open(storage: storage, logger: logger)
                for pragma in pragmas(cacheMegabytes: readerCacheMegabytes(cacheMegabytes)) + ["PRAGMA query_only=ON"] {
                    try await reader!.sql().raw(SQLQueryString(pragma)).run()
                }
            }
        } catch {
            try? await reader?.close()
            try? await conn.close()
            throw error
        }
        let backend = SQLiteBackend(connection: conn, reader: reader)
        do {
            if path != ":memory:" {
                backend.checkpointer = try await SQLiteCheckpointer.start(
                    path: path, gate: backend.gate, readerGate: backend.readerGate,
                    pagesPerCheckpoint: checkpointPages.new,
                    pagesBeforeHoldingWriters: checkpointPages.holdingWriters, pauseBetweenRounds: checkpointPause,
                    logger: logger)
                backend.readsNow = SQLiteReadsNow(
                    path: path, count: max(2, ProcessInfo.processInfo.activeProcessorCount))
            }
        } catch {
            try? await reader?.close()
            try? await conn.close()
            throw error
        }
        return backend
    }

    /// The connection settings, also used by `efgs benchmark`'s raw baseline so both write the same way (the baseline
    /// has no checkpointer, and checkpoints in its commits from 16384 pages):
    /// - `synchronous=FULL`: in WAL mode every commit syncs the WAL, so an upload is on disk before its 201 — also
    ///   through a power loss or an operating-system crash (`NORMAL` syncs only at checkpoints: a commit survives a
    ///   crash of the gateway, not of the machine);
    /// - `cache_size`: `cacheMegabytes` of page cache (`database.sqliteCacheMegabytes`);
    /// - `wal_autocheckpoint=262144`: a commit copies the WAL back into the database itself only once the WAL holds
    ///   262144 pages (1 GiB at 4 KiB pages): the safety net, should the ``SQLiteCheckpointer`` fail. That one copies
    ///   the WAL in the background from 16384 new pages (64 MiB), not SQLite's 1000: an upload dirties one random
    ///   leaf page of the dedup index per key, mostly the same pages as the uploads before it, so a rarer checkpoint
    ///   copies each page once for many uploads (store time of a 5000-key upload into a 500 000-key store: 201 ms at
    ///   1000 pages, 135 ms at 16384, when the commit still ran the checkpoint);
    /// - `temp_store=MEMORY`: statement and savepoint journals stay in memory. Retention's DELETE needs one (its
    ///   foreign-key cascade may abort it halfway), and so does every upload after the first of a shared commit (its
    ///   savepoint, ``transactionSharingCommit(_:)``); SQLite copies every page the statement changes into it and,
    ///   past 64 KiB, spills it into a temporary file. Into a store of 10 million keys, a 5000-key upload changes
    ///   about 5000 random pages of the dedup index: about 20 MB written to a file and thrown away per upload (17 %
    ///   of the gateway's CPU while uploading, `perf record`, when every upload's key INSERT needed a statement
    ///   journal). SQLite's sorter stays in memory too: the reports' grouping of the statistics rows of a range, and
    ///   an index a future migration adds to `diagnosis_keys`, sort in memory;
    /// - foreign keys on (off only in the uploads' shared transactions, ``transactionSharingCommit(_:)``), and a
    ///   writer of another process waited for up to 10 s.
    public static func pragmas(cacheMegabytes: Int) -> [String] {
        [
            "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=10000", "PRAGMA synchronous=FULL",
            "PRAGMA cache_size=-\(cacheMegabytes * 1024)", "PRAGMA wal_autocheckpoint=262144",
            "PRAGMA temp_store=MEMORY",
        ]
    }

    /// The reading connection's page cache: a quarter of the writing connection's, at least 2 MiB. SQLite empties a
    /// reading connection's cache whenever it finds the WAL changed since its last read (every commit of the other
    /// connection), so under uploads and download statistics a large one would gain little.
    static func readerCacheMegabytes(_ cacheMegabytes: Int) -> Int { max(2, cacheMegabytes / 4) }

    init(connection: SQLiteConnection, reader: SQLiteConnection?) {
        self.connection = connection
        self.reader = reader
        use = ConnectionUse(store: "sqlite", maximum: reader == nil ? 1 : 2)
    }

    /// `BEGIN IMMEDIATE` … `COMMIT` (`ROLLBACK` on throw) while holding the connection exclusively.
    public func transaction<T: Sendable>(
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        try await writingTransaction(durable: true, body)
    }

    /// ``transaction(_:)`` committed with `synchronous=NORMAL`: in WAL mode the commit is appended to the WAL without
    /// a sync (it survives a crash of the gateway; the next durable commit's sync, or a checkpoint's, makes it
    /// durable). `NORMAL` stays set until the next ``transaction(_:)`` sets `FULL` before it begins.
    public func transactionWithAsynchronousCommit<T: Sendable>(
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        try await writingTransaction(durable: false, body)
    }

    /// `statement` alone in autocommit (SQLite makes a single statement its own transaction: all of it or nothing),
    /// committed with `synchronous=NORMAL` like ``transactionWithAsynchronousCommit(_:)``: one statement on the
    /// connection instead of `BEGIN`, the statement and `COMMIT` (and none to switch `synchronous` when the commit
    /// before was asynchronous too).
    public func runWithAsynchronousCommit(_ statement: SQLQueryString) async throws {
        let db = connection.sql()
        try await exclusive {
            try await self.setSynchronous(full: false, db)
            try await self.setForeignKeys(on: true, db)
            try await db.raw(statement).run()
        }
        checkpointer?.committed()
    }

    /// A transaction on the writing connection whose commit syncs (`durable`: `synchronous=FULL`) or not (`NORMAL`),
    /// then a wake of the checkpointer. IMMEDIATE takes the write lock at BEGIN, so a transaction never fails half-way
    /// on lock upgrade.
    private func writingTransaction<T: Sendable>(
        durable: Bool, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        let db = connection.sql()
        let result = try await exclusive {
            try await self.setSynchronous(full: durable, db)
            try await self.setForeignKeys(on: true, db)
            return try await inTransaction(db, begin: "BEGIN IMMEDIATE", body)
        }
        checkpointer?.committed()
        return result
    }

    /// ``SQLBackend/transactionSharingCommit(_:)``: `body` runs in a savepoint of its own inside a transaction that
    /// the bodies of concurrent callers may share (``SQLiteCommitGroups``), committed with `synchronous=FULL`; the
    /// answer comes once that commit returned.
    ///
    /// The transaction runs without foreign-key enforcement (`PRAGMA foreign_keys=OFF`, which SQLite takes only
    /// outside a transaction; every other write sets it on again before it begins): its bodies insert key rows that
    /// reference the upload batch the same body inserted just before, so the check of each row's reference could
    /// not fail, and with it the multi-row key INSERT (``insertKeys(_:uploadBatchId:db:)``, `OR FAIL`) needs no
    /// statement journal. That journal — a copy of every page the statement changes, kept in case the statement
    /// aborts halfway — and the check of each row's reference took about a quarter of the inserts' time (a 5000-key
    /// upload's inserts into a store of 200 000 keys: 19.5–21 ms with them, 13.6–15.8 ms without, measured in
    /// `efgs benchmark` on 2026-12-04).
    public func transactionSharingCommit<T: Sendable>(
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        let outcome = CommitGroupOutcome<T>()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let member = SQLiteCommitGroups.Member(
                run: { db in
                    do {
                        outcome.set(.success(try await body(db)))
                        return true
                    } catch {
                        outcome.set(.failure(error))
                        return false
                    }
                },
                finish: { continuation.resume(with: outcome.answer(transactionError: $0)) })
            if commitGroups.enqueue(member) {
                Task { await self.leadCommitGroups() }
            }
        }
    }

    /// Runs transactions of waiting ``SQLiteCommitGroups`` members until none waits: each takes the writing
    /// connection, `BEGIN IMMEDIATE`, the first member, each further one in a savepoint (`ROLLBACK TO` when its body
    /// threw), `COMMIT`, then answers its members. Runs in a task of its own, which no caller's cancellation reaches
    /// (SQLiteNIO runs no statement for a cancelled task).
    private func leadCommitGroups() async {
        let db = connection.sql()
        repeat {
            guard let first = commitGroups.next() else { continue }
            let members = MembersOfCommit(first)
            do {
                try await exclusive {
                    try await self.setSynchronous(full: true, db)
                    try await self.setForeignKeys(on: false, db)
                    try await inTransaction(db, begin: "BEGIN IMMEDIATE") { db in
                        // the first member needs no savepoint: when its body throws, the transaction holds nothing
                        // else and rolls back whole (a savepoint costs a copy of every page its member changes)
                        guard await first.run(db) else { throw SQLiteCommitGroups.FirstMemberFailed() }
                        while members.count < SQLiteCommitGroups.maximumMembersPerCommit,
                            let member = commitGroups.next().map(members.append)
                        {
                            try await db.raw("SAVEPOINT member").run()
                            if await member.run(db) {
                                try await db.raw("RELEASE member").run()
                            } else {
                                try await db.raw("ROLLBACK TO member").run()
                                try await db.raw("RELEASE member").run()
                            }
                        }
                    }
                }
                checkpointer?.committed()
                commitGroups.countCommit(of: members.count)
                Recorder(label: "efgs_db_transactions_per_commit", dimensions: [("store", "sqlite")])
                    .record(members.count)
                members.finish(nil)
            } catch {
                members.finish(error)
            }
        } while commitGroups.continueLeading()
    }

    /// Sets `synchronous` to `FULL` or `NORMAL` on the writing connection `db` unless it is known to be so already
    /// (``setting(_:to:with:_:)``): a failed `PRAGMA` leaves the next durable transaction to set `FULL` (and to fail
    /// if it cannot).
    private func setSynchronous(full: Bool, _ db: any SQLDatabase) async throws {
        try await setting(synchronousIsFull, to: full, with: ("synchronous=FULL", "synchronous=NORMAL"), db)
    }

    /// Sets `foreign_keys` on or off on the writing connection `db` unless it is known to be so already
    /// (``setting(_:to:with:_:)``): a failed `PRAGMA` leaves the next transaction that needs enforcement to set it (and
    /// to fail if it cannot).
    private func setForeignKeys(on: Bool, _ db: any SQLDatabase) async throws {
        try await setting(foreignKeysAreOn, to: on, with: ("foreign_keys=ON", "foreign_keys=OFF"), db)
    }

    /// Runs `PRAGMA` `pragmas.on` or `pragmas.off` on `db` unless `known` (true: the setting is known to be on) says it
    /// is so already; called holding the gate, outside any transaction (SQLite takes neither setting inside one).
    /// Leaving "on" marks the setting unknown first, so that a failed `PRAGMA` is set again by the next caller that
    /// needs it on.
    private func setting(
        _ known: borrowing Mutex<Bool>, to on: Bool, with pragmas: (on: String, off: String), _ db: any SQLDatabase
    ) async throws {
        guard known.withLock({ $0 }) != on else { return }
        if on {
            try await db.raw("PRAGMA \(unsafeRaw: pragmas.on)").run()
            known.withLock { $0 = true }
        } else {
            known.withLock { $0 = false }
            try await db.raw("PRAGMA \(unsafeRaw: pragmas.off)").run()
        }
    }

    /// Runs `body` without an explicit transaction on the reading connection (for `:memory:` the one connection),
    /// holding it exclusively: each statement sees the commits made before it began, never waits for a
    /// transaction, and cannot write (`query_only`).
    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        guard let reader else {
            let db = connection.sql()
            return try await exclusive { try await body(db) }
        }
        let db = reader.sql()
        let requested = ContinuousClock.now
        let use = self.use
        return try await readerGate.run { try await use.using(since: requested) { try await body(db) } }
    }

    /// Runs `body` as the only user of the writing connection, recording the wait and the use.
    func exclusive<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        let requested = ContinuousClock.now
        let use = self.use
        return try await gate.run { try await use.using(since: requested, body) }
    }

    /// The time the connections were held (by a transaction or a read), summed over both, since they were opened.
    public var connectionBusyTime: Duration { use.busyTime }

    /// The transactions of ``transactionSharingCommit(_:)`` committed since the backend was opened, and their
    /// commits.
    public var sharedCommits: SharedCommits? { commitGroups.committed }

    /// A unique violation, recognised by SQLite's `UNIQUE constraint failed` message: the one writing connection
    /// never deadlocks, and `BEGIN IMMEDIATE` waits for the lock.
    public func isConflict(_ error: any Error) -> Bool {
        String(describing: error).contains("UNIQUE constraint failed")
    }

    /// Stops the checkpointer, then closes the reading and the writing connection (the last connection of the file
    /// copies the whole WAL back and removes it).
    public func close() async throws {
        var failure: (any Error)?
        readsNow?.close()
        do { try await checkpointer?.close() } catch { failure = error }
        do { try await reader?.close() } catch { failure = failure ?? error }
        try await connection.close()
        if let failure { throw failure }
    }

    /// SQLiteNIO with native binds: skips SQLKit's per-bind encoding (20 000 binds per 5000-key upload). Called
    /// only inside a transaction, which owns the connection. `INSERT OR FAIL`: a duplicate dedup MAC stops the
    /// statement with the unique violation but keeps the rows it inserted before, so that SQLite needs no statement
    /// journal (``transactionSharingCommit(_:)``); the caller rolls the upload back (``SQLGatewayStore`` always does
    /// on an error).
    public func insertKeys(_ keys: UploadKeys, uploadBatchId id: Int64, db: any SQLDatabase) async throws {
        for index in 0..<keys.chunkCount {
            try await insertKeys(try await keys.chunk(index), uploadBatchId: id)
        }
    }

    /// Multi-row inserts of `keys` on the writing connection.
    func insertKeys(_ keys: [StoredKey], uploadBatchId id: Int64) async throws {
        for slice in keys.statementChunks(bindsPerRow: 4) {
            var binds: [SQLiteData] = []
            binds.reserveCapacity(slice.count * 4)
            for k in slice {
                binds.append(.integer(Int(id)))
                binds.append(.integer(k.position))
                binds.append(.blob(ByteBuffer(bytes: k.dedupMAC)))
                binds.append(.blob(ByteBuffer(bytes: k.sealedPayload)))
            }
            let sql =
                "INSERT OR FAIL INTO diagnosis_keys (upload_batch_id, position, dedup_mac, payload) VALUES "
                + repeatElement("(?, ?, ?, ?)", count: slice.count).joined(separator: ", ")
            try await connection.query(sql, binds) { _ in }
        }
    }

    /// ``DownloadKeysQuery`` through SQLKit.
    public func fetchKeys(batchTag: String, excludingCountry: String) async throws -> [StoredKey] {
        let query = DownloadKeysQuery(batchTag: batchTag, excludingCountry: excludingCountry)
        return try await read { db in
            try await db.raw(query.sql).all().map { r in
                StoredKey(
                    position: try r.decode(column: "position", as: Int.self),
                    dedupMAC: Array(try r.decode(column: "dedup_mac", as: Data.self)),
                    sealedPayload: Array(try r.decode(column: "payload", as: Data.self)))
            }
        }
    }
}
