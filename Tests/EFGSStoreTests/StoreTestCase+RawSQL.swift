// SPDX-License-Identifier: EUPL-1.2

import SQLKit

@testable import EFGSStore

extension StoreTestCase {
    /// Runs `sql` on the store's database behind the store's back (to corrupt or find rows).
    func execute(_ sql: SQLQueryString) async throws {
        try await store.backend.transaction { db in try await db.raw(sql).run() }
    }

    /// The integer column `column` of the rows `sql` selects.
    func integers(_ sql: SQLQueryString, column: String) async throws -> [Int64] {
        try await store.backend.read { db in
            try await db.raw(sql).all().map { try $0.decode(column: column, as: Int64.self) }
        }
    }
}
