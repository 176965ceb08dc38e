import EFGSProtocol
import Foundation
import Logging
import SQLKit

/// ``GatewayStore`` in portable SQL (SQLKit binds are rendered per dialect), used for SQLite and PostgreSQL.
public final class SQLGatewayStore: GatewayStore, @unchecked Sendable {
    let backend: any SQLBackend

    public init(backend: any SQLBackend) { self.backend = backend }

    /// Opens the store a `database.url` names: `postgres://USER:PASSWORD@HOST:PORT/DATABASE` or `sqlite:PATH`
    /// (or a bare path).
    public static func open(url: String, logger: Logger) async throws -> SQLGatewayStore {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return SQLGatewayStore(backend: try PostgresBackend(url: url, logger: logger))
        }
        let path = url.hasPrefix("sqlite:") ? String(url.dropFirst("sqlite:".count)) : url
        guard !path.isEmpty else { throw StoreError.unsupported("database.url names no SQLite file") }
        return SQLGatewayStore(backend: try await SQLiteBackend.open(path: path, logger: logger))
    }

    public func close() async throws { try await backend.close() }

    /// PostgreSQL only: drops and recreates the `public` schema (every table of the gateway) — for tests and
    /// `efgs benchmark --reset-database`, never for a production database.
    public func resetSchema() async throws {
        guard backend.dialect == .postgres else { throw StoreError.unsupported("resetSchema is for PostgreSQL databases") }
        try await backend.transaction { db in
            try await db.raw("DROP SCHEMA IF EXISTS public CASCADE").run()
            try await db.raw("CREATE SCHEMA public").run()
        }
    }

    /// Whether the store runs on PostgreSQL.
    public var isPostgres: Bool { backend.dialect == .postgres }

    // MARK: migrations

    public func migrate() async throws -> [Int] {
        let dialect = backend.dialect
        /// Several instances may start at once: on PostgreSQL each migration step holds a transaction-scoped advisory
        /// lock, so the DDL runs once (SQLite serialises writers itself).
        @Sendable func serialised(_ db: any SQLDatabase) async throws {
            if dialect == .postgres { try await db.raw("SELECT pg_advisory_xact_lock(7320451)").run() }
        }
        try await backend.transaction { db in
            try await serialised(db)
            try await db.raw("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)").run()
        }
        var applied: [Int] = []
        for m in Migrations.all(dialect) {
            let done = try await backend.transaction { db -> Bool in
                try await serialised(db)
                let exists = try await db.raw("SELECT version FROM schema_migrations WHERE version = \(bind: m.version)").first() != nil
                if exists { return false }
                for s in m.statements { try await db.raw(SQLQueryString(s)).run() }
                try await db.raw("INSERT INTO schema_migrations (version, applied_at) VALUES (\(bind: m.version), \(bind: Self.nowMillis()))").run()
                return true
            }
            if done { applied.append(m.version) }
        }
        return applied
    }

    public func schemaVersion() async throws -> Int {
        try await backend.read { db in
            try await db.raw("SELECT MAX(version) AS v FROM schema_migrations").first()?.decode(column: "v", as: Int?.self) ?? 0
        }
    }

    public func ping() async throws {
        _ = try await backend.read { db in try await db.raw("SELECT 1 AS x").first() != nil }
    }

    public static var latestSchemaVersion: Int { Migrations.all(.sqlite).map(\.version).max() ?? 0 }

    static func nowMillis() -> Int64 { UTCTimestamp.millis(Date()) }

    // MARK: certificates

    public func insertCertificate(_ row: CertificateRow) async throws -> CertificateRow {
        try await backend.transaction { db in
            let id = try await db.raw("""
                INSERT INTO certificates (created_at, thumbprint, country, type, revoked, host, pem, operator_signature)
                VALUES (\(bind: row.createdAt), \(bind: row.thumbprint), \(bind: row.country), \(bind: row.type.rawValue),
                        \(bind: row.revoked ? 1 : 0), \(bind: row.host), \(bind: row.pem), \(bind: row.operatorSignature))
                RETURNING id
                """).first()!.decode(column: "id", as: Int64.self)
            var r = row
            r.id = id
            return r
        }
    }

    public func certificates(thumbprint: String, type: CertificateType) async throws -> [CertificateRow] {
        try await backend.read { db in
            try await db.raw("SELECT * FROM certificates WHERE thumbprint = \(bind: thumbprint) AND type = \(bind: type.rawValue) ORDER BY id")
                .all().map(Self.certificateRow)
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

    static func certificateRow(_ r: any SQLRow) throws -> CertificateRow {
        CertificateRow(
            id: try r.decode(column: "id", as: Int64.self),
            createdAt: try r.decode(column: "created_at", as: Int64.self),
            thumbprint: try r.decode(column: "thumbprint", as: String.self),
            country: try r.decode(column: "country", as: String.self),
            type: CertificateType(rawValue: try r.decode(column: "type", as: String.self)) ?? .authentication,
            revoked: try r.decode(column: "revoked", as: Int.self) != 0,
            host: try r.decode(column: "host", as: String?.self),
            pem: try r.decode(column: "pem", as: String.self),
            operatorSignature: try r.decode(column: "operator_signature", as: String.self))
    }

    // MARK: uploads

    public func isUploadTagReserved(country: String, tag: String) async throws -> Bool {
        try await backend.read { db in
            try await db.raw("SELECT 1 AS x FROM upload_tags WHERE country = \(bind: country) AND tag = \(bind: tag)").first() != nil
        }
    }

    public func storeUpload(_ batch: UploadBatchRecord, keys: [StoredKey]) async throws -> UploadStoreOutcome {
        // Duplicates inside the request need no database. Duplicates of stored keys are found by the unique
        // constraint on dedup_mac: the first attempt inserts straight away; a unique violation (a stored
        // duplicate, or a concurrent upload that won the tag or a key) rolls back, and the request is
        // re-evaluated with the full duplicate query, as if the other upload had been stored before it.
        var seen = Set<[UInt8]>(minimumCapacity: keys.count)
        var repeated = Set<Int>()
        for k in keys where !seen.insert(k.dedupMAC).inserted { repeated.insert(k.position) }
        let inRequest = repeated, backend = self.backend
        for attempt in 0..<3 {
            do {
                return try await backend.transaction { db in
                    try await Self.storeUpload(batch, keys: keys, inRequestDuplicates: inRequest, queryStoredDuplicates: attempt > 0,
                                               backend: backend, db: db)
                }
            } catch where backend.isUniqueViolation(error) && attempt < 2 {
                continue
            }
        }
        throw StoreError.conflict("upload could not be stored after repeated conflicts")
    }

    static func storeUpload(_ batch: UploadBatchRecord, keys: [StoredKey], inRequestDuplicates: Set<Int>,
                            queryStoredDuplicates: Bool, backend: any SQLBackend, db: any SQLDatabase) async throws -> UploadStoreOutcome {
        if try await db.raw("SELECT 1 AS x FROM upload_tags WHERE country = \(bind: batch.country) AND tag = \(bind: batch.uploadTag)").first() != nil {
            return .tagExists
        }
        if queryStoredDuplicates || !inRequestDuplicates.isEmpty {
            let stored = try await storedMACs(among: keys.map(\.dedupMAC), db: db)
            let duplicates = inRequestDuplicates.union(keys.lazy.filter { stored.contains($0.dedupMAC) }.map(\.position))
            if !duplicates.isEmpty { return .duplicates(duplicates) }
        }
        try await db.raw("INSERT INTO upload_tags (country, tag, reserved_at) VALUES (\(bind: batch.country), \(bind: batch.uploadTag), \(bind: batch.acceptedAt))").run()
        let id = try await db.raw("""
            INSERT INTO upload_batches (country, upload_tag, accepted_at, key_count, format, batch_signature,
              auth_thumbprint, auth_pem, auth_operator_signature, signer_thumbprint, signer_pem, signer_operator_signature)
            VALUES (\(bind: batch.country), \(bind: batch.uploadTag), \(bind: batch.acceptedAt), \(bind: batch.keyCount),
              \(bind: batch.format.rawValue), \(bind: batch.batchSignature), \(bind: batch.authThumbprint), \(bind: batch.authPEM),
              \(bind: batch.authOperatorSignature), \(bind: batch.signerThumbprint), \(bind: batch.signerPEM),
              \(bind: batch.signerOperatorSignature))
            RETURNING id
            """).first()!.decode(column: "id", as: Int64.self)
        try await backend.insertKeys(keys, uploadBatchId: id, db: db)
        try await db.raw("""
            INSERT INTO statistics_uploads (time, country, upload_tag, key_count)
            VALUES (\(bind: batch.acceptedAt), \(bind: batch.country), \(bind: batch.uploadTag), \(bind: batch.keyCount))
            """).run()
        return .stored(uploadBatchId: id)
    }

    /// The MACs among `macs` that are already stored.
    static func storedMACs(among macs: [[UInt8]], db: any SQLDatabase) async throws -> Set<[UInt8]> {
        var stored = Set<[UInt8]>()
        for start in stride(from: 0, to: macs.count, by: rowsPerStatement) {
            let chunk = macs[start..<min(start + rowsPerStatement, macs.count)].map { Data($0) }
            for r in try await db.raw("SELECT dedup_mac FROM diagnosis_keys WHERE dedup_mac IN (\(binds: chunk))").all() {
                stored.insert(Array(try r.decode(column: "dedup_mac", as: Data.self)))
            }
        }
        return stored
    }

    public func unbatchedKeyCount() async throws -> Int {
        try await backend.read { db in
            try await db.raw("SELECT COALESCE(SUM(key_count), 0) AS n FROM upload_batches WHERE download_batch_tag IS NULL")
                .first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    // MARK: batching

    public func createDownloadBatch(now: Date, docLimit: Int) async throws -> DownloadBatchRecord? {
        try await backend.transaction { db in
            let candidates = try await db.raw("""
                SELECT id, key_count, format FROM upload_batches WHERE download_batch_tag IS NULL ORDER BY id LIMIT \(literal: docLimit + 1)
                """).all()
            guard let first = candidates.first else { return nil }
            let format = try first.decode(column: "format", as: String.self)
            var ids: [Int64] = []
            var total = 0
            for c in candidates {
                let n = try c.decode(column: "key_count", as: Int.self)
                guard try c.decode(column: "format", as: String.self) == format, total + n <= docLimit || ids.isEmpty else { break }
                ids.append(try c.decode(column: "id", as: Int64.self))
                total += n
            }
            let nowMillis = UTCTimestamp.millis(now)
            let day = UTCDay(epochMillis: nowMillis)
            let maxN = try await db.raw("SELECT MAX(tag_number) AS n FROM download_batches WHERE tag_day = \(bind: day.epochDay)")
                .first()?.decode(column: "n", as: Int?.self) ?? 0
            let tag = BatchTag(day: day, number: maxN + 1).description
            try await db.raw("""
                UPDATE download_batches SET next_tag = \(bind: tag) WHERE seq = (SELECT MAX(seq) FROM download_batches)
                """).run()
            try await db.raw("""
                INSERT INTO download_batches (tag, tag_day, tag_number, created_at, next_tag, key_count, format)
                VALUES (\(bind: tag), \(bind: day.epochDay), \(bind: maxN + 1), \(bind: nowMillis), NULL, \(bind: total), \(bind: format))
                """).run()
            try await db.raw("UPDATE upload_batches SET download_batch_tag = \(bind: tag) WHERE id IN (\(binds: ids))").run()
            // one callback task per subscription; predecessor = that subscription's most recent existing task
            try await db.raw("""
                INSERT INTO callback_tasks (subscription_id, batch_tag, batch_created_at, created_at, retries, predecessor_id)
                SELECT s.id, \(bind: tag), \(bind: nowMillis), \(bind: nowMillis), 0,
                       (SELECT MAX(t.id) FROM callback_tasks t WHERE t.subscription_id = s.id)
                FROM callback_subscriptions s
                """).run()
            guard let format = WireFormat(rawValue: format) else { throw StoreError.corrupt("unknown format \(format)") }
            return DownloadBatchRecord(tag: tag, createdAt: nowMillis, nextTag: nil, keyCount: total, format: format)
        }
    }

    // MARK: download and audit

    public func downloadBatch(tag: String) async throws -> DownloadBatchRecord? {
        try await backend.read { db in
            try await db.raw("SELECT * FROM download_batches WHERE tag = \(bind: tag)").first().map(Self.downloadBatch)
        }
    }

    public func firstDownloadBatch(createdAtOrAfter millis: Int64) async throws -> DownloadBatchRecord? {
        try await backend.read { db in
            try await db.raw("SELECT * FROM download_batches WHERE created_at >= \(bind: millis) ORDER BY created_at, tag_number LIMIT 1")
                .first().map(Self.downloadBatch)
        }
    }

    static func downloadBatch(_ r: any SQLRow) throws -> DownloadBatchRecord {
        DownloadBatchRecord(
            tag: try r.decode(column: "tag", as: String.self),
            createdAt: try r.decode(column: "created_at", as: Int64.self),
            nextTag: try r.decode(column: "next_tag", as: String?.self),
            keyCount: try r.decode(column: "key_count", as: Int.self),
            format: WireFormat(rawValue: try r.decode(column: "format", as: String.self)) ?? .protobuf)
    }

    public func downloadKeys(batchTag: String, excludingCountry: String) async throws -> [StoredKey] {
        // the hot read of every download: PostgreSQL decodes natively (same query)
        if let postgres = backend as? PostgresBackend { return try await postgres.downloadKeys(batchTag: batchTag, excludingCountry: excludingCountry) }
        return try await backend.read { db in
            try await db.raw("""
                SELECT k.position, k.dedup_mac, k.payload FROM diagnosis_keys k
                JOIN upload_batches u ON k.upload_batch_id = u.id
                WHERE u.download_batch_tag = \(bind: batchTag) AND u.country <> \(bind: excludingCountry)
                ORDER BY u.id, k.position
                """).all().map { r in
                StoredKey(position: try r.decode(column: "position", as: Int.self),
                          dedupMAC: Array(try r.decode(column: "dedup_mac", as: Data.self)),
                          sealedPayload: Array(try r.decode(column: "payload", as: Data.self)))
            }
        }
    }

    public func auditEntries(batchTag: String, excludingCountry: String) async throws -> [UploadBatchRecord] {
        try await backend.read { db in
            try await db.raw("""
                SELECT * FROM upload_batches u
                WHERE u.download_batch_tag = \(bind: batchTag) AND u.country <> \(bind: excludingCountry)
                  AND EXISTS (SELECT 1 FROM diagnosis_keys k WHERE k.upload_batch_id = u.id)
                ORDER BY u.id
                """).all().map(Self.uploadBatch)
        }
    }

    static func uploadBatch(_ r: any SQLRow) throws -> UploadBatchRecord {
        UploadBatchRecord(
            id: try r.decode(column: "id", as: Int64.self),
            country: try r.decode(column: "country", as: String.self),
            uploadTag: try r.decode(column: "upload_tag", as: String.self),
            acceptedAt: try r.decode(column: "accepted_at", as: Int64.self),
            keyCount: try r.decode(column: "key_count", as: Int.self),
            format: WireFormat(rawValue: try r.decode(column: "format", as: String.self)) ?? .protobuf,
            batchSignature: try r.decode(column: "batch_signature", as: String.self),
            authThumbprint: try r.decode(column: "auth_thumbprint", as: String.self),
            authPEM: try r.decode(column: "auth_pem", as: String.self),
            authOperatorSignature: try r.decode(column: "auth_operator_signature", as: String.self),
            signerThumbprint: try r.decode(column: "signer_thumbprint", as: String.self),
            signerPEM: try r.decode(column: "signer_pem", as: String.self),
            signerOperatorSignature: try r.decode(column: "signer_operator_signature", as: String.self),
            downloadBatchTag: try r.decode(column: "download_batch_tag", as: String?.self))
    }

    // MARK: callback subscriptions

    public func callbackSubscriptions(country: String) async throws -> [CallbackSubscription] {
        try await backend.read { db in
            try await db.raw("SELECT * FROM callback_subscriptions WHERE country = \(bind: country) ORDER BY created_at, id").all().map { r in
                CallbackSubscription(id: try r.decode(column: "id", as: Int64.self),
                                     country: try r.decode(column: "country", as: String.self),
                                     callbackId: try r.decode(column: "callback_id", as: String.self),
                                     url: try r.decode(column: "url", as: String.self),
                                     createdAt: try r.decode(column: "created_at", as: Int64.self))
            }
        }
    }

    public func upsertCallbackSubscription(country: String, callbackId: String, url: String, now: Int64) async throws {
        try await backend.transaction { db in
            try await db.raw("""
                INSERT INTO callback_subscriptions (country, callback_id, url, created_at)
                VALUES (\(bind: country), \(bind: callbackId), \(bind: url), \(bind: now))
                ON CONFLICT (country, callback_id) DO UPDATE SET url = excluded.url
                """).run()
        }
    }

    public func deleteCallbackSubscription(country: String, callbackId: String) async throws -> Bool {
        try await backend.transaction { db in
            guard let row = try await db.raw("SELECT id FROM callback_subscriptions WHERE country = \(bind: country) AND callback_id = \(bind: callbackId)").first() else {
                return false
            }
            let id = try row.decode(column: "id", as: Int64.self)
            try await db.raw("DELETE FROM callback_tasks WHERE subscription_id = \(bind: id)").run()
            try await db.raw("DELETE FROM callback_subscriptions WHERE id = \(bind: id)").run()
            return true
        }
    }

    public func deleteCallbackSubscriptions(country: String) async throws -> Int {
        try await backend.transaction { db in
            try await db.raw("DELETE FROM callback_tasks WHERE subscription_id IN (SELECT id FROM callback_subscriptions WHERE country = \(bind: country))").run()
            return try await db.raw("DELETE FROM callback_subscriptions WHERE country = \(bind: country) RETURNING id").all().count
        }
    }

    // MARK: callback delivery

    public func claimCallbackTask(now: Int64, lastTryBefore: Int64) async throws -> CallbackTask? {
        try await backend.transaction { db in
            let candidates = try await db.raw("""
                SELECT t.id, t.subscription_id, t.batch_tag, t.batch_created_at, t.retries, s.country, s.callback_id, s.url
                FROM callback_tasks t JOIN callback_subscriptions s ON s.id = t.subscription_id
                WHERE t.locked_at IS NULL
                  AND (t.last_try IS NULL OR t.last_try <= \(bind: lastTryBefore))
                  AND (t.predecessor_id IS NULL OR NOT EXISTS (SELECT 1 FROM callback_tasks p WHERE p.id = t.predecessor_id))
                  AND NOT EXISTS (SELECT 1 FROM callback_tasks o WHERE o.subscription_id = t.subscription_id AND o.locked_at IS NOT NULL)
                ORDER BY t.id LIMIT 8
                """).all()
            for r in candidates {
                let id = try r.decode(column: "id", as: Int64.self)
                // the conditional update is the claim: another executor may have taken the task meanwhile
                let claimed = try await db.raw("""
                    UPDATE callback_tasks SET locked_at = \(bind: now) WHERE id = \(bind: id) AND locked_at IS NULL RETURNING id
                    """).all()
                guard !claimed.isEmpty else { continue }
                return CallbackTask(
                    id: id, subscriptionId: try r.decode(column: "subscription_id", as: Int64.self),
                    country: try r.decode(column: "country", as: String.self), callbackId: try r.decode(column: "callback_id", as: String.self),
                    url: try r.decode(column: "url", as: String.self), batchTag: try r.decode(column: "batch_tag", as: String.self),
                    batchCreatedAt: try r.decode(column: "batch_created_at", as: Int64.self), retries: try r.decode(column: "retries", as: Int.self))
            }
            return nil
        }
    }

    public func deleteCallbackTask(id: Int64) async throws {
        try await backend.transaction { db in try await db.raw("DELETE FROM callback_tasks WHERE id = \(bind: id)").run() }
    }

    public func recordCallbackFailure(id: Int64, now: Int64) async throws {
        try await backend.transaction { db in
            try await db.raw("UPDATE callback_tasks SET retries = retries + 1, last_try = \(bind: now), locked_at = NULL WHERE id = \(bind: id)").run()
        }
    }

    public func releaseCallbackLocks(lockedBefore: Int64) async throws -> Int {
        try await backend.transaction { db in
            try await db.raw("UPDATE callback_tasks SET locked_at = NULL WHERE locked_at IS NOT NULL AND locked_at < \(bind: lockedBefore) RETURNING id")
                .all().count
        }
    }

    public func deleteCallbackSubscription(id: Int64) async throws {
        try await backend.transaction { db in
            try await db.raw("DELETE FROM callback_tasks WHERE subscription_id = \(bind: id)").run()
            try await db.raw("DELETE FROM callback_subscriptions WHERE id = \(bind: id)").run()
        }
    }

    public func pendingCallbackTaskCount() async throws -> Int {
        try await backend.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM callback_tasks").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    // MARK: job locks

    public func acquireJobLock(name: String, holder: String, now: Int64, leaseUntil: Int64) async throws -> Bool {
        try await backend.transaction { db in
            try await db.raw("""
                INSERT INTO job_locks (name, holder, lease_until) VALUES (\(bind: name), \(bind: holder), \(bind: leaseUntil))
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
                  WHERE job_locks.lease_until < \(bind: now) OR job_locks.holder = excluded.holder
                RETURNING holder
                """).first() != nil
        }
    }

    public func releaseJobLock(name: String, holder: String) async throws {
        try await backend.transaction { db in
            try await db.raw("DELETE FROM job_locks WHERE name = \(bind: name) AND holder = \(bind: holder)").run()
        }
    }

    // MARK: retention and statistics

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
                try await db.raw("""
                    DELETE FROM diagnosis_keys WHERE id IN (
                      SELECT k.id FROM diagnosis_keys k JOIN upload_batches u ON k.upload_batch_id = u.id
                      WHERE u.accepted_at < \(bind: cutoff) LIMIT \(literal: limit))
                    RETURNING id
                    """).all().count
            }
            deleted += n
            if n < chunkSize { break }
        }
        // the upload-batch records (signature and certificate snapshots) go with their keys; tags and
        // statistics stay
        try await backend.transaction { db in
            try await db.raw("""
                DELETE FROM upload_batches WHERE accepted_at < \(bind: cutoff)
                  AND NOT EXISTS (SELECT 1 FROM diagnosis_keys k WHERE k.upload_batch_id = upload_batches.id)
                """).run()
        }
        let after = try await storedKeyCount()
        let result = CleanupResult(cutoff: cutoff, keysDeleted: deleted, keysBefore: before, keysAfter: after)
        let total = deleted
        try await backend.transaction { db in
            try await db.raw("""
                INSERT INTO statistics_cleanups (time, cutoff, keys_deleted, keys_before, keys_after)
                VALUES (\(bind: Self.nowMillis()), \(bind: cutoff), \(bind: total), \(bind: before), \(bind: after))
                """).run()
        }
        return result
    }

    public func purgeStatistics(before cutoff: Int64) async throws -> Int {
        try await backend.transaction { db in
            var n = 0
            n += try await db.raw("DELETE FROM statistics_uploads WHERE time < \(bind: cutoff) RETURNING id").all().count
            n += try await db.raw("DELETE FROM statistics_downloads WHERE time < \(bind: cutoff) RETURNING id").all().count
            n += try await db.raw("DELETE FROM statistics_cleanups WHERE time < \(bind: cutoff) RETURNING id").all().count
            n += try await db.raw("DELETE FROM callback_tasks WHERE created_at < \(bind: cutoff) RETURNING id").all().count
            n += try await db.raw("""
                DELETE FROM download_batches WHERE created_at < \(bind: cutoff)
                  AND seq <> (SELECT MAX(seq) FROM download_batches) RETURNING seq
                """).all().count
            return n
        }
    }

    public func recordDownloadStatistic(time: Int64, country: String, batchTag: String, keyCount: Int) async throws {
        try await backend.transaction { db in
            try await db.raw("INSERT INTO statistics_downloads (time, country, batch_tag, key_count) VALUES (\(bind: time), \(bind: country), \(bind: batchTag), \(bind: keyCount))").run()
        }
    }

    public func countryActivity() async throws -> [CountryActivity] {
        try await backend.read { db in
            let ups = try await db.raw("SELECT country, MAX(time) AS t FROM statistics_uploads GROUP BY country").all()
            let downs = try await db.raw("SELECT country, MAX(time) AS t FROM statistics_downloads GROUP BY country").all()
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

extension CountryActivity {
    init(country: String) { self.init(country: country, lastUpload: nil, lastDownload: nil) }
}

public enum StoreError: Error, CustomStringConvertible {
    case unsupported(String), conflict(String), corrupt(String)
    public var description: String {
        switch self {
        case .unsupported(let s), .conflict(let s), .corrupt(let s): return s
        }
    }
}
