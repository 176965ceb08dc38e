// SPDX-License-Identifier: EUPL-1.2

import SQLKit

/// ``ReportStore``: the statistics of PROTOCOL.md §7.7 read back.
extension SQLGatewayStore {
    public func usage(fromMillis: Int64, toMillis: Int64, country: String?) async throws -> [UsageDay] {
        try await backend.read { db in
            // integer division on both backends (BIGINT / integer literal)
            func grouped(_ table: String) async throws -> [any SQLRow] {
                let filter = country.map { SQLQueryString(" AND country = \(bind: $0)") } ?? SQLQueryString("")
                return try await db.raw(
                    """
                    SELECT time / 86400000 AS day, country, COUNT(*) AS n, COALESCE(SUM(key_count), 0) AS k
                    FROM \(unsafeRaw: table)
                    WHERE time >= \(bind: fromMillis) AND time < \(bind: toMillis)\(filter)
                    GROUP BY time / 86400000, country
                    """
                ).all()
            }
            var days: [String: UsageDay] = [:]
            for row in try await grouped("statistics_uploads") {
                let day = try row.decode(column: "day", as: Int64.self)
                let country = try row.decode(column: "country", as: String.self)
                days["\(day) \(country)", default: UsageDay(epochDay: day, country: country)].uploads =
                    try row.decode(column: "n", as: Int.self)
                days["\(day) \(country)"]?.keysUploaded = try row.decode(column: "k", as: Int.self)
            }
            for row in try await grouped("statistics_downloads") {
                let day = try row.decode(column: "day", as: Int64.self)
                let country = try row.decode(column: "country", as: String.self)
                days["\(day) \(country)", default: UsageDay(epochDay: day, country: country)].downloads =
                    try row.decode(column: "n", as: Int.self)
                days["\(day) \(country)"]?.keysDownloaded = try row.decode(column: "k", as: Int.self)
            }
            return days.values.sorted { ($0.epochDay, $0.country) < ($1.epochDay, $1.country) }
        }
    }

    public func cleanupRuns(fromMillis: Int64, toMillis: Int64) async throws -> [CleanupRun] {
        try await backend.read { db in
            try await db.raw(
                """
                SELECT time, cutoff, keys_deleted, keys_before, keys_after, oldest_kept FROM statistics_cleanups
                WHERE time >= \(bind: fromMillis) AND time < \(bind: toMillis) ORDER BY time, id
                """
            ).all().map { row in
                CleanupRun(
                    time: try row.decode(column: "time", as: Int64.self),
                    cutoff: try row.decode(column: "cutoff", as: Int64.self),
                    keysDeleted: try row.decode(column: "keys_deleted", as: Int.self),
                    keysBefore: try row.decode(column: "keys_before", as: Int.self),
                    keysAfter: try row.decode(column: "keys_after", as: Int.self),
                    oldestKept: try row.decode(column: "oldest_kept", as: Int64?.self))
            }
        }
    }

    public func longestUploadGaps(sinceMillis: Int64) async throws -> [String: Int64] {
        try await backend.read { db in
            // window functions: SQLite 3.25 and later, PostgreSQL
            var gaps: [String: Int64] = [:]
            for row in try await db.raw(
                """
                SELECT country, MAX(gap) AS longest FROM (
                  SELECT country, time - LAG(time) OVER (PARTITION BY country ORDER BY time) AS gap
                  FROM statistics_uploads WHERE time >= \(bind: sinceMillis)
                ) gaps
                GROUP BY country HAVING COUNT(gap) >= 2
                """
            ).all() {
                gaps[try row.decode(column: "country", as: String.self)] = try row.decode(
                    column: "longest", as: Int64.self)
            }
            return gaps
        }
    }

    public func downloadBatches(createdFromMillis: Int64, toMillis: Int64, limit: Int) async throws
        -> [DownloadBatchRecord]
    {
        try await backend.read { db in
            try await db.raw(
                """
                SELECT * FROM download_batches
                WHERE created_at >= \(bind: createdFromMillis) AND created_at < \(bind: toMillis)
                ORDER BY created_at, tag_number LIMIT \(literal: max(limit, 1))
                """
            ).all().map(Self.downloadBatch)
        }
    }

    public func heldKeys() async throws -> HeldKeys {
        try await backend.read { db in
            let row = try await db.raw(
                """
                SELECT COALESCE(SUM(key_count), 0) AS keys, COUNT(*) AS batches, MIN(accepted_at) AS oldest
                FROM upload_batches
                """
            ).first()
            return HeldKeys(
                keys: try row?.decode(column: "keys", as: Int.self) ?? 0,
                uploadBatches: try row?.decode(column: "batches", as: Int.self) ?? 0,
                oldestAcceptedAt: try row?.decode(column: "oldest", as: Int64?.self))
        }
    }
}
