// SPDX-License-Identifier: EUPL-1.2

@_spi(Testing) import EFGSStore
import Foundation
import Logging

/// Where the store-backed tests keep their data: a new SQLite file, or — when `EFGS_TEST_POSTGRES_URL` is set
/// (CI runs the store and gateway suites a second time that way) — a real PostgreSQL database whose `public`
/// schema is emptied for each test.
public enum TestDatabase {
    public static var postgresURL: String? {
        ProcessInfo.processInfo.environment["EFGS_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The `database.url` for a test: PostgreSQL when configured, else `sqlite:<sqliteFile>`.
    public static func url(sqliteFile: String) -> String { postgresURL ?? "sqlite:" + sqliteFile }

    /// Opens the store at `url` with an empty schema (PostgreSQL: `public` dropped and recreated) and migrates it.
    public static func openFresh(url: String) async throws -> SQLGatewayStore {
        let store = try await SQLGatewayStore.open(url: url, logger: Logger(label: "test"))
        if store.isPostgres { try await store.resetSchema() }
        try await store.migrate()
        return store
    }

    /// A trigger that makes a statement fail inside the database: the tests of what the gateway does when a write
    /// fails half-way (a purge) or keeps conflicting (an upload) create it, run the code, then remove it.
    public struct InjectedFault: Sendable {
        /// The statements that create the trigger (and on PostgreSQL its function), run in order.
        public let creation: [String]
        /// The statements that remove them.
        public let removal: [String]

        /// Every `event` (`INSERT`, `UPDATE` or `DELETE`) of a row of `table` that meets `condition` (SQL over `NEW`
        /// or `OLD`; nil: every row) fails with `message`, on PostgreSQL with SQLSTATE `sqlState` (nil: P0001, a
        /// plain `RAISE EXCEPTION`). SQLite has no SQLSTATE: there the message must be what the store recognises
        /// (`UNIQUE constraint failed: …` for a unique violation).
        public init(
            _ name: String, before event: String, on table: String, when condition: String? = nil, message: String,
            sqlState: String? = nil
        ) {
            let text = "'" + message.replacingOccurrences(of: "'", with: "''") + "'"
            if TestDatabase.postgresURL != nil {
                let code = sqlState.map { " USING ERRCODE = '\($0)'" } ?? ""
                creation = [
                    "CREATE FUNCTION \(name)() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION \(text)\(code);"
                        + " END $$",
                    "CREATE TRIGGER \(name) BEFORE \(event) ON \(table) FOR EACH ROW"
                        + (condition.map { " WHEN (\($0))" } ?? "") + " EXECUTE FUNCTION \(name)()",
                ]
                removal = ["DROP TRIGGER \(name) ON \(table)", "DROP FUNCTION \(name)()"]
            } else {
                creation = [
                    "CREATE TRIGGER \(name) BEFORE \(event) ON \(table)" + (condition.map { " WHEN \($0)" } ?? "")
                        + " BEGIN SELECT RAISE(ABORT, \(text)); END"
                ]
                removal = ["DROP TRIGGER \(name)"]
            }
        }

        /// Every insert into `upload_batches` fails as a unique violation would (PostgreSQL: SQLSTATE 23505), so
        /// every attempt of an upload meets a conflict.
        public static let uploadConflict = InjectedFault(
            "always_conflict", before: "INSERT", on: "upload_batches",
            message: "UNIQUE constraint failed: injected conflict", sqlState: "23505")
    }
}
