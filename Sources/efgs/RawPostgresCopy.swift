// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSClient
import EFGSCrypto
import EFGSGateway
import EFGSProtocol
import EFGSStore
import Foundation
import Logging
import NIOHTTP1
import PostgresNIO
import ServiceLifecycle
import VaporCSQLite

/// The PostgreSQL baselines of (b) and (b′): the gateway's tables emptied, then the same upload-batch rows by INSERT
/// and the same key rows by `COPY … FROM STDIN` on one connection, all in one transaction (b) or with a commit after
/// every `batchesPerCommit` upload batches (b′).
enum RawPostgresCopy {
    /// Returns the seconds spent from the first BEGIN to the last COMMIT.
    static func run(
        url: String, uploads: [(tag: String, signature: String)], rows: [[StoredKey]], batchesPerCommit: Int? = nil
    ) async throws -> Double {
        let backend = try PostgresBackend(url: url, logger: Logger(label: "bench"))
        do {
            let seconds = try await run(
                backend: backend, uploads: uploads, rows: rows, emptyFirst: true, batchesPerCommit: batchesPerCommit)
            try await backend.close()
            return seconds
        } catch {
            try? await backend.close()
            throw error
        }
    }

    /// Writes on one connection of `backend`; returns the seconds from the first BEGIN to the last COMMIT. The upload
    /// batches are `country`'s, accepted at `acceptedAt` (epoch milliseconds; nil: now); with `emptyFirst` false the
    /// tables are not emptied (`efgs benchmark-scale`'s fill); with `batchesPerCommit`, a commit (with the server's
    /// `synchronous_commit`, as an upload's) follows every that many batches.
    static func run(
        backend: PostgresBackend, uploads: [(tag: String, signature: String)], rows: [[StoredKey]],
        country: String = "DE", acceptedAt: Int64? = nil, emptyFirst: Bool, batchesPerCommit: Int? = nil
    ) async throws -> Double {
        precondition(batchesPerCommit.map { $0 > 0 } ?? true, "at least one batch per commit")
        let logger = Logger(label: "bench")
        return try await backend.withConnection { conn in
            if emptyFirst {
                try await conn.query(
                    "TRUNCATE upload_tags, upload_batches, diagnosis_keys, download_batches, statistics_uploads CASCADE",
                    logger: logger)
            }
            let start = DispatchTime.now()
            try await conn.query("BEGIN", logger: logger)
            do {
                for (offset, (upload, keys)) in zip(uploads, rows).enumerated() {
                    if let batchesPerCommit, offset > 0, offset % batchesPerCommit == 0 {
                        try await conn.query("COMMIT", logger: logger)
                        try await conn.query("BEGIN", logger: logger)
                    }
                    let inserted = try await conn.query(
                        """
                        INSERT INTO upload_batches (country, upload_tag, accepted_at, key_count, format, batch_signature, auth_thumbprint, auth_pem,
                          auth_operator_signature, signer_thumbprint, signer_pem, signer_operator_signature)
                        VALUES (\(country), \(upload.tag), \(acceptedAt ?? UTCTimestamp.millis(Date())), \(keys.count), 'protobuf', \(upload.signature), '', '', '', '', '', '')
                        RETURNING id
                        """, logger: logger)
                    var id: Int64?
                    for try await value in inserted.decode(Int64.self) { id = value }
                    try await PostgresBackend.copyKeys(
                        UploadKeys(keys), uploadBatchId: id!, connection: conn, logger: logger)
                }
                try await conn.query("COMMIT", logger: logger)
            } catch {
                _ = try? await conn.query("ROLLBACK", logger: logger)
                throw error
            }
            return Benchmark.elapsed(since: start)
        }
    }
}
