// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import Foundation
import Logging
import SQLKit

/// ``GatewayStore`` in SQL through SQLKit (binds rendered per dialect), used for SQLite and PostgreSQL; the two hot
/// key statements go through each backend's native driver (``SQLBackend``). Each role is implemented in its own
/// extension: `SQLGatewayStore+Certificates.swift` (§7.6), `+Uploads` (§5.3, §7.1, §7.2), `+Batching` (§7.3),
/// `+Downloads` (§5.4, §5.5), `+Callbacks` (§5.6, §7.5), `+JobLocks` (§7.8) and `+Statistics` (§7.7); this file
/// holds the lifecycle and the schema.
public final class SQLGatewayStore: GatewayStore, @unchecked Sendable {
    let backend: any SQLBackend

    /// A store on an opened backend; the schema is not touched until ``migrate()``.
    public init(backend: any SQLBackend) {
        self.backend = backend
    }

    /// Opens the store a `database.url` names: `postgres://USER:PASSWORD@HOST:PORT/DATABASE` or `sqlite:PATH`
    /// (or a bare path). On PostgreSQL an operation that waits longer than `leaseTimeout` for a connection fails
    /// with ``StoreError/unavailable(_:)``; on SQLite the writing connection's page cache holds at most
    /// `sqliteCacheMegabytes`, the reading connection's a quarter of it.
    public static func open(
        url: String, leaseTimeout: Duration = .seconds(5), sqliteCacheMegabytes: Int = 64, logger: Logger
    ) async throws -> SQLGatewayStore {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return SQLGatewayStore(
                backend: try PostgresBackend(url: url, leaseTimeout: leaseTimeout, logger: logger))
        }
        let path = url.hasPrefix("sqlite:") ? String(url.dropFirst("sqlite:".count)) : url
        guard !path.isEmpty else { throw StoreError.unsupported("database.url names no SQLite file") }
        return SQLGatewayStore(
            backend: try await SQLiteBackend.open(path: path, cacheMegabytes: sqliteCacheMegabytes, logger: logger))
    }

    /// Closes the backend's connections; the store is unusable afterwards.
    public func close() async throws {
        try await backend.close()
    }

    /// PostgreSQL only: drops and recreates the `public` schema (every table of the gateway) — for tests and
    /// `efgs benchmark --reset-database`, never for a production database.
    public func resetSchema() async throws {
        guard backend.dialect == .postgres else {
            throw StoreError.unsupported("resetSchema is for PostgreSQL databases")
        }
        try await backend.transaction { db in
            try await db.raw("DROP SCHEMA IF EXISTS public CASCADE").run()
            try await db.raw("CREATE SCHEMA public").run()
        }
    }

    /// Whether the store runs on PostgreSQL (tests choose their reset by it).
    @_spi(Testing) public var isPostgres: Bool { backend.dialect == .postgres }

    // MARK: migrations (§7.1)

    /// Applies the pending migrations in order, each in its own transaction, and records them in
    /// `schema_migrations`; returns the versions applied now. Safe when several instances start at once (§7.1, §7.8).
    @discardableResult
    public func migrate() async throws -> [Int] {
        let dialect = backend.dialect
        /// Several instances may start at once: on PostgreSQL each migration step holds a transaction-scoped
        /// advisory lock, so the DDL runs once (SQLite serialises writers itself).
        @Sendable func serialised(_ db: any SQLDatabase) async throws {
            if dialect == .postgres { try await db.raw("SELECT pg_advisory_xact_lock(7320451)").run() }
        }
        try await backend.transaction { db in
            try await serialised(db)
            try await db.raw(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)
                """
            ).run()
        }
        var applied: [Int] = []
        for m in Migrations.all(dialect) {
            let done = try await backend.transaction { db -> Bool in
                try await serialised(db)
                let found = db.raw("SELECT version FROM schema_migrations WHERE version = \(bind: m.version)")
                if try await found.first() != nil { return false }
                for s in m.statements { try await db.raw(SQLQueryString(s)).run() }
                try await db.raw(
                    """
                    INSERT INTO schema_migrations (version, applied_at)
                    VALUES (\(bind: m.version), \(bind: Self.nowMillis()))
                    """
                ).run()
                return true
            }
            if done { applied.append(m.version) }
        }
        return applied
    }

    /// The highest version in `schema_migrations`; 0 for a database no migration has touched (no such table, or
    /// an empty one).
    public func schemaVersion() async throws -> Int {
        let exists: SQLQueryString =
            backend.dialect == .postgres
            ? "SELECT to_regclass('schema_migrations') IS NOT NULL AS e"
            : "SELECT COUNT(*) > 0 AS e FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        return try await backend.read { db in
            guard try await db.raw(exists).first()?.decode(column: "e", as: Bool.self) == true else { return 0 }
            return try await db.raw("SELECT MAX(version) AS v FROM schema_migrations").first()?
                .decode(column: "v", as: Int?.self) ?? 0
        }
    }

    /// A round trip to the database (`SELECT 1`); throws when it is unreachable.
    public func ping() async throws {
        _ = try await backend.read { db in try await db.raw("SELECT 1 AS x").first() != nil }
    }

    /// The backend's ``SQLBackend/connectionBusyTime``.
    public var connectionBusyTime: Duration { backend.connectionBusyTime }

    /// The backend's ``SQLBackend/sharedCommits``.
    public var sharedCommits: SharedCommits? { backend.sharedCommits }

    /// The version ``migrate()`` brings a schema to (the same for both dialects).
    public static var latestSchemaVersion: Int { Migrations.all(.sqlite).map(\.version).max() ?? 0 }

    /// ``latestSchemaVersion-swift.type.property``, for callers holding a ``GatewayStore``.
    public var latestSchemaVersion: Int { Self.latestSchemaVersion }

    static func nowMillis() -> Int64 { UTCTimestamp.millis(Date()) }
}
