// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import Foundation

/// Callback URL rules of PROTOCOL.md §7.5: absolute `https` URL ≤ 256 characters, ASCII host, no user info,
/// query or fragment; every resolved address public.
public struct CallbackURLPolicy: Sendable {
    /// `callback.allowLoopback` (development only): also accept 127.0.0.0/8 and ::1.
    public var allowLoopback: Bool
    /// Resolves a host to address bytes (A and AAAA), off the request path. Replaceable in tests.
    public var resolve: @Sendable (String) async -> [[UInt8]]

    /// A policy resolving through ``HostResolver/shared`` (the `callback.dns*` defaults) unless another resolver is
    /// given; the gateway passes the resolver of its settings (``HostResolver/shared(for:)``).
    public init(
        allowLoopback: Bool,
        resolve: @escaping @Sendable (String) async -> [[UInt8]] = { await HostResolver.shared.resolve($0) }
    ) {
        self.allowLoopback = allowLoopback
        self.resolve = resolve
    }

    /// The rule a URL breaks; each maps to one §7.9 CallbackService message.
    public enum Violation: Error, Equatable {
        /// Not an absolute URL, or a malformed IPv6 literal or port, or no host (`Could not parse URL`).
        case syntax(String)
        /// Scheme other than `https`; a `?` anywhere, even bare.
        case notHTTPS, hasQuery
        /// Length or characters, user info or fragment (`Callback URL violates URL rules`).
        case rules(String)
        /// The host resolved to no address (or not in time).
        case unresolvable(host: String)
        /// One of the host's addresses is not public.
        case privateAddress(host: String, address: [UInt8])
    }

    /// A URL that passed every rule, with the addresses vetted for it: a delivery connects only to these.
    public struct VettedURL: Sendable, Equatable {
        /// Lower-case host without trailing dots; an IP literal without brackets.
        public var host: String
        /// The URL's port, 443 when absent.
        public var port: Int
        /// The path, `/` when empty.
        public var path: String
        /// The vetted addresses (4 or 16 bytes each), tried in this order.
        public var addresses: [[UInt8]]
        /// Whether `host` is an IP literal (then no SNI is sent).
        public var hostIsIPLiteral: Bool { IPAddressBytes.parse(host) != nil }
        /// The `Host` header value: host (bracketed for IPv6) and the port when it is not 443.
        public var hostHeader: String {
            let h = host.contains(":") ? "[\(host)]" : host
            return port == 443 ? h : "\(h):\(port)"
        }
    }

    /// Applies the rules to `url` and resolves its host; every resolved address must be public.
    public func vet(_ url: String) async -> Result<VettedURL, Violation> {
        guard url.utf8.count <= 256,
            url.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value != 0x7F })
        else {
            return .failure(.rules("length or characters"))
        }
        guard let schemeEnd = url.range(of: "://") else { return .failure(.syntax("not absolute")) }
        guard url[..<schemeEnd.lowerBound].lowercased() == "https" else { return .failure(.notHTTPS) }
        if url.contains("?") { return .failure(.hasQuery) }
        if url.contains("#") { return .failure(.rules("fragment")) }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        if authority.contains("@") { return .failure(.rules("user info")) }
        var host = String(authority)
        var port = 443
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return .failure(.syntax("bad IPv6 literal")) }
            let after = host[host.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                    return .failure(.syntax("bad port"))
                }
                port = p
            }
            host = String(host[host.index(after: host.startIndex)..<close])
            guard IPAddressBytes.parse(host)?.count == 16 else { return .failure(.syntax("bad IPv6 literal")) }
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]), (1...65535).contains(p) else {
                return .failure(.syntax("bad port"))
            }
            port = p
            host = String(host[..<colon])
        }
        while host.hasSuffix(".") { host.removeLast() }
        guard !host.isEmpty else { return .failure(.syntax("no host")) }
        let addresses = await resolve(host)
        guard !addresses.isEmpty else { return .failure(.unresolvable(host: host)) }
        for a in addresses where !isPublic(a) { return .failure(.privateAddress(host: host, address: a)) }
        return .success(
            VettedURL(
                host: host.lowercased(), port: port, path: path.isEmpty ? "/" : String(path), addresses: addresses))
    }

    static let blockedV4: [CIDR] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24", "192.88.99.0/24",
        "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
        "224.0.0.0/4", "240.0.0.0/4",
    ].map { CIDR($0)! }
    static let globalV6 = CIDR("2000::/3")!
    static let blockedV6: [CIDR] = ["2001::/23", "2001:db8::/32", "2002::/16", "3fff::/20"].map { CIDR($0)! }

    /// Whether an address (4 or 16 bytes) is allowed as a callback target: IPv4 outside the §7.5 blocked ranges,
    /// IPv6 inside 2000::/3 and outside its special ranges; with `allowLoopback` also 127.0.0.0/8 and ::1.
    public func isPublic(_ a: [UInt8]) -> Bool {
        if a.count == 4 {
            if allowLoopback, a[0] == 127 { return true }
            return !Self.blockedV4.contains { $0.contains(a) }
        }
        if allowLoopback, a == [UInt8](repeating: 0, count: 15) + [1] { return true }
        return Self.globalV6.contains(a) && !Self.blockedV6.contains { $0.contains(a) }
    }
}
