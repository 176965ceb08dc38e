// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import SQLKit

/// ``DownloadStore``: downloads (PROTOCOL.md §5.4) and audits (§5.5, §7.4).
extension SQLGatewayStore {
    public func downloadBatch(tag: String) async throws -> DownloadBatchRecord? {
        try await backend.read { db in
            try await db.raw("SELECT * FROM download_batches WHERE tag = \(bind: tag)").first().map(Self.downloadBatch)
        }
    }

    public func firstDownloadBatch(createdAtOrAfter millis: Int64) async throws -> DownloadBatchRecord? {
        try await backend.read { db in
            try await db.raw(
                """
                SELECT * FROM download_batches WHERE created_at >= \(bind: millis) AND quarantined_at IS NULL
                ORDER BY created_at, tag_number LIMIT 1
                """
            ).first().map(Self.downloadBatch)
        }
    }

    public func downloadBatchNow(_ lookup: DownloadBatchLookup) -> [DownloadBatchRecord]? {
        (backend as? SQLiteBackend)?.readsNow.flatMap { SQLiteDownloadBatchRows.rows(lookup, in: $0) }
    }

    /// The hot read of every download: each backend runs ``DownloadKeysQuery`` its fastest way.
    public func downloadKeys(batchTag: String, excludingCountry: String) async throws -> [StoredKey] {
        try await backend.fetchKeys(batchTag: batchTag, excludingCountry: excludingCountry)
    }

    public func uploaderCountries(batchTag: String) async throws -> (contentVersion: Int, countries: Set<String>)? {
        // one statement, so the set and the version are of the same moment (retention may commit in between two)
        try await backend.read { db in
            let rows = try await db.raw(
                """
                SELECT DISTINCT d.content_version, u.country FROM download_batches d
                LEFT JOIN upload_batches u ON u.download_batch_tag = d.tag
                WHERE d.tag = \(bind: batchTag)
                """
            ).all()
            guard let first = rows.first else { return nil }
            return (
                try first.decode(column: "content_version", as: Int.self),
                Set(try rows.compactMap { try $0.decode(column: "country", as: String?.self) })
            )
        }
    }

    public func auditEntries(batchTag: String, excludingCountry: String) async throws -> [UploadBatchRecord] {
        try await backend.read { db in
            try await db.raw(
                """
                SELECT * FROM upload_batches u
                WHERE u.download_batch_tag = \(bind: batchTag) AND u.country <> \(bind: excludingCountry)
                  AND EXISTS (SELECT 1 FROM diagnosis_keys k WHERE k.upload_batch_id = u.id)
                ORDER BY u.id
                """
            ).all().map(Self.uploadBatch)
        }
    }

    /// A `download_batches` row; an unknown format throws ``StoreError/corrupt(_:)``.
    static func downloadBatch(_ r: any SQLRow) throws -> DownloadBatchRecord {
        DownloadBatchRecord(
            tag: try r.decode(column: "tag", as: String.self),
            createdAt: try r.decode(column: "created_at", as: Int64.self),
            nextTag: try r.decode(column: "next_tag", as: String?.self),
            keyCount: try r.decode(column: "key_count", as: Int.self),
            format: try r.decodeStored(WireFormat.self, column: "format", table: "download_batches"),
            quarantineReason: try r.decode(column: "quarantine_reason", as: String?.self),
            contentVersion: try r.decode(column: "content_version", as: Int.self))
    }

    /// An `upload_batches` row; an unknown format throws ``StoreError/corrupt(_:)``.
    static func uploadBatch(_ r: any SQLRow) throws -> UploadBatchRecord {
        UploadBatchRecord(
            id: try r.decode(column: "id", as: Int64.self),
            country: try r.decode(column: "country", as: String.self),
            uploadTag: try r.decode(column: "upload_tag", as: String.self),
            acceptedAt: try r.decode(column: "accepted_at", as: Int64.self),
            keyCount: try r.decode(column: "key_count", as: Int.self),
            format: try r.decodeStored(WireFormat.self, column: "format", table: "upload_batches"),
            batchSignature: try r.decode(column: "batch_signature", as: String.self),
            authThumbprint: try r.decode(column: "auth_thumbprint", as: String.self),
            authPEM: try r.decode(column: "auth_pem", as: String.self),
            authOperatorSignature: try r.decode(column: "auth_operator_signature", as: String.self),
            signerThumbprint: try r.decode(column: "signer_thumbprint", as: String.self),
            signerPEM: try r.decode(column: "signer_pem", as: String.self),
            signerOperatorSignature: try r.decode(column: "signer_operator_signature", as: String.self),
            downloadBatchTag: try r.decode(column: "download_batch_tag", as: String?.self))
    }
}
