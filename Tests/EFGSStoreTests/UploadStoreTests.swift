// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import SQLKit
import Synchronization
import XCTest

/// Accepted uploads (PROTOCOL.md §5.3), their keys (§7.1) and the upload-tag reservations (§7.2).
final class UploadStoreTests: StoreTestCase {
    /// A reserved tag answers `tagExists`; a key already stored answers `duplicates` with its request position.
    func testTagReservationAndDuplicatesAreReported() async throws {
        let k = randomKeys(3)
        _ = try await store.storeUpload(uploadRecord(3, tag: "a"), keys: k)
        try await assertEq(try await store.storeUpload(uploadRecord(3, tag: "a"), keys: randomKeys(3)), .tagExists)
        var again = randomKeys(2)
        again[1].dedupMAC = k[0].dedupMAC
        try await assertEq(try await store.storeUpload(uploadRecord(2, tag: "b"), keys: again), .duplicates([1]))
    }

    /// §7.2: tags are reserved per country, and a refused upload reserves nothing.
    func testTagsAreReservedPerCountry() async throws {
        guard case .stored = try await store.storeUpload(uploadRecord(1, tag: "t"), keys: randomKeys(1))
        else { return XCTFail("not stored") }
        try await assertEq(try await store.isUploadTagReserved(country: "DE", tag: "t"), true)
        try await assertEq(try await store.isUploadTagReserved(country: "FR", tag: "t"), false)
        let fr = try await store.storeUpload(uploadRecord(1, tag: "t", country: "FR"), keys: randomKeys(1))
        guard case .stored = fr else { return XCTFail("FR may use DE's tag: \(fr)") }
        try await assertEq(try await store.storedKeyCount(), 2)
    }

    /// The backend's own key insert (SQLite: native binds; PostgreSQL: COPY, when EFGS_TEST_POSTGRES_URL is set)
    /// stores the rows byte for byte — empty, one-byte and 200-byte payloads, bytes 0x00…0xFF including the ones
    /// COPY's text format escapes — and lets the unique constraint report stored duplicates (plus duplicates inside
    /// the request) as a 207 outcome with nothing stored.
    func testKeyInsertStoresExactBytesAndReportsDuplicates() async throws {
        var keys = (0..<7).map { StoredKey(position: $0, dedupMAC: randomMAC(), sealedPayload: [UInt8($0), 0xAB]) }
        keys.append(StoredKey(position: 7, dedupMAC: randomMAC(), sealedPayload: Array(0...255)))
        keys.append(StoredKey(position: 8, dedupMAC: randomMAC(), sealedPayload: Array("\\\t\n\r".utf8)))
        keys.append(StoredKey(position: 9, dedupMAC: randomMAC(), sealedPayload: []))
        guard case .stored = try await store.storeUpload(uploadRecord(keys.count, tag: "a"), keys: keys)
        else { return XCTFail("not stored") }
        let tag = try await store.createDownloadBatch(now: Date(), docLimit: 5000)!.tag
        try await assertEq(try await store.downloadKeys(batchTag: tag, excludingCountry: "FR"), keys)
        let fresh = (0..<2).map { StoredKey(position: $0 + 1, dedupMAC: randomMAC(), sealedPayload: [1]) }
        let mixed = [
            StoredKey(position: 0, dedupMAC: keys[3].dedupMAC, sealedPayload: [9]), fresh[0],
            StoredKey(position: 2, dedupMAC: fresh[0].dedupMAC, sealedPayload: [9]),
        ]
        try await assertEq(try await store.storeUpload(uploadRecord(3, tag: "b"), keys: mixed), .duplicates([0, 2]))
        // a stored duplicate alone: the first attempt fails on the unique constraint, the re-evaluation names it
        let storedDuplicate = [fresh[1], StoredKey(position: 0, dedupMAC: keys[9].dedupMAC, sealedPayload: [1])]
        try await assertEq(
            try await store.storeUpload(uploadRecord(2, tag: "c"), keys: storedDuplicate), .duplicates([0]))
        try await assertEq(try await store.storedKeyCount(), keys.count)
        for tag in ["b", "c"] {
            try await assertEq(
                try await store.isUploadTagReserved(country: "DE", tag: tag), false, "a 207 reserves nothing")
        }
    }

    /// Keys handed over in chunks are inserted chunk by chunk, each asked for when the one before is written (the
    /// gateway seals the later chunks meanwhile). A repeat inside the request, across chunks, is found by the unique
    /// constraint; the second attempt asks for every chunk again and names the repeat's position, storing nothing.
    func testChunksAreInsertedInOrderAndAskedForAgainOnAConflict() async throws {
        let keys = (0..<9).map { StoredKey(position: $0, dedupMAC: randomMAC(), sealedPayload: [UInt8($0)]) }
        let asked = Mutex<[Int]>([])
        func chunked(_ keys: [StoredKey]) -> UploadKeys {
            UploadKeys(count: keys.count, chunkCount: 3) { index in
                asked.withLock { $0.append(index) }
                try await Task.sleep(for: .milliseconds(20))  // not ready at once: the store waits for it
                return Array(keys[(3 * index)..<(3 * index + 3)])
            }
        }
        guard case .stored = try await store.storeUpload(uploadRecord(9, tag: "a"), keys: chunked(keys))
        else { return XCTFail("not stored") }
        XCTAssertEqual(asked.withLock { $0 }, [0, 1, 2])
        let tag = try await store.createDownloadBatch(now: Date(), docLimit: 5000)!.tag
        try await assertEq(try await store.downloadKeys(batchTag: tag, excludingCountry: "FR"), keys)

        asked.withLock { $0 = [] }
        var repeated = (0..<9).map { StoredKey(position: $0, dedupMAC: randomMAC(), sealedPayload: [1]) }
        repeated[7].dedupMAC = repeated[1].dedupMAC
        try await assertEq(
            try await store.storeUpload(uploadRecord(9, tag: "b"), keys: chunked(repeated)), .duplicates([7]))
        XCTAssertEqual(asked.withLock { $0 }, [0, 1, 2, 0, 1, 2], "streamed, then every chunk again for the check")
        try await assertEq(try await store.storedKeyCount(), 9)
        try await assertEq(try await store.isUploadTagReserved(country: "DE", tag: "b"), false)
    }

