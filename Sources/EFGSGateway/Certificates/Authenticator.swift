// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSStore
import Foundation

/// The authenticated caller (§4.4): its country and authentication certificate row.
public struct AuthenticatedCountry: Sendable {
    /// The ISO 3166-1 alpha-2 country of the certificate's only `C`.
    public var country: String
    /// SHA-256 thumbprint of the AUTHENTICATION certificate (64 lower-case hex).
    public var thumbprint: String
    /// The AUTHENTICATION row that matched, integrity-checked.
    public var row: CertificateRow
}

/// Client authentication in the three modes of PROTOCOL.md §4, with the decision sequence of §4.4. Every refusal
/// is an ``APIError`` carrying its §7.9 event (class Authentication).
public struct Authenticator: Sendable {
    let settings: AuthSettings
    let certificates: CertificateDirectory

    static let notAuthorized = "Client is not authorized to access the service"

    /// An authenticator for `settings` looking rows up in `certificates`.
    public init(settings: AuthSettings, certificates: CertificateDirectory) {
        self.settings = settings
        self.certificates = certificates
    }

    /// The caller's identity as the mode presents it: thumbprint, the certificate's countries and its DN text.
    struct PresentedIdentity {
        var thumbprint: String
        var countries: [String]
        var dnText: String
    }

    /// The caller of `request`, or a refusal (403, or 400 for a certificate without exactly one country).
    public func authenticate(_ request: APIRequest, log: EventScope, now: Date) async throws -> AuthenticatedCountry {
        let log = log.component("Authentication")
        let identity = try presentedIdentity(request, now: now)
        let attributes = [("dnString", identity.dnText), ("thumbprint", identity.thumbprint)]
        guard let country = identity.countries.first else {
            throw Self.refusal(
                400, "Client Certificate must contain country property", "Country property is missing", attributes)
        }
        guard identity.countries.count == 1 else {
            throw Self.refusal(
                400, "Client Certificate must contain exactly one country property", "Multiple country properties",
                attributes)
        }
        let row = try await certificates.verifiedRow(
            thumbprint: identity.thumbprint, country: country, type: .authentication, log: log)
        guard let row else { throw Self.refusal(403, Self.notAuthorized, "Unknown client certificate", attributes) }
        guard !row.revoked else {
            throw Self.refusal(403, "Client certificate is revoked", "Certificate is revoked", attributes)
        }
        log.info("Successful Authentication", ["dnString": identity.dnText, "thumbprint": identity.thumbprint])
        return AuthenticatedCountry(country: country, thumbprint: identity.thumbprint, row: row)
    }

    /// Steps 1–3 of §4.4: the identity the mode presents, believed only from a trusted proxy (modes a, b) or from
    /// the TLS handshake (mode c); the certificate must be valid now.
    func presentedIdentity(_ request: APIRequest, now: Date) throws -> PresentedIdentity {
        // built only for a refusal: every request passes here
        var peerText: String { request.peerAddress.map(IPAddressBytes.format) ?? "unknown" }
        var missing: APIError {
            Self.refusal(403, Self.notAuthorized, "No thumbprint or distinguish name", [("peer", peerText)])
        }
        switch settings.mode {
        case .proxyHeaders, .proxyCertificate:
            guard let peer = request.peerAddress, settings.trustedProxies.contains(where: { $0.contains(peer) }) else {
                throw Self.refusal(403, Self.notAuthorized, "Untrusted proxy address", [("peer", peerText)])
            }
            if settings.mode == .proxyHeaders {
                guard let thumbprintHeader = request.header(settings.thumbprintHeader),
                    let dnHeader = request.header(settings.dnHeader),
                    let thumbprint = Thumbprint.normalise(header: thumbprintHeader),
                    let dn = DistinguishedNameText(header: dnHeader)
                else { throw missing }
                return PresentedIdentity(thumbprint: thumbprint, countries: dn.countries, dnText: dnHeader)
            }
            guard let raw = request.header(settings.certificateHeader),
                let facts = Self.proxyCertificate(header: raw)
            else { throw missing }
            return try Self.valid(facts, now: now)
        case .mutualTLS:
            guard let der = request.tlsClientCertificate, let facts = try? CertificateFacts(der: der) else {
                throw missing
            }
            return try Self.valid(facts, now: now)
        }
    }

    /// The certificate of a mode-b header value (§4.1): percent-encoded PEM, or bare Base64 DER, of the client
    /// certificate. Nil when the value is unusable (bad `%` escape, invalid UTF-8, no certificate, not X.509).
    public static func proxyCertificate(header value: String) -> CertificateFacts? {
        guard let decoded = PercentDecoding.decode(value, plusAsSpace: false),
            let text = String(validating: decoded, as: UTF8.self),
            let der = CanonicalPEM.firstCertificateDER(in: text)
        else { return nil }
        return try? CertificateFacts(der: der)
    }

    /// The identity of a presented certificate that is valid at `now`; otherwise a 403 refusal.
    static func valid(_ facts: CertificateFacts, now: Date) throws -> PresentedIdentity {
        guard facts.isValid(at: now) else {
            throw refusal(
                403, notAuthorized, "Client certificate is not valid now",
                [
                    ("thumbprint", facts.thumbprint), ("certNotBefore", UTCTimestamp.format(facts.notBefore)),
                    ("certNotAfter", UTCTimestamp.format(facts.notAfter)),
                ])
        }
        return PresentedIdentity(thumbprint: facts.thumbprint, countries: facts.countries, dnText: facts.subjectText)
    }

    static func refusal(_ status: Int, _ message: String, _ event: String, _ attributes: [(String, String)]) -> APIError
    {
        APIError(status, message, event: .init("Authentication", .error, event, attributes))
    }
}
