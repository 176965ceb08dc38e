// SPDX-License-Identifier: EUPL-1.2

/// The certificate table (PROTOCOL.md §7.6): rows are added and revoked by operator commands only (§7.8 `cert`);
/// lookups return rows as stored, and the caller runs the integrity check on each.
public protocol CertificateStore: Sendable {
    /// Stores `row` (unique per thumbprint and type) and returns it with its id.
    func insertCertificate(_ row: CertificateRow) async throws -> CertificateRow
    /// The rows of `thumbprint` and `type`, revoked ones included, by id.
    func certificates(thumbprint: String, type: CertificateType) async throws -> [CertificateRow]
    /// ``certificates(thumbprint:type:)`` read on the calling thread without waiting, where the store can (SQLite:
    /// ``SQLiteCertificateRows``), from a read that began after the call; nil: not read this way, ask
    /// ``certificates(thumbprint:type:)``. By default nil.
    func certificatesNow(thumbprint: String, type: CertificateType) -> [CertificateRow]?
    /// The rows of `country` and `type` (nil: any), ordered by country, type and id.
    func certificates(country: String?, type: CertificateType?) async throws -> [CertificateRow]
    /// Revokes the unrevoked rows matching every non-nil argument; returns the number of rows changed.
    func revokeCertificates(thumbprint: String?, country: String?, type: CertificateType?) async throws -> Int
    /// Replaces the operator signature of the row (`thumbprint`, `type`) — a trust-anchor rotation re-signs every
    /// row. Returns the number of rows changed.
    func updateOperatorSignature(thumbprint: String, type: CertificateType, operatorSignature: String) async throws
        -> Int
}

extension CertificateStore {
    public func certificatesNow(thumbprint: String, type: CertificateType) -> [CertificateRow]? { nil }
}
