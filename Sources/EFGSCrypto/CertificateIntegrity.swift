// SPDX-License-Identifier: EUPL-1.2

extension TrustAnchor {
    /// Runs the integrity check of PROTOCOL.md §7.6 on a row; returns the parsed certificate when it passes and
    /// throws the first ``IntegrityFailure`` otherwise.
    public func checkIntegrity(of row: CertificateRowContent) throws -> CertificateFacts {
        guard !row.pem.isEmpty, !row.operatorSignature.isEmpty else { throw IntegrityFailure.missingData }
        guard let der = CanonicalPEM.canonicalDER(row.pem), let facts = try? CertificateFacts(der: der) else {
            throw IntegrityFailure.notCanonicalOrUnparseable
        }
        guard facts.thumbprint == row.thumbprint else { throw IntegrityFailure.thumbprintMismatch }
        guard facts.countries == [row.country] else { throw IntegrityFailure.countryMismatch }
        guard isValidSignature(base64: row.operatorSignature, over: row.pem) else {
            throw IntegrityFailure.badOperatorSignature
        }
        return facts
    }
}
