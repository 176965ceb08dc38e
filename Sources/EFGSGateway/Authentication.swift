import EFGSCrypto
import EFGSProtocol
import EFGSStore
import Foundation
import X509

/// The authenticated caller (§4.4): its country and authentication certificate row.
public struct AuthenticatedCountry: Sendable {
    public var country: String
    public var thumbprint: String
    public var row: CertificateRow
}

/// Client authentication in the three modes of PROTOCOL.md §4, with the decision sequence of §4.4.
public struct Authenticator: Sendable {
    let config: GatewayConfiguration
    let certificates: CertificateDirectory

    static let notAuthorized = "Client is not authorized to access the service"

    public func authenticate(_ req: APIRequest, log: EventScope, now: Date) async throws -> Result<AuthenticatedCountry, APIResponse> {
        let log = log.component("Authentication")
        let thumbprint: String
        let countries: [String]
        let dnText: String
        switch config.authMode {
        case .proxyHeaders, .proxyCertificate:
            // step 1: identity headers are believed only from a trusted proxy
            guard let peer = req.peerAddress, config.trustedProxies.contains(where: { $0.contains(peer) }) else {
                log.error("Untrusted proxy address", ["peer": req.peerAddress.map(IPAddressBytes.format) ?? "unknown"])
                return .failure(.error(403, Self.notAuthorized))
            }
            if config.authMode == .proxyHeaders {
                guard let tpHeader = req.header(config.thumbprintHeader), let dnHeader = req.header(config.dnHeader) else {
                    log.error("No thumbprint or distinguish name", ["peer": IPAddressBytes.format(peer)])
                    return .failure(.error(403, Self.notAuthorized))
                }
                guard let tp = Thumbprint.normalise(header: tpHeader), let dn = DistinguishedNameText(header: dnHeader) else {
                    log.error("No thumbprint or distinguish name", ["peer": IPAddressBytes.format(peer)])
                    return .failure(.error(403, Self.notAuthorized))
                }
                thumbprint = tp; countries = dn.countries; dnText = dnHeader
            } else {
                guard let raw = req.header(config.certificateHeader),
                      let decoded = PercentDecoding.decode(raw, plusAsSpace: false),
                      let text = String(validating: decoded, as: UTF8.self),
                      let der = CanonicalPEM.firstCertificateDER(in: text),
                      let facts = try? CertificateFacts(der: der) else {
                    log.error("No thumbprint or distinguish name", ["peer": IPAddressBytes.format(peer)])
                    return .failure(.error(403, Self.notAuthorized))
                }
                guard facts.isValid(at: now) else { return .failure(Self.notValidNow(facts, log)) }
                thumbprint = facts.thumbprint; countries = facts.countries; dnText = facts.subjectText
            }
        case .mutualTLS:
            guard let der = req.tlsClientCertificate, let facts = try? CertificateFacts(der: der) else {
                log.error("No thumbprint or distinguish name", ["peer": req.peerAddress.map(IPAddressBytes.format) ?? "unknown"])
                return .failure(.error(403, Self.notAuthorized))
            }
            guard facts.isValid(at: now) else { return .failure(Self.notValidNow(facts, log)) }
            thumbprint = facts.thumbprint; countries = facts.countries; dnText = facts.subjectText
        }
        guard let country = countries.first else {
            log.error("Country property is missing", ["dnString": dnText, "thumbprint": thumbprint])
            return .failure(.error(400, "Client Certificate must contain country property"))
        }
        guard countries.count == 1 else {
            log.error("Multiple country properties", ["dnString": dnText, "thumbprint": thumbprint])
            return .failure(.error(400, "Client Certificate must contain exactly one country property"))
        }
        guard let row = try await certificates.verifiedRow(thumbprint: thumbprint, country: country, type: .authentication, log: log) else {
            log.error("Unknown client certificate", ["dnString": dnText, "thumbprint": thumbprint])
            return .failure(.error(403, Self.notAuthorized))
        }
        guard !row.revoked else {
            log.error("Certificate is revoked", ["dnString": dnText, "thumbprint": thumbprint])
            return .failure(.error(403, "Client certificate is revoked"))
        }
        log.info("Successful Authentication", ["dnString": dnText, "thumbprint": thumbprint])
        return .success(AuthenticatedCountry(country: country, thumbprint: thumbprint, row: row))
    }

    static func notValidNow(_ facts: CertificateFacts, _ log: EventScope) -> APIResponse {
        log.error("Client certificate is not valid now", ["thumbprint": facts.thumbprint,
                                                          "certNotBefore": UTCTimestamp.format(facts.notBefore),
                                                          "certNotAfter": UTCTimestamp.format(facts.notAfter)])
        return .error(403, notAuthorized)
    }
}

/// Certificate-table lookups with the integrity check on every lookup (§7.6).
public struct CertificateDirectory: Sendable {
    let store: any GatewayStore
    let trustAnchor: TrustAnchor

    /// The first row (thumbprint, type) whose country is `country` and that passes the integrity check; a
    /// failing row is treated as absent and logged.
    public func verifiedRow(thumbprint: String, country: String, type: CertificateType, log: EventScope) async throws -> CertificateRow? {
        let rows = try await store.certificates(thumbprint: thumbprint, type: type).filter { $0.country == country }
        return rows.lazy.compactMap { row in integrityChecked(row, log: log).map { _ in row } }.first
    }

    /// The non-revoked CALLBACK rows of `country` that pass the integrity check and whose `host`, when set, is
    /// `host` (case-insensitive), with their certificates — the candidates for a callback host (§5.6, §7.5).
    func callbackRows(country: String, host: String, log: EventScope) async throws -> [(row: CertificateRow, facts: CertificateFacts)] {
        try await store.certificates(country: country, type: .callback).compactMap { row in
            guard !row.revoked, row.host.map({ $0.lowercased() == host }) ?? true else { return nil }
            return integrityChecked(row, log: log).map { (row, $0) }
        }
    }

    /// The row's certificate when it passes the integrity check (§7.6); otherwise nil, and the failure is logged.
    func integrityChecked(_ row: CertificateRow, log: EventScope) -> CertificateFacts? {
        do {
            return try trustAnchor.checkIntegrity(of: .init(thumbprint: row.thumbprint, country: row.country, pem: row.pem, operatorSignature: row.operatorSignature))
        } catch {
            log.component("CertificateService").error(String(describing: error), ["certVerifyThumbprint": row.thumbprint])
            return nil
        }
    }
}
