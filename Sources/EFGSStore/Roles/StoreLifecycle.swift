// SPDX-License-Identifier: EUPL-1.2

/// The store's schema and connection (PROTOCOL.md §7.1: "migrations versioned, run by `migrate` and at start";
/// §7.8 `migrate`; the admin listener's readiness, §9 `admin.port`).
public protocol StoreLifecycle: Sendable {
    /// Applies pending migrations; returns the versions applied now. Safe when several instances start at once.
    @discardableResult func migrate() async throws -> [Int]
    /// The highest migration applied to the database; throws when the schema was never migrated.
    func schemaVersion() async throws -> Int
    /// The version ``migrate()`` brings the schema to.
    var latestSchemaVersion: Int { get }
    /// A round trip to the database (`SELECT 1`).
    func ping() async throws
    /// The time the database connections were in use since the store was opened, summed over them
    /// (``SQLBackend/connectionBusyTime``).
    var connectionBusyTime: Duration { get }
    /// How many uploads were committed since the store was opened, in how many commits, where concurrent uploads
    /// share commits (SQLite, ``SQLBackend/transactionSharingCommit(_:)``); nil where each commits on its own.
    var sharedCommits: SharedCommits? { get }
    /// Closes the database connections; the store is unusable afterwards.
    func close() async throws
}

extension StoreLifecycle {
    /// Whether every migration is applied (``schemaVersion()`` equals ``latestSchemaVersion``).
    public func isSchemaCurrent() async throws -> Bool {
        try await schemaVersion() == latestSchemaVersion
    }
}
