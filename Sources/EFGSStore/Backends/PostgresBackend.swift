// SPDX-License-Identifier: EUPL-1.2

import Foundation
import Logging
import NIOCore
import PostgresKit
import PostgresNIO
import SQLKit

/// PostgreSQL for production and several instances (PROTOCOL.md §7.1): PostgresNIO's pooled `PostgresClient`, SQL
/// through SQLKit (postgres-kit). A transaction leases one connection for its whole duration.
public final class PostgresBackend: SQLBackend, @unchecked Sendable {
    /// PostgreSQL DDL spellings for the migrations.
    public let dialect = SQLStoreDialect.postgres
    let client: PostgresClient
    let runTask: Task<Void, Never>
    let use: ConnectionUse
    let logger: Logger
    /// How long an operation waits for a pooled connection before it fails as ``StoreError/unavailable(_:)``.
    let leaseTimeout: Duration

    /// A `database.url` that does not name a PostgreSQL database (its password masked).
    public struct URLError: Error, CustomStringConvertible {
        /// The URL as given, password replaced by `***`.
        public var url: String
        /// Names the setting and the expected form.
        public var description: String {
            "database.url: '\(url)' is not postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
        }
    }

    /// Connects to `postgres://user:password@host:port/database` (`?sslmode=require` for TLS); at most
    /// `maximumConnections` pooled connections; an operation that gets no connection within `leaseTimeout` (the
    /// database is away) fails with ``StoreError/unavailable(_:)``.
    /// The pool connects lazily; nothing is contacted here.
    /// - Throws: ``URLError`` when the scheme is not `postgres`/`postgresql` or host or user is missing.
    public init(
        url: String, maximumConnections: Int = 20, leaseTimeout: Duration = .seconds(5), logger: Logger
    ) throws {
        guard let u = URLComponents(string: url), let scheme = u.scheme?.lowercased(),
            scheme == "postgres" || scheme == "postgresql",
            let host = u.host, !host.isEmpty, let user = u.user, !user.isEmpty
        else {
            throw URLError(url: Self.masked(url))
        }
        let database = u.path.hasPrefix("/") ? String(u.path.dropFirst()) : u.path
        let sslMode = u.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        let tls: PostgresClient.Configuration.TLS =
            sslMode == "disable" ? .disable : .require(.makeClientConfiguration())
        var config = PostgresClient.Configuration(
            host: host, port: u.port ?? 5432, username: user, password: u.password,
            database: database.isEmpty ? nil : database, tls: tls)
        config.options.maximumConnections = maximumConnections
        use = ConnectionUse(store: "postgres", maximum: maximumConnections)
        self.logger = logger
        self.leaseTimeout = leaseTimeout
        client = PostgresClient(configuration: config, backgroundLogger: logger)
        let client = self.client
        runTask = Task { await client.run() }
    }

