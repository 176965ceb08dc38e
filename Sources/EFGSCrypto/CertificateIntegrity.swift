import Foundation

/// The fields of a certificate-table row that the integrity check covers (PROTOCOL.md §7.6).
public struct CertificateRowContent: Sendable, Equatable {
    public var thumbprint: String
    public var country: String
    public var pem: String
    public var operatorSignature: String

    public init(thumbprint: String, country: String, pem: String, operatorSignature: String) {
        self.thumbprint = thumbprint; self.country = country; self.pem = pem; self.operatorSignature = operatorSignature
    }
}

/// Why a row failed the integrity check; each reason is one CertificateService event of §7.9.
public enum IntegrityFailure: Error, Equatable, CustomStringConvertible {
    case missingData, notCanonicalOrUnparseable, thumbprintMismatch, countryMismatch, badOperatorSignature

    public var description: String {
        switch self {
        case .missingData: return "Certificate entity does not contain raw certificate or certificate signature."
        case .notCanonicalOrUnparseable: return "Raw certificate data does not contain a valid x509Certificate."
        case .thumbprintMismatch: return "Thumbprint in database does not match thumbprint of stored certificate."
        case .countryMismatch: return "Certificate country does not match stored country."
        case .badOperatorSignature: return "Verification of certificate signature failed!"
        }
    }
}

extension TrustAnchor {
    /// Runs the integrity check of §7.6 on a row; returns the parsed certificate when it passes.
    public func checkIntegrity(of row: CertificateRowContent) throws -> CertificateFacts {
        guard !row.pem.isEmpty, !row.operatorSignature.isEmpty else { throw IntegrityFailure.missingData }
        guard let der = CanonicalPEM.canonicalDER(row.pem), let facts = try? CertificateFacts(der: der) else {
            throw IntegrityFailure.notCanonicalOrUnparseable
        }
        guard facts.thumbprint == row.thumbprint else { throw IntegrityFailure.thumbprintMismatch }
        guard facts.countries == [row.country] else { throw IntegrityFailure.countryMismatch }
        guard isValidSignature(base64: row.operatorSignature, over: row.pem) else { throw IntegrityFailure.badOperatorSignature }
        return facts
    }
}
