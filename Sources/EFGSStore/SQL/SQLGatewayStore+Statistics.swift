// SPDX-License-Identifier: EUPL-1.2

import SQLKit

/// ``StatisticsStore``: retention and statistics (PROTOCOL.md §7.7).
extension SQLGatewayStore {
    public func storedKeyCount() async throws -> Int {
        try await backend.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM diagnosis_keys").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    public func purgeKeys(acceptedBefore cutoff: Int64, chunkSize: Int) async throws -> CleanupResult {
        let before = try await storedKeyCount()
        var deleted = 0
        while true {
            let limit = chunkSize
            let n = try await backend.transaction { db in
                try await db.raw(
                    """
                    DELETE FROM diagnosis_keys WHERE id IN (
                      SELECT k.id FROM diagnosis_keys k JOIN upload_batches u ON k.upload_batch_id = u.id
                      WHERE u.accepted_at < \(bind: cutoff) LIMIT \(literal: limit))
                    RETURNING id
                    """
                ).all().count
            }
            deleted += n
            if n < chunkSize { break }
        }
        // the upload-batch records (signature and certificate snapshots) go with their keys; tags and
        // statistics stay
        try await backend.transaction { db in
            try await db.raw(
                """
                DELETE FROM upload_batches WHERE accepted_at < \(bind: cutoff)
                  AND NOT EXISTS (SELECT 1 FROM diagnosis_keys k WHERE k.upload_batch_id = upload_batches.id)
                """
            ).run()
        }
        let after = try await storedKeyCount()
        let result = CleanupResult(cutoff: cutoff, keysDeleted: deleted, keysBefore: before, keysAfter: after)
        let total = deleted
        try await backend.transaction { db in
            try await db.raw(
                """
                INSERT INTO statistics_cleanups (time, cutoff, keys_deleted, keys_before, keys_after)
                VALUES (\(bind: Self.nowMillis()), \(bind: cutoff), \(bind: total), \(bind: before), \(bind: after))
                """
            ).run()
        }
        return result
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

    public func recordDownloadStatistic(time: Int64, country: String, batchTag: String, keyCount: Int) async throws {
        try await backend.transaction { db in
            try await db.raw(
                """
                INSERT INTO statistics_downloads (time, country, batch_tag, key_count)
                VALUES (\(bind: time), \(bind: country), \(bind: batchTag), \(bind: keyCount))
                """
            ).run()
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
