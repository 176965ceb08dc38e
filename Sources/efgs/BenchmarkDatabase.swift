// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSStore
import Logging

/// `--database-url` and `--reset-database` of `efgs benchmark` and `efgs benchmark-scale`: a throw-away PostgreSQL
/// database to measure instead of a fresh SQLite file.
struct BenchmarkDatabase: ParsableArguments {
    @Option(
        help:
            "PostgreSQL database to measure instead of SQLite (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE); needs --reset-database."
    )
    var databaseURL: String?
    @Flag(
        help: "Allow the benchmark to drop every table of --database-url's public schema (a throw-away database only).")
    var resetDatabase = false

    func validate() throws {
        if databaseURL != nil && !resetDatabase {
            throw ValidationError("--database-url: the benchmark empties that database; confirm with --reset-database")
        }
    }

    /// The `database.url` of the benchmark's configuration: the PostgreSQL database, or `sqlite:` `dir`/efgs.sqlite.
    func url(in dir: String) -> String { databaseURL ?? "sqlite:\(dir)/efgs.sqlite" }

    /// The store's name in the printed figures.
    var storeName: String { databaseURL != nil ? "PostgreSQL" : "SQLite WAL" }

    /// Drops every table of the PostgreSQL database (nothing for SQLite: its file is new).
    func reset() async throws {
        guard let databaseURL else { return }
        let store = try await SQLGatewayStore.open(url: databaseURL, logger: Logger(label: "bench"))
        do {
            try await store.resetSchema()
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }
}