    /// `url` with its password replaced by `***`, for the error message.
    static func masked(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "" }
        if components.password != nil { components.password = "***" }
        return components.string ?? ""
    }

    /// The connection of the transaction running in this task (for ``insertKeys(_:uploadBatchId:db:)``'s COPY).
    @TaskLocal static var transactionConnection: PostgresConnection?

    /// `BEGIN` … `COMMIT` (`ROLLBACK` on throw) on one leased connection, which ``insertKeys(_:uploadBatchId:db:)``
    /// finds through the task-local `transactionConnection`.
    public func transaction<T: Sendable>(
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        try await withConnection { connection in
            try await Self.$transactionConnection.withValue(connection) {
                try await inTransaction(connection.sql(), body)
            }
        }
    }

    /// ``transaction(_:)`` with `SET LOCAL synchronous_commit = off`: the commit does not wait for the WAL flush (a
    /// server crash may lose the last transactions, at most about three times `wal_writer_delay`, never half of one).
    public func transactionWithAsynchronousCommit<T: Sendable>(
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        try await transaction { db in
            try await db.raw("SET LOCAL synchronous_commit = off").run()
            return try await body(db)
        }
    }

    /// Runs `body` on one leased connection in autocommit mode (each statement its own transaction).
    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await withConnection { connection in try await body(connection.sql()) }
    }

    /// Runs `body` on one pooled connection, recording the lease in the connection-use metrics; also the raw
    /// connection of the benchmark's COPY baseline.
    ///
    /// - Throws: ``StoreError/unavailable(_:)`` when no connection comes within ``leaseTimeout``, the database goes
    ///   away under `body` (``classified(_:)``), or the connection closed and `body` did not end within a second
    ///   (``withLeaseDeadline(_:closedGrace:interval:_:)``); `body`'s other errors as they are.
    public func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let requested = ContinuousClock.now
        let (use, client) = (self.use, self.client)
        do {
            return try await withLeaseDeadline(leaseTimeout) { leased in
                try await client.withConnection { connection in
                    leased { connection.isClosed }
                    return try await use.using(since: requested) { try await body(connection) }
                }
            }
        } catch {
            throw Self.classified(error)
        }
    }

    /// The key rows go in with `COPY … FROM STDIN` on the transaction's connection: one round trip for the whole
    /// batch and no bind parsing (measured with `efgs benchmark --database-url`). A duplicate dedup MAC fails the
    /// COPY with unique_violation like an INSERT would, and the transaction rolls back.
    public func insertKeys(_ keys: UploadKeys, uploadBatchId id: Int64, db: any SQLDatabase) async throws {
        guard let connection = Self.transactionConnection else {
            throw StoreError.unsupported("insertKeys runs inside a transaction")
        }
        try await Self.copyKeys(keys, uploadBatchId: id, connection: connection, logger: logger)
    }

    /// `COPY diagnosis_keys (upload_batch_id, position, dedup_mac, payload) FROM STDIN` in text format, bytea as
    /// `\\x<hex>` (the backslash escaped for COPY's text format). One COPY for every chunk of `keys`, each
    /// written as soon as it is ready.
    public static func copyKeys(
        _ keys: UploadKeys, uploadBatchId id: Int64, connection: PostgresConnection, logger: Logger
    ) async throws {
        let columns = ["upload_batch_id", "position", "dedup_mac", "payload"]
        try await connection.copyFrom(table: "diagnosis_keys", columns: columns, logger: logger) { writer in
            var buffer = ByteBuffer()
            buffer.reserveCapacity(min(keys.count, 1000) * 200)
            let prefix = Array("\(id)\t".utf8)
            for index in 0..<keys.chunkCount {
                for k in try await keys.chunk(index) {
                    buffer.writeBytes(prefix)
                    buffer.writeString(String(k.position))
                    buffer.writeStaticString("\t\\\\x")
                    writeHex(k.dedupMAC, to: &buffer)
                    buffer.writeStaticString("\t\\\\x")
                    writeHex(k.sealedPayload, to: &buffer)
                    buffer.writeInteger(UInt8(ascii: "\n"))
                    if buffer.readableBytes >= 200_000 {
                        try await writer.write(buffer)
                        buffer.clear()
                    }
                }
                if buffer.readableBytes > 0 {
                    try await writer.write(buffer)
                    buffer.clear()
                }
            }
        }
    }

    static func writeHex(_ bytes: [UInt8], to buffer: inout ByteBuffer) {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bytes.count * 2) { out in
            for (i, b) in bytes.enumerated() {
                out[2 * i] = digits[Int(b >> 4)]
                out[2 * i + 1] = digits[Int(b & 0x0F)]
            }
            return bytes.count * 2
        }
    }

    /// ``DownloadKeysQuery`` straight on PostgresNIO: rows decoded as native `int4`/`bytea` instead of through
    /// SQLKit's Codable row decoding, which dominated the download time of a 5000-key batch (measured with
    /// `efgs benchmark --database-url`).
    public func fetchKeys(batchTag: String, excludingCountry: String) async throws -> [StoredKey] {
        let logger = self.logger
        let query = DownloadKeysQuery(batchTag: batchTag, excludingCountry: excludingCountry)
        return try await withConnection { connection in
            let rows = try await connection.query(try Self.native(query.sql, on: connection.sql()), logger: logger)
            var keys: [StoredKey] = []
            for try await (position, mac, payload) in rows.decode((Int32, ByteBuffer, ByteBuffer).self) {
                keys.append(
                    StoredKey(
                        position: Int(position), dedupMAC: Array(mac.readableBytesView),
                        sealedPayload: Array(payload.readableBytesView)))
            }
            return keys
        }
    }

    /// `query` as PostgresNIO runs it: the text SQLKit renders for PostgreSQL (`$1`, `$2`, …) with its binds, which
    /// must be text.
    static func native(_ query: SQLQueryString, on db: any SQLDatabase) throws -> PostgresQuery {
        var serializer = SQLSerializer(database: db)
        query.serialize(to: &serializer)
        var binds = PostgresBindings(capacity: serializer.binds.count)
        for value in serializer.binds {
            guard let text = value as? String else {
                throw StoreError.unsupported("a native PostgreSQL query binds text only, not \(type(of: value))")
            }
            binds.append(text)
        }
        return PostgresQuery(unsafeSQL: serializer.sql, binds: binds)
    }

    /// The pool's connection-seconds leased since it was opened.
    public var connectionBusyTime: Duration { use.busyTime }

    /// SQLSTATE 23505 unique_violation, 40P01 deadlock_detected (two uploads inserting keys they share in crossed
    /// order each wait on the other's uncommitted index entry, and the server aborts one) or 40001
    /// serialization_failure.
    public func isConflict(_ error: any Error) -> Bool {
        ["23505", "40P01", "40001"].contains((error as? PSQLError)?.serverInfo?[.sqlState])
    }

    /// Stops the pool by cancelling its run task, and waits until it has ended.
    public func close() async throws {
        runTask.cancel()
        await runTask.value
    }
}
