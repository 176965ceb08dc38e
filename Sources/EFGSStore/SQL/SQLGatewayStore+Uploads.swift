// SPDX-License-Identifier: EUPL-1.2

import Foundation
import SQLKit

/// ``UploadStore``: accepted uploads (PROTOCOL.md §5.3), their keys (§7.1) and the tag reservations (§7.2).
extension SQLGatewayStore {
    public func isUploadTagReserved(country: String, tag: String) async throws -> Bool {
        try await backend.read { db in
            try await db.raw("SELECT 1 AS x FROM upload_tags WHERE country = \(bind: country) AND tag = \(bind: tag)")
                .first() != nil
        }
    }

    public func storeUpload(_ batch: UploadBatchRecord, keys: UploadKeys) async throws -> UploadStoreOutcome {
        // The first attempt inserts each chunk of keys as soon as it is ready, without looking for duplicates: the
        // unique constraint on dedup_mac finds them (a stored key, a key repeated inside the request, or a
        // concurrent upload that won the tag or a key). A unique violation — or on PostgreSQL a deadlock with a
        // concurrent upload sharing keys — rolls back, and the request is re-evaluated with every key at hand and the
        // full duplicate query, as if the other upload had been stored before it.
        // A third conflict in a row ends as ``StoreError/conflict(_:)`` (the API answers 503: nothing was stored, the
        // country may send the upload again), not as the database's own error.
        // Each attempt may share its transaction and commit with concurrent uploads (SQLite; a conflict rolls back
        // this upload alone, to its savepoint); it is answered once the commit holding it returned.
        let backend = self.backend
        var attempt = 0
        while true {
            do {
                let checked = attempt == 0 ? nil : try await keys.all()
                return try await backend.transactionSharingCommit { db in
                    try await Self.storeUpload(batch, keys: keys, checkedKeys: checked, backend: backend, db: db)
                }
            } catch  where backend.isConflict(error) {
                attempt += 1
                guard attempt < Self.uploadAttempts else {
                    throw StoreError.conflict("upload met a conflict with concurrent writers in \(attempt) attempts")
                }
            }
        }
    }

    /// How many times ``storeUpload(_:keys:)`` tries before it gives up on conflicts.
    static let uploadAttempts = 3

    /// One attempt of ``storeUpload(_:keys:)`` inside its transaction `db`: `checkedKeys` are every key of `keys`
    /// when the attempt looks for duplicates before inserting, nil when it inserts `keys` chunk by chunk.
    static func storeUpload(
        _ batch: UploadBatchRecord, keys: UploadKeys, checkedKeys: [StoredKey]?, backend: any SQLBackend,
        db: any SQLDatabase
    ) async throws -> UploadStoreOutcome {
        let reserved = try await db.raw(
            """
            SELECT 1 AS x FROM upload_tags WHERE country = \(bind: batch.country) AND tag = \(bind: batch.uploadTag)
            """
        ).first()
        if reserved != nil {
            return .tagExists
        }
        if let checkedKeys {
            let stored = try await storedMACs(among: checkedKeys.map(\.dedupMAC), db: db)
            let storedPositions = checkedKeys.lazy.filter { stored.contains($0.dedupMAC) }.map(\.position)
            let duplicates = repeatedPositions(checkedKeys).union(storedPositions)
            if !duplicates.isEmpty { return .duplicates(duplicates) }
        }
        try await db.raw(
            """
            INSERT INTO upload_tags (country, tag, reserved_at)
            VALUES (\(bind: batch.country), \(bind: batch.uploadTag), \(bind: batch.acceptedAt))
            """
        ).run()
        let id = try await db.raw(
            """
            INSERT INTO upload_batches (country, upload_tag, accepted_at, key_count, format, batch_signature,
              auth_thumbprint, auth_pem, auth_operator_signature, signer_thumbprint, signer_pem,
              signer_operator_signature)
            VALUES (\(bind: batch.country), \(bind: batch.uploadTag), \(bind: batch.acceptedAt),
              \(bind: batch.keyCount), \(bind: batch.format.rawValue), \(bind: batch.batchSignature),
              \(bind: batch.authThumbprint),
              \(bind: batch.authPEM), \(bind: batch.authOperatorSignature), \(bind: batch.signerThumbprint),
              \(bind: batch.signerPEM), \(bind: batch.signerOperatorSignature))
            RETURNING id
            """
        ).first()!.decode(column: "id", as: Int64.self)
        try await backend.insertKeys(checkedKeys.map(UploadKeys.init) ?? keys, uploadBatchId: id, db: db)
        try await db.raw(
            """
            INSERT INTO statistics_uploads (time, country, upload_tag, key_count)
            VALUES (\(bind: batch.acceptedAt), \(bind: batch.country), \(bind: batch.uploadTag),
              \(bind: batch.keyCount))
            """
        ).run()
        return .stored(uploadBatchId: id)
    }

    /// The positions of the keys whose MAC an earlier key of the same request has.
    static func repeatedPositions(_ keys: [StoredKey]) -> Set<Int> {
        var seen = Set<[UInt8]>(minimumCapacity: keys.count)
        var repeated = Set<Int>()
        for k in keys where !seen.insert(k.dedupMAC).inserted { repeated.insert(k.position) }
        return repeated
    }

    /// The MACs among `macs` that are already stored.
    static func storedMACs(among macs: [[UInt8]], db: any SQLDatabase) async throws -> Set<[UInt8]> {
        var stored = Set<[UInt8]>()
        for slice in macs.statementChunks(bindsPerRow: 1) {
            let chunk = slice.map { Data($0) }
            let rows = try await db.raw("SELECT dedup_mac FROM diagnosis_keys WHERE dedup_mac IN (\(binds: chunk))")
                .all()
            for r in rows {
                stored.insert(Array(try r.decode(column: "dedup_mac", as: Data.self)))
            }
        }
        return stored
    }
}
