// SPDX-License-Identifier: EUPL-1.2

import SQLKit

/// ``StatisticsStore``: retention and statistics (PROTOCOL.md §7.7).
extension SQLGatewayStore {
    public func storedKeyCount() async throws -> Int {
        try await backend.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM diagnosis_keys").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    public func storeFigures() async throws -> StoreFigures {
        let postgres = backend.dialect == .postgres
        return try await backend.read { db in
            let batches = try await db.raw(
                """
                SELECT COALESCE(SUM(key_count), 0) AS stored,
                       COALESCE(SUM(CASE WHEN download_batch_tag IS NULL THEN key_count ELSE 0 END), 0) AS unbatched,
                       MIN(CASE WHEN download_batch_tag IS NULL THEN accepted_at END) AS oldest
                FROM upload_batches
                """
            ).first()
            let size =
                postgres
                ? try await db.raw("SELECT pg_database_size(current_database()) AS n").first()
                : try await db.raw(
                    "SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()"
                ).first()
            return StoreFigures(
                keysStored: try batches?.decode(column: "stored", as: Int.self) ?? 0,
                unbatchedKeys: try batches?.decode(column: "unbatched", as: Int.self) ?? 0,
                oldestUnbatchedAcceptedAt: try batches?.decode(column: "oldest", as: Int64?.self),
                databaseBytes: try size?.decode(column: "n", as: Int64.self) ?? 0)
        }
    }

    public func purgeKeys(_ cutoffs: KeyRetentionCutoffs, chunkSize: Int) async throws -> CleanupResult {
        let before = try await storedKeyCount()
        var deleted = 0
        var early: [EarlyDeletedUploadBatch] = []
        let dialect = backend.dialect
        while true {
            let (keys, earlyInChunk) = try await backend.transaction { db in
                try await Self.serialiseUploadBatchChanges(db, dialect: dialect)
                return try await Self.purgeUploadBatchChunk(cutoffs, chunkSize: chunkSize, db: db)
            }
            guard let keys else { break }
            deleted += keys
            early += earlyInChunk
        }
        let after = try await storedKeyCount()
        let oldestKept = try await heldKeys().oldestAcceptedAt
        let result = CleanupResult(
            cutoff: cutoffs.batchedBefore, keysDeleted: deleted, keysBefore: before, keysAfter: after,
            earlyDeleted: early)
        let total = deleted
        try await backend.transaction { db in
            try await db.raw(
                """
                INSERT INTO statistics_cleanups (time, cutoff, keys_deleted, keys_before, keys_after, oldest_kept)
                VALUES (\(bind: Self.nowMillis()), \(bind: cutoffs.batchedBefore), \(bind: total), \(bind: before),
                        \(bind: after), \(bind: oldestKept))
                """
            ).run()
        }
        return result
    }

