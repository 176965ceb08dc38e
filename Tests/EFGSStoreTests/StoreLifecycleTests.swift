// SPDX-License-Identifier: EUPL-1.2

import EFGSTestSupport
import Foundation
import SQLKit
import XCTest

@testable import EFGSStore

/// The schema and connection role (PROTOCOL.md §7.1 migrations, the admin listener's readiness).
final class StoreLifecycleTests: StoreTestCase {
    func testAMigratedSchemaIsCurrent() async throws {
        try await store.ping()
        try await assertEq(try await store.migrate(), [], "idempotent")
        try await assertEq(try await store.schemaVersion(), store.latestSchemaVersion)
        XCTAssertEqual(store.latestSchemaVersion, SQLGatewayStore.latestSchemaVersion)
        try await assertEq(try await store.isSchemaCurrent(), true)
        let role: any StoreLifecycle = store
        XCTAssertEqual(role.latestSchemaVersion, 4)
    }

    /// SQLite writes every commit's WAL to disk before the commit returns (`synchronous=FULL`: an upload's 201 holds
    /// through a power loss, `NORMAL` would not) and keeps the page cache `database.sqliteCacheMegabytes` asks for.
    func testSQLiteSyncsEveryCommitAndHasTheConfiguredPageCache() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("efgs-pragmas-\(UUID()).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let sqlite = try await SQLGatewayStore.open(
            url: "sqlite:\(file)", sqliteCacheMegabytes: 48, logger: .init(label: "t"))
        do {
            func pragma(_ name: String) async throws -> Int {
                try await sqlite.backend.read { db in
                    try await db.raw(SQLQueryString("PRAGMA \(unsafeRaw: name)")).first()!.decode(
                        column: name, as: Int.self)
                }
            }
            try await assertEq(try await pragma("synchronous"), 2, "FULL")
            try await assertEq(try await pragma("cache_size"), -48 * 1024)
            try await assertEq(try await pragma("foreign_keys"), 1)
            try await assertEq(try await pragma("wal_autocheckpoint"), 16384)
            try await assertEq(try await pragma("temp_store"), 2, "MEMORY: statement journals never go to a file")
        } catch {
            try await sqlite.close()
            throw error
        }
        try await sqlite.close()
    }

    /// A new database has no schema version until `migrate` applies every migration.
    func testANewDatabaseIsMigratedOnce() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("efgs-bare-\(UUID()).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let bare = try await SQLGatewayStore.open(url: TestDatabase.url(sqliteFile: file), logger: .init(label: "t"))
        do {
            if TestDatabase.postgresURL != nil { try await bare.resetSchema() }
            try await assertEq(try await bare.schemaVersion(), 0, "no schema_migrations table yet: version 0")
            try await assertEq(try await bare.migrate(), [1, 2, 3, 4])
            try await assertEq(try await bare.migrate(), [])
            try await assertEq(try await bare.isSchemaCurrent(), true)
        } catch {
            try await bare.close()
            throw error
        }
        try await bare.close()
    }
}
