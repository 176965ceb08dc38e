// SPDX-License-Identifier: EUPL-1.2

import SQLKit

/// `begin`, then `body`, then COMMIT; ROLLBACK when `body` (or the commit) throws. The caller owns `db`'s
/// connection.
///
/// The ROLLBACK runs in a task of its own, which a cancellation of the caller's task does not reach: SQLiteNIO runs
/// no statement for a cancelled task (NIO's thread pool answers `CancellationError` at once), so a request cancelled
/// in the middle of its transaction left the connection inside it, and every later `BEGIN` failed ("cannot start a
/// transaction within a transaction") until the gateway was restarted.
func inTransaction<T>(
    _ db: any SQLDatabase, begin: String = "BEGIN", _ body: (any SQLDatabase) async throws -> T
) async throws -> T {
    try await db.raw(SQLQueryString(begin)).run()
    do {
        let result = try await body(db)
        try await db.raw("COMMIT").run()
        return result
    } catch {
        await Task { try? await db.raw("ROLLBACK").run() }.value
        throw error
    }
}
