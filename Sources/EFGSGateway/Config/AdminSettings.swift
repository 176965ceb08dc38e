// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto

/// `admin.*` (PROTOCOL.md §9): the admin listener with health, readiness, metrics and the operator console.
///
/// It binds loopback by default. Bound to any other address it must authenticate (the console shows every country's
/// activity and certificates): `admin.passwordHash` (HTTP basic, RFC 7617) over TLS (`admin.tlsCertificatePath` and
/// `admin.tlsPrivateKeyPath`), or the configuration is refused before anything starts.
public struct AdminSettings: Sendable {
    /// `admin.port`: nil keeps the listener off; 0 picks a free port.
    public var port: Int?
    /// `admin.host`: loopback by default.
    public var host = "127.0.0.1"
    /// `admin.user`: the user name of HTTP basic authentication.
    public var user = "operator"
    /// `admin.passwordHash` (`efgs config hash-password`): when set, every admin path but `/healthz` and `/readyz`
    /// asks for `admin.user` and this password.
    public var passwordHash: PasswordHash?
    /// `admin.tlsCertificatePath`: the admin listener's certificate chain (PEM); with the key, it serves HTTPS.
    public var tlsCertificatePath: String?
    /// `admin.tlsPrivateKeyPath`: its private key (PEM).
    public var tlsPrivateKeyPath: String?

    /// The defaults of §9.
    public init() {}

    /// Whether `host` is a loopback address or `localhost`.
    public static func isLoopback(_ host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        guard let bytes = IPAddressBytes.parse(host) else { return false }
        return bytes.count == 4 ? bytes[0] == 127 : bytes == [UInt8](repeating: 0, count: 15) + [1]
    }

    init(_ settings: SettingsReader) throws {
        if settings.string("port") != nil { port = try settings.int("port", default: 0, in: 0...65535) }
        if let text = settings.string("host") {
            guard HostName.isValid(text) else {
                throw settings.invalid("host", "'\(text)' is not an IP address or host name")
            }
            host = text
        }
        if let text = settings.string("user") {
            guard !text.isEmpty, !text.contains(":"),
                text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0 != "\u{7F}" })
            else { throw settings.invalid("user", "a name without spaces, controls or ':' (RFC 7617)") }
            user = text
        }
        if let text = settings.string("passwordHash") {
            do {
                passwordHash = try PasswordHash(parsing: text)
            } catch {
                throw settings.invalid("passwordHash", "\(error)")
            }
        }
        tlsCertificatePath = settings.string("tlsCertificatePath")
        tlsPrivateKeyPath = settings.string("tlsPrivateKeyPath")
        guard (tlsCertificatePath == nil) == (tlsPrivateKeyPath == nil) else {
            throw settings.invalid(
                tlsCertificatePath == nil ? "tlsCertificatePath" : "tlsPrivateKeyPath",
                "admin.tlsCertificatePath and admin.tlsPrivateKeyPath go together")
        }
        if port != nil, !Self.isLoopback(host), passwordHash == nil || tlsCertificatePath == nil {
            throw settings.invalid(
                "host",
                "'\(host)' is not loopback: the admin listener (console, metrics) then needs admin.passwordHash "
                    + "(efgs config hash-password) and admin.tlsCertificatePath/admin.tlsPrivateKeyPath, "
                    + "or bind admin.host to 127.0.0.1")
        }
    }
}
