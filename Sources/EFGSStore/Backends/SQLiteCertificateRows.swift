// SPDX-License-Identifier: EUPL-1.2

/// The certificate rows of a thumbprint and type (``CertificateStore/certificatesNow(thumbprint:type:)``) read through
/// ``SQLiteReadsNow``: the lookup every authenticated request makes (PROTOCOL.md §4.4, §7.6).
enum SQLiteCertificateRows {
    static let query = """
        SELECT id, created_at, thumbprint, country, type, revoked, host, pem, operator_signature
        FROM certificates WHERE thumbprint = ?1 AND type = ?2 ORDER BY id
        """

    /// The rows of `thumbprint` and `type` by id, read now on this thread; nil when not read here.
    static func rows(thumbprint: String, type: CertificateType, in reads: SQLiteReadsNow) -> [CertificateRow]? {
        reads.rows(query, bind: { $0.bind(1, thumbprint) && $0.bind(2, type.rawValue) }, row: row)
    }

    /// The row at the statement's cursor; nil when a column is not what the table stores (the usual read then
    /// reports it as ``StoreError/corrupt(_:)``).
    static func row(_ s: SQLiteReadsNow.Statement) -> CertificateRow? {
        guard let id = s.integer(0), let createdAt = s.integer(1), let thumbprint = s.text(2), let country = s.text(3),
            let type = s.text(4).flatMap(CertificateType.init(rawValue:)), let revoked = s.integer(5),
            let host = s.optionalText(6), let pem = s.text(7), let operatorSignature = s.text(8)
        else { return nil }
        return CertificateRow(
            id: id, createdAt: createdAt, thumbprint: thumbprint, country: country, type: type, revoked: revoked != 0,
            host: host, pem: pem, operatorSignature: operatorSignature)
    }
}
