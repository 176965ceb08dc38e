// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSClient
import EFGSCrypto
import EFGSProtocol
import Foundation

/// How to reach the gateway and who we are (PROTOCOL.md §4.1).
struct ClientConnection: ParsableArguments {
    enum Identity: String, ExpressibleByArgument, CaseIterable {
        /// TLS client certificate (the gateway in mode c, or nginx in front of it in mode a or b).
        case mtls
        /// As the trusted proxy: thumbprint and DN headers (mode a).
        case headers
        /// As the trusted proxy: the certificate as a URL-encoded PEM header (mode b).
        case certificateHeader = "certificate-header"
    }

    @Option(help: "Gateway base URL, e.g. https://efgs.example.eu (the path before /diagnosiskeys).") var gateway:
        String
    @Option(help: "Authentication certificate (PEM).") var cert: String
    @Option(help: "Its private key (PEM); needed for --identity mtls.") var key: String?
    @Option(
        help:
            "How the identity is presented: mtls (default), headers (mode a, as the trusted proxy) or certificate-header (mode b, as the trusted proxy)."
    )
    var identity: Identity = .mtls
    @Option(
        help:
            "CA or self-signed certificate(s) (PEM) trusted for the gateway's TLS certificate; the system roots when absent."
    )
    var gatewayCa: String?

    func client() throws -> GatewayClient {
        let certPEM = try readText(cert, "--cert")
        guard CanonicalPEM.firstCertificateDER(in: certPEM) != nil else {
            throw ValidationError("--cert: \(cert) holds no X.509 certificate")
        }
        if identity == .mtls, key == nil { throw ValidationError("--key: required with --identity mtls") }
        let id = try Self.clientIdentity(
            identity, certificatePEM: certPEM, privateKeyPEM: try key.map { try readText($0, "--key") })
        let trust: ServerTrust =
            try gatewayCa.map { .certificates(pem: try readText($0, "--gateway-ca")) } ?? .systemRoots
        do { return try GatewayClient(baseURL: gateway, identity: id, serverTrust: trust) } catch {
            throw ValidationError("cannot set up the connection: \(error)")
        }
    }

    /// The identity `kind` made of an authentication certificate (PEM) and, for `mtls`, its private key (PEM).
    static func clientIdentity(
        _ kind: Identity, certificatePEM: String, privateKeyPEM: String?
    ) throws -> ClientIdentity {
        guard let der = CanonicalPEM.firstCertificateDER(in: certificatePEM),
            let facts = try? CertificateFacts(der: der)
        else {
            throw ValidationError("the authentication certificate holds no X.509 certificate")
        }
        switch kind {
        case .mtls:
            guard let privateKeyPEM else { throw ValidationError("--identity mtls needs the private key") }
            return .mutualTLS(certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM)
        case .headers:
            return .proxyHeaders(thumbprint: facts.thumbprint, dn: facts.certificate.subject.description)
        case .certificateHeader:
            return .proxyCertificate(certificatePEM: CanonicalPEM.encode(der: der))
        }
    }

    /// Runs `body` with a client that is shut down afterwards, whether `body` returns or throws.
    func withClient<T>(_ body: (GatewayClient) async throws -> T) async throws -> T {
        let client = try client()
        do {
            let result = try await body(client)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
