// SPDX-License-Identifier: EUPL-1.2

/// `auth.*` and `tls.*` (PROTOCOL.md §4, §9): how callers are authenticated.
public struct AuthSettings: Sendable {
    /// The three modes of §4: identity headers from a trusted proxy (a), the proxy's certificate header (b), or
    /// mutual TLS at the gateway itself (c).
    public enum Mode: String, Sendable {
        case proxyHeaders, proxyCertificate, mutualTLS
    }

    /// `auth.mode`.
    public var mode = Mode.proxyHeaders
    /// `auth.trustedProxies`: the peers whose identity headers are believed (modes a and b).
    public var trustedProxies: [CIDR] = [CIDR("127.0.0.1/32")!, CIDR("::1/128")!]
    /// `auth.thumbprintHeader` (mode a).
    public var thumbprintHeader = "X-SSL-Client-SHA256"
    /// `auth.dnHeader` (mode a).
    public var dnHeader = "X-SSL-Client-DN"
    /// `auth.certificateHeader` (mode b): the URL-encoded PEM of the client certificate.
    public var certificateHeader = "X-SSL-Client-Cert"
    /// `tls.certificatePath`: the gateway's certificate chain (PEM), mode c.
    public var tlsCertificatePath: String?
    /// `tls.privateKeyPath`: the gateway's private key (PEM), mode c.
    public var tlsPrivateKeyPath: String?

    /// The defaults of §9.
    public init() {}

    init(auth: SettingsReader, tls: SettingsReader) throws {
        if let text = auth.string("mode") {
            guard let parsed = Mode(rawValue: text) else {
                throw auth.invalid("mode", "'\(text)' is not proxyHeaders, proxyCertificate or mutualTLS")
            }
            mode = parsed
        }
        if let proxies = auth.list("trustedProxies") {
            trustedProxies = try proxies.map { text in
                guard let network = CIDR(text) else { throw auth.invalid("trustedProxies", "'\(text)' is not a CIDR") }
                return network
            }
        }
        thumbprintHeader = try auth.headerName("thumbprintHeader", default: thumbprintHeader)
        dnHeader = try auth.headerName("dnHeader", default: dnHeader)
        certificateHeader = try auth.headerName("certificateHeader", default: certificateHeader)
        if thumbprintHeader.lowercased() == dnHeader.lowercased() {
            throw auth.invalid("dnHeader", "'\(dnHeader)' is also auth.thumbprintHeader; mode a needs two headers")
        }
        tlsCertificatePath = tls.string("certificatePath")
        tlsPrivateKeyPath = tls.string("privateKeyPath")
        if mode == .mutualTLS {
            if tlsCertificatePath == nil {
                throw tls.invalid("certificatePath", "required when auth.mode is mutualTLS")
            }
            if tlsPrivateKeyPath == nil { throw tls.invalid("privateKeyPath", "required when auth.mode is mutualTLS") }
        }
    }
}
