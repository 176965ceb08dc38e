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

/// The baselines of (b) and (b′): SQLite's C API, one prepared INSERT reused for every key row, in one transaction
/// (b) or with a durable commit after every `batchesPerCommit` upload batches (b′).
enum RawSQLiteInsert {
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Returns the seconds spent from the first BEGIN to the last COMMIT. The upload batches are `country`'s, accepted
    /// at `acceptedAt` (epoch milliseconds; nil: now). With `batchesPerCommit` (b′), a commit follows every that
    /// many batches — with the gateway's `synchronous=FULL`, each syncs the WAL as an upload's commit does — and the
    /// WAL is not copied back during the run (the gateway's ``SQLiteCheckpointer`` does that outside its commits);
    /// without (b), every batch goes into one transaction and a commit that finds 16384 WAL pages copies them back.
    static func run(
        path: String, uploads: [(tag: String, signature: String)],
        rows: [[StoredKey]], country: String = "DE", acceptedAt: Int64? = nil, batchesPerCommit: Int? = nil
    ) throws -> Double {
        precondition(batchesPerCommit.map { $0 > 0 } ?? true, "at least one batch per commit")
        var db: OpaquePointer?
        guard sqlite_nio_sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK, let db else {
            throw Failure(description: "cannot open \(path)")
        }
        defer { sqlite_nio_sqlite3_close_v2(db) }
        func exec(_ sql: String) throws {
            guard sqlite_nio_sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
                throw Failure(description: "\(sql): \(String(cString: sqlite_nio_sqlite3_errmsg(db)))")
            }
        }
        func prepare(_ sql: String) throws -> OpaquePointer {
            var stmt: OpaquePointer?
            guard sqlite_nio_sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else {
                throw Failure(description: "\(sql): \(String(cString: sqlite_nio_sqlite3_errmsg(db)))")
            }
            return stmt
        }
        // the gateway's own connection settings (SQLiteBackend)
        try exec("PRAGMA journal_mode=WAL")
        for pragma in SQLiteBackend.pragmas(cacheMegabytes: DatabaseSettings().sqliteCacheMegabytes) {
            try exec(pragma)
        }
        if batchesPerCommit == nil {
            // no background checkpointer here (SQLiteCheckpointer): the commit that finds 16384 WAL pages copies them
            try exec("PRAGMA wal_autocheckpoint=16384")
        }
        let batchInsert = try prepare(
            """
            INSERT INTO upload_batches (country, upload_tag, accepted_at, key_count, format, batch_signature, auth_thumbprint, auth_pem,
              auth_operator_signature, signer_thumbprint, signer_pem, signer_operator_signature) VALUES (?, ?, ?, ?, 'protobuf', ?, '', '', '', '', '', '')
            """)
        let keyInsert = try prepare(
            "INSERT INTO diagnosis_keys (upload_batch_id, position, dedup_mac, payload) VALUES (?, ?, ?, ?)")
        defer {
            sqlite_nio_sqlite3_finalize(batchInsert)
            sqlite_nio_sqlite3_finalize(keyInsert)
        }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        func step(_ stmt: OpaquePointer) throws {
            guard sqlite_nio_sqlite3_step(stmt) == SQLITE_DONE else {
                throw Failure(description: String(cString: sqlite_nio_sqlite3_errmsg(db)))
            }
            sqlite_nio_sqlite3_reset(stmt)
        }
        let start = DispatchTime.now()
        try exec("BEGIN IMMEDIATE")
        for (offset, (upload, keys)) in zip(uploads, rows).enumerated() {
            if let batchesPerCommit, offset > 0, offset % batchesPerCommit == 0 {
                try exec("COMMIT")
                try exec("BEGIN IMMEDIATE")
            }
            sqlite_nio_sqlite3_bind_text(batchInsert, 1, country, -1, transient)
            sqlite_nio_sqlite3_bind_text(batchInsert, 2, upload.tag, -1, transient)
            sqlite_nio_sqlite3_bind_int64(batchInsert, 3, acceptedAt ?? UTCTimestamp.millis(Date()))
            sqlite_nio_sqlite3_bind_int64(batchInsert, 4, Int64(keys.count))
            sqlite_nio_sqlite3_bind_text(batchInsert, 5, upload.signature, -1, transient)
            try step(batchInsert)
            let batchId = sqlite_nio_sqlite3_last_insert_rowid(db)
            for k in keys {
                sqlite_nio_sqlite3_bind_int64(keyInsert, 1, batchId)
                sqlite_nio_sqlite3_bind_int64(keyInsert, 2, Int64(k.position))
                k.dedupMAC.withUnsafeBytes {
                    _ = sqlite_nio_sqlite3_bind_blob(keyInsert, 3, $0.baseAddress, Int32($0.count), transient)
                }
                k.sealedPayload.withUnsafeBytes {
                    _ = sqlite_nio_sqlite3_bind_blob(keyInsert, 4, $0.baseAddress, Int32($0.count), transient)
                }
                try step(keyInsert)
            }
        }
        try exec("COMMIT")
        return Benchmark.elapsed(since: start)
    }
}
