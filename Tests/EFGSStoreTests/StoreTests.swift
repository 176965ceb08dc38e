import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import Logging
import SQLKit
import XCTest

final class StoreTests: XCTestCase {
    func record(_ n: Int, tag: String, format: WireFormat = .protobuf) -> UploadBatchRecord { uploadRecord(n, tag: tag, format: format) }

    func keys(_ n: Int) -> [StoredKey] {
        (0..<n).map { StoredKey(position: $0, dedupMAC: (0..<32).map { _ in UInt8.random(in: 0...255) }, sealedPayload: [1]) }
    }

    /// A fresh, migrated store: SQLite, or PostgreSQL when `EFGS_TEST_POSTGRES_URL` is set.
    func withStore(_ body: (SQLGatewayStore) async throws -> Void) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("efgs-store-\(UUID()).sqlite").path
        let store = try await TestDatabase.openFresh(url: TestDatabase.url(sqliteFile: path))
        do { try await body(store) } catch { try await store.close(); throw error }
        try await store.close()
    }

    /// §7.3 example: docLimit 9 and upload batches of 5,5,5,5,3 keys give batches of 5,5,5,8; the chain is linked.
    func testBatchingExampleAndChain() async throws {
        try await withStore { store in
            try await assertEq(try await store.migrate(), [], "idempotent")
            try await assertEq(try await store.schemaVersion(), 1)
            for (i, n) in [5, 5, 5, 5, 3].enumerated() {
                guard case .stored = try await store.storeUpload(record(n, tag: "t\(i)"), keys: keys(n)) else { return XCTFail() }
            }
            var batches: [DownloadBatchRecord] = []
            while let b = try await store.createDownloadBatch(now: Date(), docLimit: 9) { batches.append(b) }
            XCTAssertEqual(batches.map(\.keyCount), [5, 5, 5, 8])
            let day = UTCDay(Date()).compact
            XCTAssertEqual(batches.map(\.tag), (1...4).map { "\(day)-\($0)" })
            for (i, b) in batches.enumerated() {
                let stored = try await store.downloadBatch(tag: b.tag)
                XCTAssertEqual(stored?.nextTag, i + 1 < batches.count ? batches[i + 1].tag : nil)
            }
            try await assertEq(try await store.unbatchedKeyCount(), 0)
        }
    }

    func testFormatChangeStartsANewBatchAndDuplicatesAreReported() async throws {
        try await withStore { store in
            try await store.migrate()
            let k = keys(3)
            _ = try await store.storeUpload(record(3, tag: "a"), keys: k)
            try await assertEq(try await store.storeUpload(record(3, tag: "a"), keys: keys(3)), .tagExists)
            var again = keys(2); again[1].dedupMAC = k[0].dedupMAC
            try await assertEq(try await store.storeUpload(record(2, tag: "b"), keys: again), .duplicates([1]))
            _ = try await store.storeUpload(record(2, tag: "c", format: .json), keys: keys(2))
            let first = try await store.createDownloadBatch(now: Date(), docLimit: 5000)
            XCTAssertEqual(first?.keyCount, 3)
            try await assertEq(try await store.createDownloadBatch(now: Date(), docLimit: 5000)?.format, .json)
        }
    }

    /// §7.8 job locks: free, held, renewed by the holder, taken over after the lease expired, released only by
    /// the holder; among concurrent acquirers exactly one wins (one atomic statement).
    func testJobLocksWithLeases() async throws {
        try await withStore { store in
            func take(_ holder: String, _ now: Int64, _ until: Int64, _ name: String = "batching") async throws -> Bool {
                try await store.acquireJobLock(name: name, holder: holder, now: now, leaseUntil: until)
            }
            try await assertEq(try await take("A", 1000, 2000), true)
            try await assertEq(try await take("B", 1500, 3500), false, "held by A")
            try await assertEq(try await take("B", 1500, 3500, "key-retention"), true, "another lock is independent")
            try await assertEq(try await take("A", 1800, 3800), true, "renewal by the holder")
            try await assertEq(try await take("B", 3000, 5000), false, "A's renewed lease runs until 3800")
            try await assertEq(try await take("B", 3900, 5900), true, "an expired lease is taken over")
            try await store.releaseJobLock(name: "batching", holder: "A")
            try await assertEq(try await take("A", 4000, 6000), false, "A cannot release B's lock")
            try await store.releaseJobLock(name: "batching", holder: "B")
            try await assertEq(try await take("A", 4000, 6000), true)
            try await store.releaseJobLock(name: "batching", holder: "A")
            let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 0..<8 { group.addTask { try await store.acquireJobLock(name: "race", holder: "h\(i)", now: 10_000, leaseUntil: 20_000) } }
                var n = 0
                for try await won in group where won { n += 1 }
                return n
            }
            XCTAssertEqual(winners, 1)
        }
    }

    func testRetentionDeletesInChunksAndKeepsTags() async throws {
        try await withStore { store in
            try await store.migrate()
            var old = record(25, tag: "old"); old.acceptedAt -= 5 * 86_400_000
            _ = try await store.storeUpload(old, keys: keys(25))
            _ = try await store.storeUpload(record(4, tag: "new"), keys: keys(4))
            let r = try await store.purgeKeys(acceptedBefore: UTCTimestamp.millis(Date()) - 3 * 86_400_000, chunkSize: 10)
            XCTAssertEqual(r.keysDeleted, 25); XCTAssertEqual(r.keysBefore, 29); XCTAssertEqual(r.keysAfter, 4)
            try await assertEq(try await store.isUploadTagReserved(country: "DE", tag: "old"), true, "tag reservation survives retention")
        }
    }
}

