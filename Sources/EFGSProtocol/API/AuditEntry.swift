// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// One entry of the audit answer (PROTOCOL.md §5.5, §7.4): one upload batch of another country within the
/// download batch, with the certificate snapshots and operator signatures a downloader needs to re-verify it.
public struct AuditEntry: Codable, Sendable, Equatable {
    /// The uploading country.
    public var country: String
    /// When the upload was accepted (`yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`).
    public var uploadedTime: String
    /// The uploader's AUTHENTICATION certificate (canonical PEM) at upload time.
    public var uploaderCertificate: String
    /// SHA-256 thumbprint of the AUTHENTICATION certificate (64 lower-case hex).
    public var uploaderThumbprint: String
    /// The trust anchor's signature (Base64) over the AUTHENTICATION certificate row.
    public var uploaderOperatorSignature: String
    /// The SIGNING certificate (canonical PEM) that signed the batch.
    public var signingCertificate: String
    /// SHA-256 thumbprint of the SIGNING certificate.
    public var uploaderSigningThumbprint: String
    /// The trust anchor's signature (Base64) over the SIGNING certificate row.
    public var signingCertificateOperatorSignature: String
    /// How many keys of the download batch this upload contributes, in download order.
    public var amount: Int
    /// The detached CMS signature (Base64) the upload carried.
    public var batchSignature: String

    /// An entry with every member given.
    public init(
        country: String, uploadedTime: String, uploaderCertificate: String, uploaderThumbprint: String,
        uploaderOperatorSignature: String, signingCertificate: String, uploaderSigningThumbprint: String,
        signingCertificateOperatorSignature: String, amount: Int, batchSignature: String
    ) {
        self.country = country
        self.uploadedTime = uploadedTime
        self.uploaderCertificate = uploaderCertificate
        self.uploaderThumbprint = uploaderThumbprint
        self.uploaderOperatorSignature = uploaderOperatorSignature
        self.signingCertificate = signingCertificate
        self.uploaderSigningThumbprint = uploaderSigningThumbprint
        self.signingCertificateOperatorSignature = signingCertificateOperatorSignature
        self.amount = amount
        self.batchSignature = batchSignature
    }

    /// The entry as the gateway writes it: members in the order of §7.4, compact, never null.
    public var jsonText: String {
        let q = JSONText.quoted
        return "{\"country\":\(q(country)),\"uploadedTime\":\(q(uploadedTime))"
            + ",\"uploaderCertificate\":\(q(uploaderCertificate)),\"uploaderThumbprint\":\(q(uploaderThumbprint))"
            + ",\"uploaderOperatorSignature\":\(q(uploaderOperatorSignature))"
            + ",\"signingCertificate\":\(q(signingCertificate))"
            + ",\"uploaderSigningThumbprint\":\(q(uploaderSigningThumbprint))"
            + ",\"signingCertificateOperatorSignature\":\(q(signingCertificateOperatorSignature))"
            + ",\"amount\":\(amount),\"batchSignature\":\(q(batchSignature))}"
    }

    /// The exact bytes of an audit answer: a JSON array of entries.
    public static func encoded(_ entries: [AuditEntry]) -> [UInt8] {
        Array(JSONText.array(entries.map(\.jsonText)).utf8)
    }

    /// Reads an audit answer.
    public static func decodeList(_ bytes: [UInt8]) throws -> [AuditEntry] {
        try JSONDecoder().decode([AuditEntry].self, from: Data(bytes))
    }
}
