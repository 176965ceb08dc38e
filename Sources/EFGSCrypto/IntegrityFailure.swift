// SPDX-License-Identifier: EUPL-1.2

/// Why a certificate-table row failed the integrity check of PROTOCOL.md §7.6; each reason is one
/// CertificateService event of §7.9 (the reference implementation's texts).
public enum IntegrityFailure: Error, Equatable, CustomStringConvertible {
    /// The PEM or the operator signature is empty.
    case missingData
    /// The PEM is not canonical or not a certificate.
    case notCanonicalOrUnparseable
    /// The stored thumbprint is not the certificate's.
    case thumbprintMismatch
    /// The stored country is not the certificate's only subject `C`.
    case countryMismatch
    /// The operator signature does not verify with the trust anchor.
    case badOperatorSignature

    /// The §7.9 event text.
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