/// A DE upload-batch record with placeholder snapshots.
func uploadRecord(_ n: Int, tag: String, format: WireFormat = .protobuf) -> UploadBatchRecord {
    UploadBatchRecord(country: "DE", uploadTag: tag, acceptedAt: UTCTimestamp.millis(Date()), keyCount: n, format: format,
                      batchSignature: "sig", authThumbprint: "a", authPEM: "p", authOperatorSignature: "o",
                      signerThumbprint: "s", signerPEM: "p", signerOperatorSignature: "o")
}

final class KeyInsertTests: XCTestCase {
    /// The backend's own key insert (SQLite: native binds; PostgreSQL: COPY, when EFGS_TEST_POSTGRES_URL is set)
    /// stores the rows byte for byte — empty, one-byte and 200-byte payloads, bytes 0x00…0xFF including the ones
    /// COPY's text format escapes — and lets the unique constraint report stored duplicates (plus duplicates inside
    /// the request) as a 207 outcome with nothing stored.
    func testKeyInsertStoresExactBytesAndReportsDuplicates() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("efgs-insert-\(UUID()).sqlite").path
        let store = try await TestDatabase.openFresh(url: TestDatabase.url(sqliteFile: path))
        defer { Task { try? await store.close() } }
        var keys = (0..<7).map { StoredKey(position: $0, dedupMAC: (0..<32).map { _ in UInt8.random(in: 0...255) }, sealedPayload: [UInt8($0), 0xAB]) }
        keys.append(StoredKey(position: 7, dedupMAC: (0..<32).map { _ in UInt8.random(in: 0...255) }, sealedPayload: Array(0...255)))
        keys.append(StoredKey(position: 8, dedupMAC: (0..<32).map { _ in UInt8.random(in: 0...255) }, sealedPayload: Array("\\\t\n\r".utf8)))
        keys.append(StoredKey(position: 9, dedupMAC: (0..<32).map { _ in UInt8.random(in: 0...255) }, sealedPayload: []))
        guard case .stored = try await store.storeUpload(uploadRecord(keys.count, tag: "a"), keys: keys) else { return XCTFail("not stored") }
        let tag = try await store.createDownloadBatch(now: Date(), docLimit: 5000)!.tag
        try await assertEq(try await store.downloadKeys(batchTag: tag, excludingCountry: "FR"), keys)
        let fresh = (0..<2).map { StoredKey(position: $0 + 1, dedupMAC: (0..<32).map { _ in UInt8.random(in: 0...255) }, sealedPayload: [1]) }
        let mixed = [StoredKey(position: 0, dedupMAC: keys[3].dedupMAC, sealedPayload: [9]), fresh[0],
                     StoredKey(position: 2, dedupMAC: fresh[0].dedupMAC, sealedPayload: [9])]
        try await assertEq(try await store.storeUpload(uploadRecord(3, tag: "b"), keys: mixed), .duplicates([0, 2]))
        // a stored duplicate alone: the first attempt fails on the unique constraint, the re-evaluation names it
        try await assertEq(try await store.storeUpload(uploadRecord(2, tag: "c"), keys: [fresh[1], StoredKey(position: 0, dedupMAC: keys[9].dedupMAC, sealedPayload: [1])]), .duplicates([0]))
        try await assertEq(try await store.storedKeyCount(), keys.count)
        try await assertEq(try await store.isUploadTagReserved(country: "DE", tag: "b"), false, "a 207 reserves nothing")
        try await assertEq(try await store.isUploadTagReserved(country: "DE", tag: "c"), false, "a 207 reserves nothing")
    }
}

func assertEq<T: Equatable>(_ a: @autoclosure () async throws -> T, _ b: @autoclosure () -> T, _ message: String = "",
                            file: StaticString = #filePath, line: UInt = #line) async rethrows {
    let value = try await a()
    XCTAssertEqual(value, b(), message, file: file, line: line)
}
