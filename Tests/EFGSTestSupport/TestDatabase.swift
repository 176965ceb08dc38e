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

    /// Statements that make every insert into `upload_batches` fail as a unique violation would (SQLite: the
    /// message `UNIQUE constraint failed`; PostgreSQL: SQLSTATE 23505), so every attempt of an upload meets a
    /// conflict; ``uploadConflictRemoval`` undoes them.
    public static var uploadConflictInjection: [String] {
        postgresURL != nil
            ? [
                """
                CREATE FUNCTION always_conflict() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'injected conflict' USING ERRCODE = 'unique_violation'; END $$
                """,
                "CREATE TRIGGER always_conflict BEFORE INSERT ON upload_batches EXECUTE FUNCTION always_conflict()",
            ]
            : [
                """
                CREATE TRIGGER always_conflict BEFORE INSERT ON upload_batches
                BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: injected conflict'); END
                """
            ]
    }

    /// Removes the trigger of ``uploadConflictInjection``.
    public static var uploadConflictRemoval: String {
        postgresURL != nil ? "DROP TRIGGER always_conflict ON upload_batches" : "DROP TRIGGER always_conflict"
    }
}
