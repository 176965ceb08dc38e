// SPDX-License-Identifier: EUPL-1.2

/// The fields of a certificate-table row that the integrity check covers (PROTOCOL.md §7.6).
public struct CertificateRowContent: Sendable, Hashable {
    /// The stored thumbprint (§1).
    public var thumbprint: String
    /// The stored country code.
    public var country: String
    /// The stored canonical PEM.
    public var pem: String
    /// The trust anchor's Base64 signature over `pem`.
    public var operatorSignature: String

    /// The content of one row.
    public init(thumbprint: String, country: String, pem: String, operatorSignature: String) {
        self.thumbprint = thumbprint
        self.country = country
        self.pem = pem
        self.operatorSignature = operatorSignature
    }
}
