// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSTestSupport
import Foundation
import NIOCore
import SQLKit
import Synchronization
import XCTest

@testable import EFGSGateway
@testable import EFGSStore

/// The download cache (`download.cacheMegabytes`, ``DownloadCache``): a batch's body is built once per content,
/// caller country and format, and what a download serves is always what the store holds now, also when retention or
/// quarantine ran on another instance sharing the database. Runs on SQLite, and on PostgreSQL when
/// `EFGS_TEST_POSTGRES_URL` is set.
final class DownloadCacheTests: XCTestCase {
    func download(
        _ api: GatewayAPI, _ f: Fixture, country: String = "FR", tag: String? = nil, format: WireFormat = .protobuf
    ) async -> APIResponse {
        var headers = [("Accept", format.acceptHeader())]
        if let tag { headers.append(("batchTag", tag)) }
        return await api.handle(
            method: "GET", path: "/diagnosiskeys/download/\(UTCDay(Date()).description)",
            request: f.request("GET", country: country, headers: headers))
    }

    /// The key data of a protobuf download body.
    func keyData(_ r: APIResponse) throws -> Set<Data> {
        Set(try WireFormat.protobuf.decodeKeys(r.body).map(\.keyData))
    }

    /// The key data `country` downloads through `api` (protobuf).
    func downloadedKeys(_ api: GatewayAPI, _ f: Fixture, country: String = "FR") async throws -> Set<Data> {
        let r = await download(api, f, country: country)
        XCTAssertEqual(r.status, 200, r.bodyText)
        return try keyData(r)
    }

    /// A second gateway instance on the fixture's database (as in a deployment of several instances).
    func secondInstance(_ f: Fixture) throws -> GatewayServices {
        let pem = try String(contentsOf: f.dir.appendingPathComponent("ta.pem"), encoding: .utf8)
        return try GatewayServices(
            config: f.services.config, store: f.store, trustAnchor: try TrustAnchor(pem: pem),
            log: EventLog(minimumLevel: .error, sink: { _ in }))
    }

    /// The key counts of the download statistics, once the fixture's gateway and `others` have written theirs.
    func downloadStatistics(_ f: Fixture, others: [GatewayServices] = []) async throws -> [Int] {
        for services in [f.services] + others { await services.download.flushStatistics() }
        return try await f.store.backend.read { db in
            try await db.raw("SELECT key_count FROM statistics_downloads ORDER BY id").all().map {
                try $0.decode(column: "key_count", as: Int.self)
            }
        }
    }

    /// The second download of a batch is served from the cache: the same bytes as the first and as a gateway
    /// without a cache, in both formats, and every download is still in the statistics.
    func testRepeatedDownloadsAreServedFromTheCacheWithTheSameBodyAndStatistics() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let keys = f.keys(4, origin: "DE")
        try await assertEq(try await f.upload(keys).status, 201)
        let tag = try await f.services.batching.run()[0].tag

        let first = await download(f.api, f)
        XCTAssertEqual(first.status, 200)
        XCTAssertEqual(try keyData(first), Set(keys.map(\.keyData)))
        XCTAssertEqual(f.services.download.cache.usage.entries, 1)
        let second = await download(f.api, f)
        XCTAssertEqual(second, first)
        let json = await download(f.api, f, format: .json)
        XCTAssertEqual(json.status, 200)
        XCTAssertEqual(f.services.download.cache.usage.entries, 2, "one body per format")
        let jsonAgain = await download(f.api, f, format: .json)
        XCTAssertEqual(jsonAgain, json)
        try await assertEq(try await downloadStatistics(f), [4, 4, 4, 4], "every download is counted")

