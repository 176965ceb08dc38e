// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// `database.*` (PROTOCOL.md §9): where the store lives and how long start-up waits for it.
public struct DatabaseSettings: Sendable {
    /// `database.url`: `sqlite:FILE` (the default) or `postgres://USER:PASSWORD@HOST:PORT/DATABASE`.
    public var url = "sqlite:efgs.sqlite"
    /// `database.connectTimeout`: seconds start-up (and every command) waits for the database before it gives up.
    public var connectTimeout: Double = 10

    /// The defaults of §9.
    public init() {}

    init(_ settings: SettingsReader) throws {
        url = settings.string("url") ?? url
        connectTimeout = try settings.seconds("connectTimeout", default: connectTimeout)
    }

    /// The URL with its password replaced by `***`, for messages and logs.
    public var maskedURL: String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
