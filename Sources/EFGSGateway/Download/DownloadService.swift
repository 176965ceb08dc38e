// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSStore
import Foundation
import Metrics
import NIOCore

/// Downloading a batch (PROTOCOL.md §5.4): the batch named by `batchTag`, or the first batch of the requested
/// day, without the caller's own keys, decrypted (§7.1) and encoded in the negotiated format; the download is
/// recorded in the statistics (§7.7, written behind the response in groups: ``DownloadStatisticsWriter``). The body is
/// built once per batch content, caller country and format and then served from the ``DownloadCache``. The batch row is
/// read for every download, by a read that began after the download asked (a quarantine counts from the next one on):
/// on the calling thread where the store can (``DownloadStore/downloadBatchNow(_:)``, SQLite), otherwise with
/// concurrent downloads sharing a query (``SharedFreshReads``).
public struct DownloadService: Sendable {
    /// A downloaded batch.
    public struct Batch: Sendable {
        /// The batch's tag (`yyyyMMdd-N`, §7.3).
        public var tag: String
        /// The next batch of the chain, or nil for the newest (`nextBatchTag: null`).
        public var nextTag: String?
        /// The number of keys in `body`.
        public var keyCount: Int
        /// The response body: `DiagnosisKeyBatch` (protobuf) or the JSON key list, keys in download order; the
        /// ``DownloadCache``'s buffer itself, not a copy.
        public var body: ByteBuffer
    }

    let store: any DownloadStore & StatisticsStore
    let cipher: StorageCipher
    let requestedDate: RequestedDate
    let cache: DownloadCache
    let statistics: DownloadStatisticsWriter
    /// Batch rows read for concurrent downloads at once (each from a query that began after it asked).
    let batchReads = SharedFreshReads<DownloadBatchLookup, DownloadBatchRecord?>(
        sharesFailure: StoreError.isUnavailable)
    let clock: @Sendable () -> Date

    /// A download service over `store`; `maxAgeDays` is `download.maxAgeDays`; the statistics are committed every
    /// `statisticsWindow`, and a failed commit is logged to `log`.
    public init(
        store: any DownloadStore & StatisticsStore, cipher: StorageCipher, maxAgeDays: Int,
        cache: DownloadCache = DownloadCache(capacityBytes: 0), statisticsWindow: Duration = .milliseconds(20),
        log: EventLog? = nil, clock: @escaping @Sendable () -> Date
    ) {
        self.store = store
        self.cipher = cipher
        self.requestedDate = RequestedDate(maxAgeDays: maxAgeDays)
        self.cache = cache
        self.statistics = DownloadStatisticsWriter(
            store: store, window: statisticsWindow, log: log?.scope("DownloadStatistics"))
        self.clock = clock
    }

    /// Returns true once the statistics of every download answered so far are written (or reported lost), false
    /// after `timeout`.
    @discardableResult
    public func flushStatistics(within timeout: Duration = .seconds(10)) async -> Bool {
        await statistics.flush(within: timeout)
    }

    /// The batch of `date` for `caller` in `format`: the one tagged `batchTag` (absent, empty or `null`: the
    /// day's first).
    public func batch(
        date: String, batchTag: String?, format: WireFormat, for caller: AuthenticatedCountry, log: EventScope
    ) async throws -> Batch {
        let log = log.component("DownloadController")
        let now = clock()
        let today = UTCDay(now)
        let day = try requestedDate.day(date, today: today)
        if day > today {
            throw Self.notFound(
                "Could not find any batches for given date", "Could not find any batches for given date",
                [("requestedDate", date)])
        }
        let batch = try await find(day: day, date: date, batchTag: batchTag)
        if let reason = batch.quarantineReason {
            cache.remove(batchTag: batch.tag)
            throw Self.withdrawn(batch.tag, reason: reason)
        }
        let key = DownloadCache.Key(
            batchTag: batch.tag, contentVersion: batch.contentVersion,
            country: try await leftOutCountry(batch, caller: caller.country), format: format)
        let (store, cipher) = (self.store, self.cipher)
        let entry = try await cache.entry(for: key) {
            let stored = try await store.downloadKeys(batchTag: key.batchTag, excludingCountry: key.country)
            // each stored payload is its key's deterministic protobuf encoding (§7.1)
            let payloads = try stored.map { try cipher.open($0.sealedPayload, mac: $0.dedupMAC) }
            return DownloadCache.Entry(body: try Self.body(payloads, format: format), keyCount: payloads.count)
        }
        try await statistics.record(
            DownloadStatistic(
                time: UTCTimestamp.millis(now), country: caller.country, batchTag: batch.tag, keyCount: entry.keyCount))
        Counter(label: "efgs_downloads_total", dimensions: [("country", caller.country)]).increment()
        Counter(label: "efgs_downloaded_keys_total", dimensions: [("country", caller.country)]).increment(
            by: entry.keyCount)
        log.info("Successful Batch Download", ["batchTag": batch.tag, "numKeys": String(entry.keyCount)])
        return Batch(tag: batch.tag, nextTag: batch.nextTag, keyCount: entry.keyCount, body: entry.body)
    }

