// SPDX-License-Identifier: EUPL-1.2

/// How a national backend proves who it is to the gateway (PROTOCOL.md §4.1).
public enum ClientIdentity: Sendable {
    /// Mutual TLS with a client certificate and key: the gateway terminating TLS (mode c) or a TLS proxy in front of
    /// it (nginx with mode a or b) — what a national backend uses in production.
    case mutualTLS(certificatePEM: String, privateKeyPEM: String)
    /// Speaking as the trusted proxy itself, mode a: thumbprint and DN headers (tests, a backend inside the proxy's
    /// network).
    case proxyHeaders(thumbprint: String, dn: String)
    /// Speaking as the trusted proxy itself, mode b: the certificate as a URL-encoded PEM header.
    case proxyCertificate(certificatePEM: String)
}
