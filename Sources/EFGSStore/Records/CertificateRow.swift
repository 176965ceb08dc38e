// SPDX-License-Identifier: EUPL-1.2

/// Certificate types of the certificate table (PROTOCOL.md §1, §7.6).
public enum CertificateType: String, Sendable, CaseIterable {
    /// The client certificate a national backend authenticates with (§4).
    case authentication = "AUTHENTICATION"
    /// The certificate that signs upload batches (§6.4).
    case signing = "SIGNING"
    /// A callback server's certificate, pinned on delivery (§7.5).
    case callback = "CALLBACK"
}

/// A certificate-table row (§7.6): unique per (thumbprint, type), managed by operator commands only.
public struct CertificateRow: Sendable, Equatable {
    /// Row id; nil until the row is stored.
    public var id: Int64?
    /// Creation time, epoch milliseconds.
    public var createdAt: Int64
    /// SHA-256 of the certificate's DER, 64 lower-case hex digits.
    public var thumbprint: String
    /// The owning country, two upper-case letters.
    public var country: String
    /// What the certificate is trusted for.
    public var type: CertificateType
    /// A revoked row is treated as absent.
    public var revoked: Bool
    /// CALLBACK rows only: the host the certificate may serve; nil for any host of the country's subscriptions.
    public var host: String?
    /// The certificate in canonical PEM (§7.6).
    public var pem: String
    /// The trust anchor's signature over the exact PEM text, Base64 on one line.
    public var operatorSignature: String

    /// A row as imported by `cert import` (§7.8): not revoked and any host unless given; `id` is set by the store.
    public init(
        id: Int64? = nil, createdAt: Int64, thumbprint: String, country: String, type: CertificateType,
        revoked: Bool = false, host: String? = nil, pem: String, operatorSignature: String
    ) {
        self.id = id
        self.createdAt = createdAt
        self.thumbprint = thumbprint
        self.country = country
        self.type = type
        self.revoked = revoked
        self.host = host
        self.pem = pem
        self.operatorSignature = operatorSignature
    }
}
