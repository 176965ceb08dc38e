// SPDX-License-Identifier: EUPL-1.2

import EFGSStore
import EFGSTestSupport
import Foundation
import XCTest

/// A test case with a fresh, migrated store per test: SQLite in a new file, or PostgreSQL (its `public` schema
/// emptied) when `EFGS_TEST_POSTGRES_URL` is set. `tearDown` closes the store and removes the SQLite files.
class StoreTestCase: XCTestCase {
    private(set) var store: SQLGatewayStore!
    private(set) var sqliteFile = ""

    /// Whether the tests run on PostgreSQL.
    var onPostgres: Bool { TestDatabase.postgresURL != nil }

    override func setUp() async throws {
        try await super.setUp()
        sqliteFile = FileManager.default.temporaryDirectory.appendingPathComponent("efgs-store-\(UUID()).sqlite").path
        store = try await TestDatabase.openFresh(url: TestDatabase.url(sqliteFile: sqliteFile))
    }

    override func tearDown() async throws {
        try await store?.close()
        store = nil
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: sqliteFile + suffix) }
        try await super.tearDown()
    }
}
