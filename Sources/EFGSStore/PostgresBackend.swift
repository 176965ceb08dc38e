import Foundation
import Logging
import NIOCore
import PostgresKit
import PostgresNIO
import SQLKit

/// PostgreSQL for production and several instances: PostgresNIO's pooled `PostgresClient`, SQL through SQLKit
/// (postgres-kit). A transaction leases one connection for its whole duration.
public final class PostgresBackend: SQLBackend, @unchecked Sendable {
    public let dialect = SQLStoreDialect.postgres
    let client: PostgresClient
    let runTask: Task<Void, Never>
    let use: ConnectionUse

    public struct URLError: Error, CustomStringConvertible {
        public var url: String
        public var description: String { "database.url: '\(url)' is not postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE" }
    }

    /// Connects to `postgres://user:password@host:port/database` (`?sslmode=require` for TLS); at most
    /// `maximumConnections` pooled connections.
    public init(url: String, maximumConnections: Int = 20, logger: Logger) throws {
        guard let u = URLComponents(string: url), let scheme = u.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql",
              let host = u.host, !host.isEmpty, let user = u.user, !user.isEmpty else {
            throw URLError(url: URLComponents(string: url).map { var c = $0; c.password = c.password == nil ? nil : "***"; return c.string ?? "" } ?? "")
        }
        let database = u.path.hasPrefix("/") ? String(u.path.dropFirst()) : u.path
        let sslMode = u.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        let tls: PostgresClient.Configuration.TLS = sslMode == "disable" ? .disable : .require(.makeClientConfiguration())
        var config = PostgresClient.Configuration(host: host, port: u.port ?? 5432, username: user, password: u.password,
                                                  database: database.isEmpty ? nil : database, tls: tls)
        config.options.maximumConnections = maximumConnections
        use = ConnectionUse(store: "postgres", maximum: maximumConnections)
        client = PostgresClient(configuration: config, backgroundLogger: logger)
        let client = self.client
        runTask = Task { await client.run() }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let requested = ContinuousClock.now, use = self.use
        return try await client.withConnection { connection in try await use.using(since: requested) { try await inTransaction(connection.sql(), body) } }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let requested = ContinuousClock.now, use = self.use
        return try await client.withConnection { connection in try await use.using(since: requested) { try await body(connection.sql()) } }
    }

    /// SQLSTATE 23505 unique_violation.
    public func isUniqueViolation(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }

    public func close() async throws {
        runTask.cancel()
        await runTask.value
    }
}