    /// Two uploads sharing two keys in crossed order, each holding its first chunk uncommitted when it sends its
    /// second: on PostgreSQL each waits on the other's uncommitted unique-index entry, and the server aborts one of
    /// them as a deadlock (40P01). That upload is tried again like one that lost a unique race, and answers 207 for
    /// both keys — before, the deadlock reached the client as a 500. (COPY inserts its rows some hundreds at a time,
    /// so each first chunk carries 1500 keys of its own after the shared one.) On SQLite (one writer) the second
    /// upload waits for the first and meets its keys as stored duplicates.
    func testUploadsCrossingOnTwoKeysEndAsOneStoredAndOneDuplicate() async throws {
        let x = randomMAC()
        let y = randomMAC()
        let own = 1500
        let secondChunksAsked = Mutex(0)
        let onPostgres = self.onPostgres
        func crossed(_ first: [UInt8], _ second: [UInt8]) -> UploadKeys {
            let chunk0 =
                [StoredKey(position: 0, dedupMAC: first, sealedPayload: [0])]
                + (1...own).map { StoredKey(position: $0, dedupMAC: randomMAC(), sealedPayload: [1]) }
            return UploadKeys(count: own + 2, chunkCount: 2) { index in
                guard index == 1 else { return chunk0 }
                secondChunksAsked.withLock { $0 += 1 }
                // on PostgreSQL: both first chunks are in the server (bounded wait); SQLite runs one at a time
                let deadline = ContinuousClock.now + .seconds(onPostgres ? 10 : 0)
                while secondChunksAsked.withLock({ $0 }) < 2 && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                if onPostgres { try await Task.sleep(for: .milliseconds(300)) }
                return [StoredKey(position: own + 1, dedupMAC: second, sealedPayload: [2])]
            }
        }
        let store = self.store!
        let (first, second) = (crossed(x, y), crossed(y, x))
        let (recordA, recordB) = (uploadRecord(own + 2, tag: "a"), uploadRecord(own + 2, tag: "b"))
        async let a = store.storeUpload(recordA, keys: first)
        async let b = store.storeUpload(recordB, keys: second)
        let outcomes = try await [a, b]
        XCTAssertEqual(outcomes.filter { $0 == .duplicates([0, own + 1]) }.count, 1, "\(outcomes)")
        XCTAssertEqual(outcomes.filter { if case .stored = $0 { true } else { false } }.count, 1, "\(outcomes)")
        try await assertEq(try await store.storedKeyCount(), own + 2)
    }

    /// A chunk that cannot be produced (the gateway failed to seal it) rolls the whole upload back.
    func testAChunkThatFailsStoresNothing() async throws {
        struct SealFailure: Error {}
        let keys = randomKeys(4)
        let failing = UploadKeys(count: 4, chunkCount: 2) { index in
            guard index == 0 else { throw SealFailure() }
            return Array(keys[0..<2])
        }
        do {
            _ = try await store.storeUpload(uploadRecord(4, tag: "a"), keys: failing)
            XCTFail("stored although a chunk failed")
        } catch is SealFailure {}
        try await assertEq(try await store.storedKeyCount(), 0)
        try await assertEq(try await store.isUploadTagReserved(country: "DE", tag: "a"), false)
    }

    /// An upload that meets a conflict on every attempt (a trigger raising a unique violation) ends after three
    /// attempts with ``StoreError/conflict(_:)`` and stores nothing. Before 2026-12-03 the third attempt's database
    /// error escaped as it was, and the API answered it with 500.
    func testAnUploadThatKeepsConflictingEndsAsAConflictAndStoresNothing() async throws {
        for sql in TestDatabase.InjectedFault.uploadConflict.creation { try await execute(SQLQueryString(sql)) }
        do {
            _ = try await store.storeUpload(uploadRecord(2, tag: "a"), keys: randomKeys(2))
            XCTFail("stored although every attempt conflicted")
        } catch let error as StoreError {
            XCTAssertEqual(error.code, .conflict)
        }
        for sql in TestDatabase.InjectedFault.uploadConflict.removal { try await execute(SQLQueryString(sql)) }
        try await assertEq(try await store.storedKeyCount(), 0)
        try await assertEq(try await store.isUploadTagReserved(country: "DE", tag: "a"), false)
        guard case .stored = try await store.storeUpload(uploadRecord(2, tag: "a"), keys: randomKeys(2)) else {
            return XCTFail("the same upload was not stored once the conflicts ended")
        }
    }
}