    /// The country whose keys `caller`'s download of `batch` leaves out: `caller` when it uploaded some of them,
    /// else none (``DownloadCache/Key/everyKey``), so the callers that uploaded nothing share one cached body.
    func leftOutCountry(_ batch: DownloadBatchRecord, caller: String) async throws -> String {
        guard cache.capacityBytes > 0 else { return caller }
        let store = self.store
        let uploaders = try await cache.uploaderCountries(batchTag: batch.tag, contentVersion: batch.contentVersion) {
            try await store.uploaderCountries(batchTag: batch.tag)
        }
        guard let uploaders else { return caller }  // the batch changed since its row was read: its own body
        return uploaders.contains(caller) ? caller : DownloadCache.Key.everyKey
    }

    /// The body of a download of the keys whose protobuf encodings are `encodedKeys`, in `format` (§5.4).
    static func body(_ encodedKeys: [[UInt8]], format: WireFormat) throws -> [UInt8] {
        switch format {
        case .protobuf: return DiagnosisKeyBatch.protobufBytes(encodedKeys: encodedKeys)
        case .json: return DiagnosisKeyJSONEncoder.encode(try encodedKeys.map(DiagnosisKey.fromProtobuf))
        }
    }

    /// The batch tagged `batchTag` (created on `day` or later), or the first batch created on `day` or later.
    func find(day: UTCDay, date: String, batchTag: String?) async throws -> DownloadBatchRecord {
        if let tag = batchTag?.trimmingCharacters(in: .whitespaces), !tag.isEmpty, tag.lowercased() != "null" {
            // a text that is no `yyyyMMdd-N` names no batch, and is never sent to the store (NUL on PostgreSQL)
            guard BatchTag(tag) != nil, let batch = try await batch(.tag(tag)) else {
                throw Self.notFound(
                    "Could not find batch with given BatchTag", "Could not find batch with given batchTag",
                    [("batchTag", tag), ("requestedDate", date)])
            }
            guard UTCDay(epochMillis: batch.createdAt) >= day else {
                throw APIError(
                    400, "Given date does is not after or equals the requested batchTag",
                    event: .init(
                        "DownloadController", .info, "Given date does not match the requested batchTag",
                        [("batchTag", tag), ("requestedDate", date)]))
            }
            return batch
        }
        guard let batch = try await batch(.firstCreated(atOrAfterMillis: day.startMillis)) else {
            throw Self.notFound(
                "Could not find any batches for given date", "Could not find any batches for given date",
                [("requestedDate", date)])
        }
        return batch
    }

    /// The batch row `lookup` names, read now: on this thread where the store can, else shared with concurrent
    /// downloads asking for the same row.
    func batch(_ lookup: DownloadBatchLookup) async throws -> DownloadBatchRecord? {
        if let rows = store.downloadBatchNow(lookup) { return rows.first }
        let store = self.store
        return try await batchReads.read(lookup) { try await store.downloadBatch(lookup) }
    }

    /// 410 for a batch the operator took out of the chain (`efgs batch quarantine`).
    static func withdrawn(_ tag: String, reason: String) -> APIError {
        APIError(
            410, "Batch \(tag) has been withdrawn by the operator",
            event: .init(
                "DownloadController", .warn, "Quarantined batch requested", [("batchTag", tag), ("reason", reason)]))
    }

    static func notFound(_ message: String, _ event: String, _ attributes: [(String, String)]) -> APIError {
        APIError(404, message, event: .init("DownloadController", .info, event, attributes))
    }
}
