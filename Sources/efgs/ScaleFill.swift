// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSGateway
import EFGSProtocol
import EFGSStore
import Foundation
import Logging

/// The fast way to a large store for `efgs benchmark-scale`: generated keys, sealed and MAC'd as the gateway stores
/// them (the same `StorageCipher`), written raw — the SQLite C API or PostgreSQL `COPY`, as `efgs benchmark`'s
/// baseline (b) writes — and batched into download batches dated ``acceptedAt``'s day.
///
/// Marked as such: the upload batches are country `NL`'s, tagged `scale-fill-N`, with the batch signature
/// ``unsignedMarker`` (no CMS signature: an audit of them does not verify), accepted ``ScaleBenchmark/fillAgeDays``
/// days ago, so one key-retention run deletes them all at the legal limit.
final class ScaleFill {
    /// The batch signature of every fill upload batch.
    static let unsignedMarker = "not signed: efgs benchmark-scale fill"
    /// Upload batches written per transaction.
    static let batchesPerTransaction = 40

    let services: GatewayServices
    let runtime: GatewayRuntime
    /// The fill's own connection pool on PostgreSQL, or nil for the SQLite file at `sqlitePath`.
    let postgres: PostgresBackend?
    let sqlitePath: String
    let keysPerBatch: Int
    /// Epoch milliseconds of every fill upload batch's acceptance and of its download batch.
    let acceptedAt: Int64
    /// Random per run: the first 8 bytes of every fill key (the last 8 are a counter), so keys are distinct.
    let keyPrefix: [UInt8] = (0..<8).map { _ in UInt8.random(in: 0...255) }
    private(set) var keysWritten: UInt64 = 0
    private(set) var batchesWritten = 0

    init(
        runtime: GatewayRuntime, databaseURL: String?, sqlitePath: String, keysPerBatch: Int, acceptedAt: Int64
    ) throws {
        self.runtime = runtime
        self.services = runtime.services
        postgres = try databaseURL.map { try PostgresBackend(url: $0, logger: Logger(label: "bench")) }
        self.sqlitePath = sqlitePath
        self.keysPerBatch = keysPerBatch
        self.acceptedAt = acceptedAt
    }

    /// Writes `count` more keys (in upload batches of `keysPerBatch`, the last one smaller) and batches them.
    func add(_ count: Int) async throws {
        var remaining = count
        while remaining > 0 {
            var sizes: [Int] = []
            while remaining > 0 && sizes.count < Self.batchesPerTransaction {
                sizes.append(min(keysPerBatch, remaining))
                remaining -= sizes.last!
            }
            var batches: [[DiagnosisKey]] = []
            for size in sizes {
                batches.append(Self.keys(count: size, prefix: keyPrefix, first: keysWritten))
                keysWritten += UInt64(size)
            }
            let rows = try await seal(batches)
            let uploads = (0..<rows.count).map { i in
                (tag: "scale-fill-\(batchesWritten + i + 1)", signature: Self.unsignedMarker)
            }
            batchesWritten += rows.count
            if let postgres {
                _ = try await RawPostgresCopy.run(
                    backend: postgres, uploads: uploads, rows: rows, country: "NL", acceptedAt: acceptedAt,
                    emptyFirst: false)
            } else {
                _ = try RawSQLiteInsert.run(
                    path: sqlitePath, uploads: uploads, rows: rows, country: "NL", acceptedAt: acceptedAt)
            }
        }
        try await batch()
        // a real store grows over days with autovacuum keeping up; after millions of rows written at once,
        // PostgreSQL's autovacuum would scan the tables during the measurements that follow
        _ = try await postgres?.withConnection { conn in
            try await conn.query(
                "VACUUM (ANALYZE) diagnosis_keys, upload_batches, download_batches", logger: Logger(label: "bench"))
        }
    }

    /// Closes the PostgreSQL pool.
    func close() async throws { try await postgres?.close() }

    /// The keys sealed as the gateway seals an upload, one batch per task (every core).
    func seal(_ batches: [[DiagnosisKey]]) async throws -> [[StoredKey]] {
        let upload = services.upload
        return try await withThrowingTaskGroup(of: (Int, [StoredKey]).self) { group in
            for (i, keys) in batches.enumerated() {
                group.addTask { (i, try upload.sealedKeys(keys, records: upload.canonicalRecords(keys))) }
            }
            var sealed = [[StoredKey]](repeating: [], count: batches.count)
            for try await (i, rows) in group { sealed[i] = rows }
            return sealed
        }
    }

    /// Every unbatched upload batch into download batches of `keysPerBatch` keys dated `acceptedAt`, under the
    /// batching job's lock (the gateway under measurement batches too).
    func batch() async throws {
        let store = services.store
        let (day, docLimit) = (Date(timeIntervalSince1970: Double(acceptedAt) / 1000), keysPerBatch)
        for _ in 0..<600 {
            let done: Void? = try await runtime.locked(JobLock.batching) {
                while try await store.createDownloadBatch(now: day, docLimit: docLimit) != nil {}
            }
            if done != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw SoakFailure("benchmark-scale: the batching lock stayed held for a minute")
    }

    /// `count` distinct keys: `prefix` and a big-endian counter from `first` as the key data, the other fields as
    /// `efgs demo`'s keys (no random source per key: ten million keys take seconds, not minutes).
    static func keys(count: Int, prefix: [UInt8], first: UInt64) -> [DiagnosisKey] {
        let interval = UInt32(Int(Date().timeIntervalSince1970) / 600)
        return (0..<count).map { i in
            var k = DiagnosisKey()
            let n = first + UInt64(i)
            k.keyData = Data(prefix + (0..<8).map { UInt8(truncatingIfNeeded: n >> (56 - 8 * $0)) })
            k.rollingStartIntervalNumber = interval - 144 * UInt32(i % 10 + 1)
            k.rollingPeriod = 144
            k.transmissionRiskLevel = Int32(i % 9)
            k.visitedCountries = ["DE", "FR"]
            k.origin = "NL"
            k.reportType = .confirmedTest
            k.daysSinceOnsetOfSymptoms = Int32(i % 14)
            return k
        }
    }
}
