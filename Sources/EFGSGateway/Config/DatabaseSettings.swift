// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// `database.*` (PROTOCOL.md §9): where the store lives and how long start-up waits for it.
public struct DatabaseSettings: Sendable {
    /// `database.url`: `sqlite:FILE` (the default) or `postgres://USER:PASSWORD@HOST:PORT/DATABASE`.
    public var url = "sqlite:efgs.sqlite"
    /// `database.connectTimeout`: seconds start-up (and every command) waits for the database before it gives up.
    public var connectTimeout: Double = 10
    /// `database.leaseTimeout`: seconds an operation waits for a PostgreSQL connection before it gives up and the
    /// API answers 503 (the database is away: stopped, restarting, unreachable).
    public var leaseTimeout: Double = 5
    /// `database.sqliteCacheMegabytes`: SQLite only, the most memory (MiB) the writing connection's page cache
    /// holds (the reading connection's: a quarter of it, at least 2; SQLite empties a reader's cache whenever the
    /// WAL changed, so a large one gains little under uploads). The dedup-MAC index takes one random leaf page per
    /// uploaded key, so a cache much smaller than the index means page reads and mid-transaction spills on every
    /// upload; the memory is taken only as pages are used.
    public var sqliteCacheMegabytes = 64

    /// The defaults of §9.
    public init() {}

    init(_ settings: SettingsReader) throws {
        if let text = settings.string("url") {
            if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
                guard let components = URLComponents(string: text), components.host?.isEmpty == false else {
                    throw settings.invalid("url", "'\(Self.masked(text))' is not postgres://USER@HOST:PORT/DATABASE")
                }
            } else if text.contains("://") {
                throw settings.invalid("url", "'\(Self.masked(text))' is neither sqlite:FILE nor postgres://…")
            } else if text == "sqlite:" {
                throw settings.invalid("url", "'sqlite:' names no SQLite file")
            }
            url = text
        }
        connectTimeout = try settings.seconds("connectTimeout", default: connectTimeout)
        leaseTimeout = try settings.seconds("leaseTimeout", default: leaseTimeout)
        sqliteCacheMegabytes = try settings.int("sqliteCacheMegabytes", default: sqliteCacheMegabytes, in: 1...65_536)
    }

    /// The URL with its password replaced by `***`, for messages and logs.
    public var maskedURL: String { Self.masked(url) }

    /// `url` with its password replaced by `***`.
    static func masked(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
