// SPDX-License-Identifier: EUPL-1.2

/// `admin.*` (PROTOCOL.md §9): the admin listener with health, readiness and metrics.
public struct AdminSettings: Sendable {
    /// `admin.port`: nil keeps the listener off; 0 picks a free port.
    public var port: Int?
    /// `admin.host`: loopback by default.
    public var host = "127.0.0.1"

    /// The defaults of §9.
    public init() {}

    init(_ settings: SettingsReader) throws {
        if settings.string("port") != nil { port = try settings.int("port", default: 0, in: 0...65535) }
        if let text = settings.string("host") {
            guard HostName.isValid(text) else {
                throw settings.invalid("host", "'\(text)' is not an IP address or host name")
            }
            host = text
        }
    }

}
