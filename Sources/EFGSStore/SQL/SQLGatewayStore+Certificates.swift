// SPDX-License-Identifier: EUPL-1.2

import SQLKit

/// ``CertificateStore``: the certificate table (PROTOCOL.md §7.6).
extension SQLGatewayStore {
    public func insertCertificate(_ row: CertificateRow) async throws -> CertificateRow {
        try await backend.transaction { db in
            let id = try await db.raw(
                """
                INSERT INTO certificates (created_at, thumbprint, country, type, revoked, host, pem, operator_signature)
                VALUES (\(bind: row.createdAt), \(bind: row.thumbprint), \(bind: row.country),
                        \(bind: row.type.rawValue), \(bind: row.revoked ? 1 : 0), \(bind: row.host), \(bind: row.pem),
                        \(bind: row.operatorSignature))
                RETURNING id
                """
            ).first()!.decode(column: "id", as: Int64.self)
            var r = row
            r.id = id
            return r
        }
    }

    public func certificates(thumbprint: String, type: CertificateType) async throws -> [CertificateRow] {
        try await backend.read { db in
            try await db.raw(
                """
                SELECT * FROM certificates WHERE thumbprint = \(bind: thumbprint) AND type = \(bind: type.rawValue)
                ORDER BY id
                """
            ).all().map(Self.certificateRow)
        }
    }

    public func certificatesNow(thumbprint: String, type: CertificateType) -> [CertificateRow]? {
        (backend as? SQLiteBackend)?.readsNow.flatMap {
            SQLiteCertificateRows.rows(thumbprint: thumbprint, type: type, in: $0)
        }
    }

    public func certificates(country: String?, type: CertificateType?) async throws -> [CertificateRow] {
        try await backend.read { db in
            var q = SQLQueryString("SELECT * FROM certificates WHERE 1 = 1")
            if let country { q += " AND country = \(bind: country)" }
            if let type { q += " AND type = \(bind: type.rawValue)" }
            return try await db.raw(q + " ORDER BY country, type, id").all().map(Self.certificateRow)
        }
    }

    public func revokeCertificates(thumbprint: String?, country: String?, type: CertificateType?) async throws -> Int {
        try await backend.transaction { db in
            var q = SQLQueryString("UPDATE certificates SET revoked = 1 WHERE revoked = 0")
            if let thumbprint { q += " AND thumbprint = \(bind: thumbprint)" }
            if let country { q += " AND country = \(bind: country)" }
            if let type { q += " AND type = \(bind: type.rawValue)" }
            return try await db.raw(q + " RETURNING id").all().count
        }
    }

    /// A `certificates` row; an unknown type throws ``StoreError/corrupt(_:)``.
    static func certificateRow(_ r: any SQLRow) throws -> CertificateRow {
        CertificateRow(
            id: try r.decode(column: "id", as: Int64.self),
            createdAt: try r.decode(column: "created_at", as: Int64.self),
            thumbprint: try r.decode(column: "thumbprint", as: String.self),
            country: try r.decode(column: "country", as: String.self),
            type: try r.decodeStored(CertificateType.self, column: "type", table: "certificates"),
            revoked: try r.decode(column: "revoked", as: Int.self) != 0,
            host: try r.decode(column: "host", as: String?.self),
            pem: try r.decode(column: "pem", as: String.self),
            operatorSignature: try r.decode(column: "operator_signature", as: String.self))
    }

    public func updateOperatorSignature(
        thumbprint: String, type: CertificateType, operatorSignature: String
    ) async throws -> Int {
        try await backend.transaction { db in
            try await db.raw(
                """
                UPDATE certificates SET operator_signature = \(bind: operatorSignature)
                WHERE thumbprint = \(bind: thumbprint) AND type = \(bind: type.rawValue)
                RETURNING id
                """
            ).all().count
        }
    }
}
