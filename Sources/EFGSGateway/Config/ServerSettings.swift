/// `server.*` (PROTOCOL.md §9): where the public API listens.
public struct ServerSettings: Sendable {
    /// `server.host`: the address to bind.
    public var host = "0.0.0.0"
    /// `server.port`: the port to bind; 0 picks a free one.
    public var port = 8090
    /// `server.basePath`: a path prefix in front of `/diagnosiskeys`, without a trailing slash; empty for none.
    public var basePath = ""

    /// The defaults of §9.
    public init() {}

    init(_ settings: SettingsReader) throws {
        host = settings.string("host") ?? host
        port = try settings.int("port", default: port, in: 0...65535)
        basePath = settings.string("basePath") ?? ""
        if !basePath.isEmpty {
            guard basePath.hasPrefix("/") else { throw settings.invalid("basePath", "must start with /") }
            while basePath.hasSuffix("/") { basePath.removeLast() }
        }
    }
}
