// SPDX-License-Identifier: EUPL-1.2

import SQLKit

/// `begin`, then `body`, then COMMIT; ROLLBACK when `body` (or the commit) throws. The caller owns `db`'s
/// connection.
func inTransaction<T>(
    _ db: any SQLDatabase, begin: String = "BEGIN", _ body: (any SQLDatabase) async throws -> T
) async throws -> T {
    try await db.raw(SQLQueryString(begin)).run()
    do {
        let result = try await body(db)
        try await db.raw("COMMIT").run()
        return result
    } catch {
        try? await db.raw("ROLLBACK").run()
        throw error
    }
}