        // the same answers from a gateway that keeps nothing
        var config = f.services.config
        config.api.downloadCacheMegabytes = 0
        let uncached = try GatewayServices(
            config: config, store: f.store, trustAnchor: f.services.trustAnchor,
            log: EventLog(minimumLevel: .error, sink: { _ in }))
        let plain = GatewayAPI(services: uncached)
        let plainProtobuf = await download(plain, f, tag: tag)
        let plainJSON = await download(plain, f, tag: tag, format: .json)
        XCTAssertEqual(plainProtobuf, first)
        XCTAssertEqual(plainJSON, json)
        XCTAssertEqual(uncached.download.cache.usage.entries, 0)
    }

    /// Each country gets the batch without its own keys, also when the other country's body is cached.
    func testEachCountryGetsItsOwnBodyFromTheCache() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let de = f.keys(3, origin: "DE")
        let fr = f.keys(2, origin: "FR")
        try await assertEq(try await f.upload(de).status, 201)
        try await assertEq(try await f.upload(fr, country: "FR").status, 201)
        _ = try await f.services.batching.run()
        for _ in 0..<2 {
            try await assertEq(try await downloadedKeys(f.api, f, country: "FR"), Set(de.map(\.keyData)))
            try await assertEq(try await downloadedKeys(f.api, f, country: "DE"), Set(fr.map(\.keyData)))
        }
        XCTAssertEqual(f.services.download.cache.usage.entries, 2)
    }

    /// The countries that uploaded none of a batch's keys share one cached body with every key; a country that
    /// uploaded some gets its own, without them (a cache keyed by the caller alone builds one body per country).
    func testCountriesThatUploadedNothingShareOneBody() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let pl = try CertificateFactory.selfSigned(country: "PL", commonName: "auth-PL", key: .p256)
        try await f.register(pl, "PL", .authentication)
        f.countries["PL"] = (pl, pl)
        let de = f.keys(3, origin: "DE")
        try await assertEq(try await f.upload(de).status, 201)
        _ = try await f.services.batching.run()
        for country in ["FR", "PL", "FR"] {
            try await assertEq(try await downloadedKeys(f.api, f, country: country), Set(de.map(\.keyData)))
        }
        XCTAssertEqual(f.services.download.cache.usage.entries, 1, "FR and PL share the body with every key")
        let own = await download(f.api, f, country: "DE")
        XCTAssertEqual(own.status, 200, own.bodyText)
        XCTAssertEqual(try keyData(own), [], "DE never receives its own keys")
        XCTAssertEqual(f.services.download.cache.usage.entries, 2)
    }

    /// Retention run by another instance deletes one upload batch of a cached download batch: both instances serve
    /// the remaining keys on the very next download (a cache keyed by the batch alone would serve the deleted keys).
    func testRetentionOnAnotherInstanceChangesWhatIsServedAtOnce() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let other = try secondInstance(f)
        let otherAPI = GatewayAPI(services: other)
        let expiring = f.keys(2, origin: "DE")
        let staying = f.keys(3, origin: "DE")
        try await assertEq(try await f.upload(expiring, tag: "expiring").status, 201)
        try await assertEq(try await f.upload(staying, tag: "staying").status, 201)
        _ = try await f.services.batching.run()
        let all = Set((expiring + staying).map(\.keyData))
        try await assertEq(try await downloadedKeys(f.api, f), all)
        try await assertEq(try await downloadedKeys(otherAPI, f), all)

        // "expiring" was accepted past the legal limit (14 days): retention deletes it, not "staying"
        let longAgo = UTCTimestamp.millis(Date()) - 15 * 86_400_000
        try await f.store.backend.transaction { db in
            try await db.raw("UPDATE upload_batches SET accepted_at = \(bind: longAgo) WHERE upload_tag = 'expiring'")
                .run()
        }
        let result = try await other.keyRetention.run()
        XCTAssertEqual(result.keysDeleted, 2)

        try await assertEq(try await downloadedKeys(f.api, f), Set(staying.map(\.keyData)))
        try await assertEq(try await downloadedKeys(otherAPI, f), Set(staying.map(\.keyData)))
        XCTAssertEqual(f.services.download.cache.usage.entries, 1, "the older version's body is dropped")
        // each instance writes its statistics behind its responses: in commit order, not download order
        try await assertEq(try await downloadStatistics(f, others: [other]).sorted(), [3, 3, 5, 5])
    }

    /// A batch quarantined by another instance answers 410 on this one although its body is cached, and its cached
    /// bodies are dropped; released, it is served again.
    func testAQuarantinedBatchIsWithdrawnAlthoughItIsCached() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let other = try secondInstance(f)
        try await assertEq(try await f.upload(f.keys(2, origin: "DE")).status, 201)
        let tag = try await f.services.batching.run()[0].tag
        let served = await download(f.api, f, tag: tag)
        XCTAssertEqual(served.status, 200)

        try await other.batchQuarantine.quarantine(tag: tag, reason: "test", by: .init(operatorName: "ops"))
        let withdrawn = await download(f.api, f, tag: tag)
        XCTAssertEqual(withdrawn.status, 410)
        XCTAssertEqual(f.services.download.cache.usage.entries, 0)

        try await other.batchQuarantine.release(tag: tag, by: .init(operatorName: "ops"))
        let again = await download(f.api, f, tag: tag)
        XCTAssertEqual(again, served)
    }

    /// Retention commits between a download's read of the batch row and its read of the batch's uploader countries,
    /// deleting DE's upload batch: DE must still never get the shared body with every key, built before by a country
    /// that uploaded nothing and holding DE's keys (with the set kept under the version asked for, it did; checked
    /// by mutation: with the fallback to the shared body the test fails).
    func testRetentionBetweenTheTwoReadsNeverServesACountryItsOwnKeys() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let de = f.keys(3, origin: "DE")
        try await assertEq(try await f.upload(de).status, 201)
        try await Task.sleep(for: .milliseconds(20))
        let between = UTCTimestamp.millis(Date())
        try await Task.sleep(for: .milliseconds(20))
        let fr = f.keys(2, origin: "FR")
        try await assertEq(try await f.upload(fr, country: "FR").status, 201)
        _ = try await f.services.batching.run()
        let racing = RetentionBetweenReads(store: f.store)
        let cache = DownloadCache(capacityBytes: 1 << 24)
        let service = DownloadService(
            store: racing, cipher: f.services.cipher, maxAgeDays: f.services.config.api.downloadMaxAgeDays,
            cache: cache, clock: { Date() })
        func download(_ country: String) async throws -> Set<Data> {
            let row = CertificateRow(
                createdAt: 0, thumbprint: "t", country: country, type: .authentication, pem: "", operatorSignature: "")
            let batch = try await service.batch(
                date: UTCDay(Date()).description, batchTag: nil, format: .protobuf,
                for: AuthenticatedCountry(country: country, thumbprint: "t", row: row),
                log: f.services.log.scope("DownloadCacheTests"))
            return Set(try WireFormat.protobuf.decodeKeys(Array(batch.body.readableBytesView)).map(\.keyData))
        }
        // PL uploaded nothing: it gets the body with every key, DE's among them
        try await assertEq(try await download("PL"), Set((de + fr).map(\.keyData)))
        // the uploader sets are forgotten (as when 65 536 batches are remembered), so DE's download reads its own
        racing.arm(KeyRetentionCutoffs(batchedBefore: 0, acceptedBefore: between))
        cache.uploaders.withLock { $0.removeAll() }
        let own = try await download("DE")
        XCTAssertTrue(own.isDisjoint(with: de.map(\.keyData)), "DE received its own keys")
        XCTAssertEqual(own, Set(fr.map(\.keyData)))
    }

    /// A set of uploader countries is used only for the content version it was read at. Retention committing between
    /// a download's read of the batch row (version 1) and of the set (version 2, DE's upload batch gone) must not
    /// make DE share the body with every key, which may have been built at version 1 and hold DE's keys; the set
    /// was once kept under the version asked for.
    func testUploaderCountriesAreUsedOnlyForTheVersionTheyWereReadAt() async throws {
        let cache = DownloadCache(capacityBytes: 1 << 20)
        let tag = "20261201-1"
        let raced = try await cache.uploaderCountries(batchTag: tag, contentVersion: 1) { (2, ["FR"]) }
        XCTAssertNil(raced, "read at version 2: nothing known of version 1")
        let v1 = try await cache.uploaderCountries(batchTag: tag, contentVersion: 1) { (1, ["DE", "FR"]) }
        XCTAssertEqual(v1, ["DE", "FR"])
        let v2 = try await cache.uploaderCountries(batchTag: tag, contentVersion: 2) {
            XCTFail("version 2 was remembered")
            return nil
        }
        XCTAssertEqual(v2, ["FR"])
        let gone = try await cache.uploaderCountries(batchTag: "20261201-2", contentVersion: 1) { nil }
        XCTAssertNil(gone)
    }

    /// The cache holds at most its capacity: least recently used bodies go first, a body larger than the capacity
    /// is not kept, and a newer version of a batch replaces the older one.
    func testTheCacheStaysWithinItsCapacity() {
        let cache = DownloadCache(capacityBytes: 70)
        func key(_ tag: String, version: Int = 0) -> DownloadCache.Key {
            DownloadCache.Key(batchTag: tag, contentVersion: version, country: "FR", format: .protobuf)
        }
        let body = DownloadCache.Entry(body: [UInt8](repeating: 1, count: 32), keyCount: 1)
        cache.insert(body, for: key("a"))
        cache.insert(body, for: key("b"))
        XCTAssertNotNil(cache.entry(for: key("a")))
        cache.insert(body, for: key("c"))
        XCTAssertNil(cache.entry(for: key("b")), "b was used least recently")
        XCTAssertNotNil(cache.entry(for: key("a")))
        XCTAssertNotNil(cache.entry(for: key("c")))
        XCTAssertEqual(cache.usage.bytes, 64)

        // the memory a body takes counts: NIO's buffer for 40 bytes holds 64, so d leaves room for nothing else
        cache.insert(DownloadCache.Entry(body: [UInt8](repeating: 2, count: 40), keyCount: 9), for: key("d"))
        XCTAssertNotNil(cache.entry(for: key("d")))
        XCTAssertNil(cache.entry(for: key("a")))
        XCTAssertNil(cache.entry(for: key("c")))
        XCTAssertEqual(cache.usage.bytes, 64)
        cache.insert(DownloadCache.Entry(body: [UInt8](repeating: 2, count: 65), keyCount: 9), for: key("e"))
        XCTAssertNil(cache.entry(for: key("e")), "a buffer of 128 bytes is larger than the whole cache")
        XCTAssertEqual(cache.usage.bytes, 64)

        cache.insert(DownloadCache.Entry(body: [3], keyCount: 1), for: key("d", version: 1))
        XCTAssertNil(cache.entry(for: key("d")))
        XCTAssertEqual(cache.entry(for: key("d", version: 1))?.body, ByteBuffer(bytes: [3]))
        XCTAssertEqual(cache.usage.bytes, 1)

        let off = DownloadCache(capacityBytes: 0)
        off.insert(DownloadCache.Entry(body: [1], keyCount: 1), for: key("a"))
        XCTAssertEqual(off.usage.entries, 0)
    }

    /// Downloads that miss one key at the same time wait for one build (no stampede on a cold entry); a failed build
    /// fails its waiters and the next caller builds again.
    func testConcurrentMissesBuildTheBodyOnce() async throws {
        let cache = DownloadCache(capacityBytes: 1000)
        let key = DownloadCache.Key(batchTag: "20261201-1", contentVersion: 0, country: "FR", format: .json)
        final class Builds: Sendable { let count = Mutex(0) }
        let builds = Builds()
        let bodies = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await cache.entry(for: key) {
                        builds.count.withLock { $0 += 1 }
                        try await Task.sleep(nanoseconds: 200_000_000)
                        return DownloadCache.Entry(body: [7, 7], keyCount: 1)
                    }.body.readableBytesView.map { $0 }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(bodies, [[UInt8]](repeating: [7, 7], count: 8))
        XCTAssertEqual(builds.count.withLock { $0 }, 1, "one build for eight concurrent misses")
        XCTAssertEqual(cache.usage.entries, 1)

        struct Broken: Error {}
        let other = DownloadCache.Key(batchTag: "20261201-2", contentVersion: 0, country: "FR", format: .json)
        do {
            _ = try await cache.entry(for: other) { throw Broken() }
            XCTFail("the build's error reaches the caller")
        } catch is Broken {}
        let rebuilt = try await cache.entry(for: other) { DownloadCache.Entry(body: [1], keyCount: 1) }
        XCTAssertEqual(rebuilt.body, ByteBuffer(bytes: [1]), "a failed build is not remembered")
    }
}

