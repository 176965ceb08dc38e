// SPDX-License-Identifier: EUPL-1.2

import SQLKit

/// A database a ``SQLGatewayStore`` runs on: how to get a transaction, how the dialect differs, and the driver's
/// fastest form of the two hot statements, the key insert of an upload (PROTOCOL.md §5.3) and the key read of a
/// download (§5.4).
public protocol SQLBackend: Sendable {
    /// The DDL spellings of this database.
    var dialect: SQLStoreDialect { get }
    /// Runs `body` inside one transaction on one connection; commits on return, rolls back on throw.
    func transaction<T: Sendable>(
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T
    /// Like ``transaction(_:)`` for a body that concurrent callers run often (an upload, PROTOCOL.md §5.3): the
    /// backend may run the bodies of several callers in one transaction, each in a savepoint of its own, and commit
    /// them together. A body that throws is undone alone and its caller gets its error; each caller is answered
    /// only once the commit holding its work returned, so a durable commit is as durable as with
    /// ``transaction(_:)``. The default is ``transaction(_:)``; SQLite shares commits (its one writer would
    /// otherwise commit, and sync, once per upload) and runs them without foreign-key enforcement: a body may insert
    /// only rows whose references it made itself or knows to exist, and must not rely on a cascade
    /// (``SQLiteBackend/transactionSharingCommit(_:)``).
    func transactionSharingCommit<T: Sendable>(
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T
    /// Like ``transaction(_:)``, but the commit returns without waiting for the database to make it durable
    /// (asynchronous commit: PostgreSQL `synchronous_commit = off` for this transaction, SQLite `synchronous=NORMAL`
    /// for this commit). The commit is atomic and survives a crash of the gateway; a crash of the database server or
    /// of the machine may lose it (never half of it), until the next durable commit or a moment later. Only for
    /// records whose loss acknowledges nothing to anybody: the download statistics (§7.7), whose many small commits
    /// would otherwise each wait for a disk sync.
    func transactionWithAsynchronousCommit<T: Sendable>(
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T
    /// Runs the one statement `statement` atomically with the asynchronous commit of
    /// ``transactionWithAsynchronousCommit(_:)`` (SQLite: in autocommit, one statement on the connection instead of
    /// three; otherwise in such a transaction, the default).
    func runWithAsynchronousCommit(_ statement: SQLQueryString) async throws
    /// Runs `body` on a connection without an explicit transaction.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// The time the connections were leased, summed over them, since the backend was opened (``ConnectionUse``):
    /// `efgs benchmark` divides its growth over a load run by the run's length.
    var connectionBusyTime: Duration { get }
    /// How many transactions of ``transactionSharingCommit(_:)`` were committed since the backend was opened, in how
    /// many commits; nil where each caller has a transaction of its own (the default).
    var sharedCommits: SharedCommits? { get }
    /// Whether `error` means that a concurrent transaction got in the way, so the rolled-back attempt should be
    /// evaluated again: a unique-constraint violation (a duplicate key or upload tag, §5.3), or where several
    /// transactions write at once (PostgreSQL) a deadlock or a serialization failure.
    func isConflict(_ error: any Error) -> Bool
    /// Closes the connections.
    func close() async throws
    /// Inserts the key rows of one upload batch inside the running transaction `db` — the hot statement of the
    /// upload path, so each backend uses its driver's fastest form (SQLite: native binds; PostgreSQL: COPY) and
    /// writes each chunk of `keys` as soon as it is ready.
    func insertKeys(_ keys: UploadKeys, uploadBatchId: Int64, db: any SQLDatabase) async throws
    /// The keys of download batch `batchTag` not uploaded by `excludingCountry`, in download order
    /// (``DownloadKeysQuery``) — the hot read of every download, so each backend decodes the rows its fastest
    /// way (SQLite: SQLKit; PostgreSQL: PostgresNIO's native decoding).
    func fetchKeys(batchTag: String, excludingCountry: String) async throws -> [StoredKey]
}

extension SQLBackend {
    /// ``transaction(_:)``: every caller in a transaction of its own.
    public func transactionSharingCommit<T: Sendable>(
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        try await transaction(body)
    }

    /// nil: ``transactionSharingCommit(_:)`` is ``transaction(_:)``.
    public var sharedCommits: SharedCommits? { nil }

    /// `statement` in a ``transactionWithAsynchronousCommit(_:)`` of its own.
    public func runWithAsynchronousCommit(_ statement: SQLQueryString) async throws {
        try await transactionWithAsynchronousCommit { db in try await db.raw(statement).run() }
    }
}
