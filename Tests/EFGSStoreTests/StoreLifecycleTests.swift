// SPDX-License-Identifier: EUPL-1.2

import EFGSStore
import EFGSTestSupport
import Foundation
import XCTest

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
