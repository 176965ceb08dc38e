// SPDX-License-Identifier: EUPL-1.2

import SQLKit

@testable import EFGSStore

extension StoreTestCase {
    /// Runs `sql` on the store's database behind the store's back (to corrupt or find rows).
    func execute(_ sql: SQLQueryString) async throws {
        try await store.backend.transaction { db in try await db.raw(sql).run() }
    }

    /// PostgreSQL only: waits up to 10 s (every 50 ms) until a session of `store`'s database waits with
    /// `pg_stat_activity` column `column` equal to `value` (`wait_event_type` `Lock`, a row lock; `wait_event`
    /// `advisory`, an advisory lock); true once one does.
    static func sessionWaits(in store: SQLGatewayStore, _ column: String, _ value: String) async throws -> Bool {
        let query: SQLQueryString = """
            SELECT count(*) AS n FROM pg_stat_activity
            WHERE \(ident: column) = \(bind: value) AND datname = current_database()
            """
        for _ in 0..<200 {
            let n = try await store.backend.read { db in
                try await db.raw(query).first()!.decode(column: "n", as: Int.self)
            }
            if n > 0 { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// The integer column `column` of the rows `sql` selects.
    func integers(_ sql: SQLQueryString, column: String) async throws -> [Int64] {
        try await store.backend.read { db in
            try await db.raw(sql).all().map { try $0.decode(column: column, as: Int64.self) }
        }
    }
}

extension StoreTestCase {
    /// Inserts `n` unbatched upload batches of one key each (upload tags `bulk-1…n`, country DE) in a few
    /// statements, bypassing the upload path: many more upload batches than one statement may bind.
    func insertOneKeyUploadBatches(_ n: Int, acceptedAt: Int64) async throws {
        let mac: SQLQueryString =
            onPostgres ? "convert_to('bulk-' || id::text, 'UTF8')" : "CAST('bulk-' || id AS BLOB)"
        let payload: SQLQueryString = onPostgres ? "'\\x01'::bytea" : "X'01'"
        try await execute(
            """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(literal: n))
            INSERT INTO upload_batches (country, upload_tag, accepted_at, key_count, format, batch_signature,
              auth_thumbprint, auth_pem, auth_operator_signature, signer_thumbprint, signer_pem,
              signer_operator_signature)
            SELECT 'DE', 'bulk-' || i, \(literal: acceptedAt), 1, 'protobuf', 'sig', 'a', 'p', 'o', 's', 'p', 'o' FROM n
            """)
        try await execute(
            """
            INSERT INTO diagnosis_keys (upload_batch_id, position, dedup_mac, payload)
            SELECT id, 0, \(mac), \(payload) FROM upload_batches WHERE upload_tag LIKE 'bulk-%'
            """)
    }
}
