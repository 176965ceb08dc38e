// SPDX-License-Identifier: EUPL-1.2

/// `server.*` (PROTOCOL.md §9): where the public API listens.
public struct ServerSettings: Sendable {
    /// `server.host`: the address to bind.
    public var host = "0.0.0.0"
    /// `server.port`: the port to bind; 0 picks a free one.
    public var port = 8090
    /// `server.basePath`: a path prefix in front of `/diagnosiskeys`, without a trailing slash; empty for none.
    public var basePath = ""

    /// `server.maxConnections`: open connections at most; above it the listener stops accepting (new clients wait
    /// in the kernel's backlog). Start-up refuses a value the process's file-descriptor limit cannot hold.
    public var maxConnections = 4000
    /// `server.maxConnectionsPerPeer`: open connections at most from one peer address; a connection above it is
    /// closed at once. Peers in `auth.trustedProxies` are exempt in the proxy modes (every client arrives through
    /// them); 0 switches the cap off.
    public var maxConnectionsPerPeer = 64
    /// `server.requestHeadTimeout`: seconds from a connection's start (after its TLS handshake) to a complete first
    /// request head; a slow or silent peer is disconnected.
    public var requestHeadTimeout: Double = 10
    /// `server.requestBodyTimeout`: seconds from a request head to the end of its body.
    public var requestBodyTimeout: Double = 60
    /// `server.idleTimeout`: seconds a keep-alive connection may wait for (and send) its next request head.
    public var idleTimeout: Double = 60
    /// `server.writeTimeout`: seconds a response may wait for a peer that does not read it (the connection stays
    /// unwritable: the kernel's send buffer is full); the peer is disconnected. A peer must read about a third of
    /// that buffer (up to about 1.3 MB) or a piece of the response (up to 1 MiB), whichever is more, within this
    /// time: at 30 s, any peer reading faster than about 45 KB/s is served, however long the download takes.
    public var writeTimeout: Double = 30
    /// `server.tlsHandshakeTimeout`: seconds for the TLS handshake in mutual-TLS mode.
    public var tlsHandshakeTimeout: Double = 10
    /// `server.serverHeader`: whether responses carry `Server: efgs-swift/VERSION` (``EFGSVersion/serverName``);
    /// off, they carry no `Server` header (security scanners flag version disclosure).
    public var serverHeader = true

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
        maxConnections = try settings.int("maxConnections", default: maxConnections, in: 1...1_000_000)
        maxConnectionsPerPeer = try settings.int(
            "maxConnectionsPerPeer", default: maxConnectionsPerPeer, in: 0...1_000_000)
        requestHeadTimeout = try settings.seconds("requestHeadTimeout", default: requestHeadTimeout)
        requestBodyTimeout = try settings.seconds("requestBodyTimeout", default: requestBodyTimeout)
        idleTimeout = try settings.seconds("idleTimeout", default: idleTimeout)
        writeTimeout = try settings.seconds("writeTimeout", default: writeTimeout)
        tlsHandshakeTimeout = try settings.seconds("tlsHandshakeTimeout", default: tlsHandshakeTimeout)
        serverHeader = try settings.bool("serverHeader", default: serverHeader)
    }
}