/// The fixture's store with one retention run, once armed, right before a read of a batch's uploader countries:
/// retention committing between a download's two reads.
final class RetentionBetweenReads: DownloadStore, StatisticsStore {
    let store: SQLGatewayStore
    let armed = Mutex<KeyRetentionCutoffs?>(nil)

    init(store: SQLGatewayStore) { self.store = store }

    func arm(_ cutoffs: KeyRetentionCutoffs) { armed.withLock { $0 = cutoffs } }

    func uploaderCountries(batchTag: String) async throws -> (contentVersion: Int, countries: Set<String>)? {
        if let cutoffs = armed.withLock({ armed in
            defer { armed = nil }
            return armed
        }) {
            _ = try await store.purgeKeys(cutoffs, chunkSize: 100)
        }
        return try await store.uploaderCountries(batchTag: batchTag)
    }

    func downloadBatch(tag: String) async throws -> DownloadBatchRecord? { try await store.downloadBatch(tag: tag) }
    func firstDownloadBatch(createdAtOrAfter millis: Int64) async throws -> DownloadBatchRecord? {
        try await store.firstDownloadBatch(createdAtOrAfter: millis)
    }
    func downloadKeys(batchTag: String, excludingCountry: String) async throws -> [StoredKey] {
        try await store.downloadKeys(batchTag: batchTag, excludingCountry: excludingCountry)
    }
    func auditEntries(batchTag: String, excludingCountry: String) async throws -> [UploadBatchRecord] {
        try await store.auditEntries(batchTag: batchTag, excludingCountry: excludingCountry)
    }
    func purgeKeys(_ cutoffs: KeyRetentionCutoffs, chunkSize: Int) async throws -> CleanupResult {
        try await store.purgeKeys(cutoffs, chunkSize: chunkSize)
    }
    func purgeStatistics(before cutoff: Int64) async throws -> Int { try await store.purgeStatistics(before: cutoff) }
    func recordDownloadStatistics(_ downloads: [DownloadStatistic]) async throws {
        try await store.recordDownloadStatistics(downloads)
    }
    func countryActivity() async throws -> [CountryActivity] { try await store.countryActivity() }
    func storedKeyCount() async throws -> Int { try await store.storedKeyCount() }
    func storeFigures() async throws -> StoreFigures { try await store.storeFigures() }
}