    /// One transaction of ``purgeKeys(_:chunkSize:)``: the oldest whole upload batches past `cutoffs` that fit in
    /// `chunkSize` keys (at least one), deleted with their keys. Returns the keys deleted (nil when no upload batch
    /// was due) and the upload batches among them deleted at the legal limit only.
    static func purgeUploadBatchChunk(
        _ cutoffs: KeyRetentionCutoffs, chunkSize: Int, db: any SQLDatabase
    ) async throws -> (Int?, [EarlyDeletedUploadBatch]) {
        // an upload batch is due when its download batch is older than the retention period (or already gone:
        // statistics retention deleted it, so it is older still), or at the legal limit
        let due = try await db.raw(
            """
            SELECT u.id, u.country, u.upload_tag, u.key_count, u.download_batch_tag, d.created_at AS batched_at
            FROM upload_batches u LEFT JOIN download_batches d ON d.tag = u.download_batch_tag
            WHERE u.accepted_at < \(bind: cutoffs.acceptedBefore)
               OR (u.accepted_at < \(bind: cutoffs.batchedBefore) AND u.download_batch_tag IS NOT NULL
                   AND (d.created_at IS NULL OR d.created_at < \(bind: cutoffs.batchedBefore)))
            ORDER BY u.id LIMIT \(literal: max(chunkSize, 1))
            """
        ).all()
        var ids: [Int64] = []
        var keys = 0
        var early: [EarlyDeletedUploadBatch] = []
        var earlyById: [Int64: Int] = [:]
        for row in due {
            let count = try row.decode(column: "key_count", as: Int.self)
            guard ids.isEmpty || keys + count <= chunkSize else { break }
            let id = try row.decode(column: "id", as: Int64.self)
            ids.append(id)
            keys += count
            let downloadBatchTag = try row.decode(column: "download_batch_tag", as: String?.self)
            let batchedAt = try row.decode(column: "batched_at", as: Int64?.self)
            if downloadBatchTag == nil || batchedAt.map({ $0 >= cutoffs.batchedBefore }) == true {
                earlyById[id] = early.count
                early.append(
                    EarlyDeletedUploadBatch(
                        country: try row.decode(column: "country", as: String.self),
                        uploadTag: try row.decode(column: "upload_tag", as: String.self), keyCount: count,
                        downloadBatchTag: downloadBatchTag))
            }
        }
        guard !ids.isEmpty else { return (nil, []) }
        var deleted = 0
        for chunk in ids.statementChunks(bindsPerRow: 1) {
            // the download batches these upload batches belong to change content
            // (DownloadBatchRecord.contentVersion)
            let bumped = Set(
                try await db.raw(
                    """
                    UPDATE download_batches SET content_version = content_version + 1
                    WHERE tag IN (SELECT download_batch_tag FROM upload_batches WHERE id IN (\(binds: Array(chunk))))
                    RETURNING tag
                    """
                ).all().map { try $0.decode(column: "tag", as: String.self) })
            deleted += try await db.raw(
                "DELETE FROM diagnosis_keys WHERE upload_batch_id IN (\(binds: Array(chunk))) RETURNING id"
            ).all().count
            // the upload-batch records (signature and certificate snapshots) go with their keys; tags and
            // statistics stay. A batching run cannot interleave (serialiseUploadBatchChanges), but should one
            // writer of upload batches not take that lock, this DELETE waits for it and returns the tag it gave,
            // which the UPDATE above did not see: that batch loses keys too, so its version goes up
            let gone = try await db.raw(
                "DELETE FROM upload_batches WHERE id IN (\(binds: Array(chunk))) RETURNING id, download_batch_tag"
            ).all()
            var late = Set<String>()
            for row in gone {
                guard let tag = try row.decode(column: "download_batch_tag", as: String?.self) else { continue }
                if !bumped.contains(tag) { late.insert(tag) }
                // batched while retention waited: its keys were downloadable for moments, not never
                if let i = earlyById[try row.decode(column: "id", as: Int64.self)], early[i].downloadBatchTag == nil {
                    early[i].downloadBatchTag = tag
                }
            }
            for tagChunk in late.sorted().statementChunks(bindsPerRow: 1) {
                try await db.raw(
                    """
                    UPDATE download_batches SET content_version = content_version + 1
                    WHERE tag IN (\(binds: Array(tagChunk)))
                    """
                ).run()
            }
        }
        return (deleted, early)
    }

    public func purgeStatistics(before cutoff: Int64) async throws -> Int {
        try await backend.transaction { db in
            var n = 0
            n += try await db.raw("DELETE FROM statistics_uploads WHERE time < \(bind: cutoff) RETURNING id")
                .all().count
            n += try await db.raw("DELETE FROM statistics_downloads WHERE time < \(bind: cutoff) RETURNING id")
                .all().count
            n += try await db.raw("DELETE FROM statistics_cleanups WHERE time < \(bind: cutoff) RETURNING id")
                .all().count
            n += try await db.raw("DELETE FROM callback_tasks WHERE created_at < \(bind: cutoff) RETURNING id")
                .all().count
            n += try await db.raw(
                """
                DELETE FROM download_batches WHERE created_at < \(bind: cutoff)
                  AND seq <> (SELECT MAX(seq) FROM download_batches) RETURNING seq
                """
            ).all().count
            return n
        }
    }

    public func recordDownloadStatistics(_ downloads: [DownloadStatistic]) async throws {
        // a statistic acknowledges nothing to anybody: its commit does not wait for a disk sync
        let statements = downloads.statementChunks(bindsPerRow: 4).map { chunk in
            let rows = chunk.map {
                SQLQueryString("(\(bind: $0.time), \(bind: $0.country), \(bind: $0.batchTag), \(bind: $0.keyCount))")
            }
            let values = rows.joined(separator: ", ")
            return SQLQueryString(
                "INSERT INTO statistics_downloads (time, country, batch_tag, key_count) VALUES \(values)")
        }
        guard statements.count > 1 else {
            // the usual case (a group of at most DownloadStatisticsWriter.maxGroup rows fits in one statement)
            if let statement = statements.first { try await backend.runWithAsynchronousCommit(statement) }
            return
        }
        try await backend.transactionWithAsynchronousCommit { db in
            for statement in statements { try await db.raw(statement).run() }
        }
    }

    public func countryActivity() async throws -> [CountryActivity] {
        try await backend.read { db in
            let ups = try await db.raw("SELECT country, MAX(time) AS t FROM statistics_uploads GROUP BY country").all()
            let downs = try await db.raw("SELECT country, MAX(time) AS t FROM statistics_downloads GROUP BY country")
                .all()
            var map: [String: CountryActivity] = [:]
            for r in ups {
                let c = try r.decode(column: "country", as: String.self)
                map[c, default: .init(country: c)].lastUpload = try r.decode(column: "t", as: Int64.self)
            }
            for r in downs {
                let c = try r.decode(column: "country", as: String.self)
                map[c, default: .init(country: c)].lastDownload = try r.decode(column: "t", as: Int64.self)
            }
            return map.values.sorted { $0.country < $1.country }
        }
    }
}
