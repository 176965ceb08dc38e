// SPDX-License-Identifier: EUPL-1.2

/// A CMS signature that verified over the batch stream. The signer's registration (row, country) is checked by
/// the caller (PROTOCOL.md §6.4), which owns the certificate table.
public struct VerifiedBatchSignature: Sendable {
    /// The certificate that signed, taken from the CMS `certificates` field.
    public var signer: CertificateFacts
    /// The SignerInfo's digestAlgorithm OID in dotted form.
    public var digestAlgorithm: String
    /// The SignerInfo's signatureAlgorithm OID in dotted form.
    public var signatureAlgorithm: String
    /// True when SHA-1 was involved and accepted because `allowLegacySha1` is on (logged at WARN).
    public var usedLegacySha1: Bool
}
