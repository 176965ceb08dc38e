// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import Foundation
import SQLKit

/// ``BatchStore``: batching and the download chain (PROTOCOL.md §7.3).
extension SQLGatewayStore {
    public func createDownloadBatch(now: Date, docLimit: Int) async throws -> DownloadBatchRecord? {
        let dialect = backend.dialect
        return try await backend.transaction { db in
            try await Self.serialiseUploadBatchChanges(db, dialect: dialect)
            let candidates = try await db.raw(
                """
                SELECT id, key_count, format FROM upload_batches WHERE download_batch_tag IS NULL ORDER BY id \
                LIMIT \(literal: docLimit + 1)
                """
            ).all()
            guard let first = candidates.first else { return nil }
            let format = try first.decode(column: "format", as: String.self)
            var ids: [Int64] = []
            var total = 0
            for c in candidates {
                let n = try c.decode(column: "key_count", as: Int.self)
                guard try c.decode(column: "format", as: String.self) == format, total + n <= docLimit || ids.isEmpty
                else { break }
                ids.append(try c.decode(column: "id", as: Int64.self))
                total += n
            }
            let nowMillis = UTCTimestamp.millis(now)
            let day = UTCDay(epochMillis: nowMillis)
            let maxN =
                try await db.raw(
                    """
                    SELECT MAX(tag_number) AS n FROM download_batches WHERE tag_day = \(bind: day.epochDay)
                    """
                ).first()?.decode(column: "n", as: Int?.self) ?? 0
            let tag = BatchTag(day: day, number: maxN + 1).description
            try await db.raw(
                """
                UPDATE download_batches SET next_tag = \(bind: tag) WHERE next_tag IS NULL
                """
            ).run()
            try await db.raw(
                """
                INSERT INTO download_batches (tag, tag_day, tag_number, created_at, next_tag, key_count, format)
                VALUES (\(bind: tag), \(bind: day.epochDay), \(bind: maxN + 1), \(bind: nowMillis), NULL,
                        \(bind: total), \(bind: format))
                """
            ).run()
            // one statement per chunk of ids: docLimit one-key upload batches would exceed the bind limits
            for chunk in ids.statementChunks(bindsPerRow: 1, fixedBinds: 1) {
                try await db.raw(
                    "UPDATE upload_batches SET download_batch_tag = \(bind: tag) WHERE id IN (\(binds: Array(chunk)))"
                ).run()
            }
            // one callback task per subscription; predecessor = that subscription's most recent existing task
            try await db.raw(
                """
                INSERT INTO callback_tasks (subscription_id, batch_tag, batch_created_at, created_at, retries,
                                            predecessor_id)
                SELECT s.id, \(bind: tag), \(bind: nowMillis), \(bind: nowMillis), 0,
                       (SELECT MAX(t.id) FROM callback_tasks t WHERE t.subscription_id = s.id)
                FROM callback_subscriptions s
                """
            ).run()
            guard let format = WireFormat(rawValue: format) else {
                throw StoreError.corruptValue(format, table: "upload_batches", column: "format")
            }
            return DownloadBatchRecord(tag: tag, createdAt: nowMillis, nextTag: nil, keyCount: total, format: format)
        }
    }

    public func unbatchedKeyCount() async throws -> Int {
        try await backend.read { db in
            try await db.raw(
                """
                SELECT COALESCE(SUM(key_count), 0) AS n FROM upload_batches WHERE download_batch_tag IS NULL
                """
            ).first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    /// The advisory lock of ``serialiseUploadBatchChanges(_:dialect:)``.
    static let uploadBatchChangesLock: Int64 = 0x4546_4753_0001  // "EFGS" 1

    /// On PostgreSQL, a transaction-scoped advisory lock that serialises the two kinds of transaction that change
    /// upload batches: a batching run assigning them to a new download batch, and a key-retention chunk deleting
    /// them. Under READ COMMITTED the two could interleave: retention could miss the download batch a batching run
    /// just gave its upload batches (keeping that batch's content version), a batching run could count the keys of
    /// an upload batch retention just deleted, and the two could deadlock (batching locks the newest download batch
    /// before its upload batches; retention meets them in either order). SQLite runs one transaction at a time.
    static func serialiseUploadBatchChanges(_ db: any SQLDatabase, dialect: SQLStoreDialect) async throws {
        guard dialect == .postgres else { return }
        try await db.raw("SELECT pg_advisory_xact_lock(\(literal: uploadBatchChangesLock))").run()
    }
}
