// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import Logging
import Synchronization
import XCTest

/// Downloads (PROTOCOL.md §5.4) and audits (§5.5, §7.4) through the backend's own key read.
final class DownloadStoreTests: StoreTestCase {
    /// The caller never receives its own country's keys; keys come in upload-batch order, then by position; the
    /// audit lists the same upload batches in the same order.
    func testDownloadExcludesTheCallerAndKeepsUploadOrder() async throws {
        let de = randomKeys(3)
        let fr = randomKeys(2)
        let it = randomKeys(4)
        _ = try await store.storeUpload(uploadRecord(3, tag: "de"), keys: de)
        _ = try await store.storeUpload(uploadRecord(2, tag: "fr", country: "FR"), keys: fr)
        _ = try await store.storeUpload(uploadRecord(4, tag: "it", country: "IT"), keys: it)
        let batch = try await store.createDownloadBatch(now: Date(), docLimit: 100)!
        XCTAssertEqual(batch.keyCount, 9)
        try await assertEq(try await store.downloadKeys(batchTag: batch.tag, excludingCountry: "FR"), de + it)
        try await assertEq(try await store.downloadKeys(batchTag: batch.tag, excludingCountry: "DE"), fr + it)
        try await assertEq(try await store.downloadKeys(batchTag: batch.tag, excludingCountry: "NL"), de + fr + it)
        try await assertEq(try await store.downloadKeys(batchTag: "20000101-1", excludingCountry: "NL"), [])
        // "" leaves no key out: the body every country that uploaded none of the batch's keys shares
        try await assertEq(try await store.downloadKeys(batchTag: batch.tag, excludingCountry: ""), de + fr + it)
        let uploaders = try await store.uploaderCountries(batchTag: batch.tag)
        XCTAssertEqual(uploaders?.countries, ["DE", "FR", "IT"])
        XCTAssertEqual(uploaders?.contentVersion, batch.contentVersion)
        let none = try await store.uploaderCountries(batchTag: "20000101-1")
        XCTAssertNil(none)
        let audit = try await store.auditEntries(batchTag: batch.tag, excludingCountry: "FR")
        XCTAssertEqual(audit.map(\.country), ["DE", "IT"])
        XCTAssertEqual(audit.map(\.uploadTag), ["de", "it"])
        XCTAssertEqual(audit.map(\.downloadBatchTag), [batch.tag, batch.tag])
        XCTAssertEqual(audit.first?.batchSignature, "sig")
    }

    /// §7.4: an upload batch whose keys retention deleted leaves the audit.
    func testAuditListsOnlyUploadBatchesWithStoredKeys() async throws {
        let old = UTCTimestamp.millis(Date()) - 5 * 86_400_000
        _ = try await store.storeUpload(uploadRecord(2, tag: "old", acceptedAt: old), keys: randomKeys(2))
        _ = try await store.storeUpload(uploadRecord(2, tag: "new"), keys: randomKeys(2))
        let batch = try await store.createDownloadBatch(now: Date(), docLimit: 100)!
        try await assertEq(try await store.auditEntries(batchTag: batch.tag, excludingCountry: "FR").count, 2)
        _ = try await store.purgeKeys(
            KeyRetentionCutoffs(batchedBefore: old + 1, acceptedBefore: old + 1), chunkSize: 10)
        let audit = try await store.auditEntries(batchTag: batch.tag, excludingCountry: "FR")
        XCTAssertEqual(audit.map(\.uploadTag), ["new"])
        try await assertEq(try await store.downloadKeys(batchTag: batch.tag, excludingCountry: "FR").count, 2)
    }

    /// On SQLite a download's batch row is also read on the calling thread (``SQLiteDownloadBatchRows``, the read of
    /// every download): by tag and as the head of a day's chain, the row as the usual read returns it, from a read that
    /// begins after the call, so every commit made before counts — a new batch and the next tag it gives the one
    /// before, a quarantine (which also takes the batch out of the day's chain), a key retention that changed the
    /// batch's content version, also when another process's connection made it (as `efgs batch quarantine` does).
    /// PostgreSQL reads the usual way only.
    func testBatchRowsReadNowAreTheRowsAsStoredAfterEveryCommit() async throws {
        guard !onPostgres else {
            XCTAssertNil(store.downloadBatchNow(.tag("20000101-1")))
            XCTAssertNil(store.downloadBatchNow(.firstCreated(atOrAfterMillis: 0)))
            return
        }
        func assertReadNowAsStored(_ lookup: DownloadBatchLookup, line: UInt = #line) async throws {
            let stored = try await store.downloadBatch(lookup)
            XCTAssertEqual(store.downloadBatchNow(lookup), stored.map { [$0] } ?? [], "\(lookup)", line: line)
        }
        XCTAssertEqual(store.downloadBatchNow(.tag("20000101-1")), [], "no batch yet")
        XCTAssertEqual(store.downloadBatchNow(.firstCreated(atOrAfterMillis: 0)), [])

        let old = UTCTimestamp.millis(Date()) - 5 * 86_400_000
        _ = try await store.storeUpload(uploadRecord(2, tag: "old", acceptedAt: old), keys: randomKeys(2))
        _ = try await store.storeUpload(uploadRecord(3, tag: "new", country: "FR"), keys: randomKeys(3))
        let first = try await store.createDownloadBatch(now: Date(), docLimit: 100)!
        XCTAssertEqual(store.downloadBatchNow(.tag(first.tag)), [first])
        XCTAssertEqual(store.downloadBatchNow(.firstCreated(atOrAfterMillis: first.createdAt)), [first])
        XCTAssertEqual(store.downloadBatchNow(.firstCreated(atOrAfterMillis: first.createdAt + 1)), [])

        _ = try await store.storeUpload(uploadRecord(1, tag: "json", format: .json), keys: randomKeys(1))
        let second = try await store.createDownloadBatch(now: Date().addingTimeInterval(1), docLimit: 100)!
        XCTAssertEqual(second.format, .json)
        XCTAssertEqual(store.downloadBatchNow(.tag(first.tag))?.first?.nextTag, second.tag, "the next tag")
        XCTAssertEqual(store.downloadBatchNow(.tag(second.tag)), [second])
        try await assertReadNowAsStored(.tag(first.tag))
        try await assertReadNowAsStored(.firstCreated(atOrAfterMillis: first.createdAt + 1))

        _ = try await store.purgeKeys(
            KeyRetentionCutoffs(batchedBefore: old + 1, acceptedBefore: old + 1), chunkSize: 10)
        let purged = try XCTUnwrap(store.downloadBatchNow(.tag(first.tag))?.first)
        XCTAssertEqual(purged.contentVersion, first.contentVersion + 1, "retention changed the batch")
        try await assertReadNowAsStored(.tag(first.tag))

        _ = try await store.quarantineDownloadBatch(
            tag: first.tag, reason: "wrong keys", at: UTCTimestamp.millis(Date()))
        XCTAssertEqual(store.downloadBatchNow(.tag(first.tag))?.first?.quarantineReason, "wrong keys")
        XCTAssertEqual(store.downloadBatchNow(.firstCreated(atOrAfterMillis: first.createdAt)), [second])
        try await assertReadNowAsStored(.tag(first.tag))
        try await assertReadNowAsStored(.firstCreated(atOrAfterMillis: first.createdAt))

        let other = try await SQLGatewayStore.open(url: "sqlite:" + sqliteFile, logger: Logger(label: "test"))
        _ = try await other.quarantineDownloadBatch(tag: second.tag, reason: "also", at: UTCTimestamp.millis(Date()))
        try await other.close()
        XCTAssertEqual(store.downloadBatchNow(.tag(second.tag))?.first?.quarantineReason, "also")
        XCTAssertEqual(store.downloadBatchNow(.firstCreated(atOrAfterMillis: first.createdAt)), [], "none served")
    }

    /// Before the table exists (a store not migrated yet), for `:memory:` and once the store is closed, no batch row
    /// is read on the calling thread: nil, and the download reads the usual way.
    func testBatchRowsAreNotReadNowWithoutATable() async throws {
        if onPostgres { throw XCTSkip("SQLite only") }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("efgs-batch-\(UUID()).sqlite").path
        addTeardownBlock {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let fresh = try await SQLGatewayStore.open(url: "sqlite:" + path, logger: Logger(label: "test"))
        XCTAssertNil(fresh.downloadBatchNow(.tag("20000101-1")), "no table yet")
        try await fresh.migrate()
        XCTAssertEqual(fresh.downloadBatchNow(.tag("20000101-1")), [])
        try await fresh.close()
        XCTAssertNil(fresh.downloadBatchNow(.firstCreated(atOrAfterMillis: 0)), "closed")

        let memory = try await SQLGatewayStore.open(url: "sqlite::memory:", logger: Logger(label: "test"))
        try await memory.migrate()
        XCTAssertNil(memory.downloadBatchNow(.tag("20000101-1")))
        try await memory.close()
    }

    /// Threads that read at once — batch rows by tag and as a day's head, and certificate rows, through the same
    /// connections and their statements — each get their own rows, or nil when every connection is in use (the caller
    /// then reads the usual way), never another read's.
    func testBatchAndCertificateRowsReadNowFromManyThreadsAtOnce() async throws {
        if onPostgres { throw XCTSkip("SQLite only") }
        let first = try await store.uploadAndBatch(2, tag: "a")
        let second = try await store.uploadAndBatch(3, tag: "b", now: Date().addingTimeInterval(1))
        let certificate = try await store.insertCertificate(
            CertificateRow(
                createdAt: 1000, thumbprint: "aa", country: "DE", type: .authentication,
                pem: "-----BEGIN CERTIFICATE-----\n", operatorSignature: "c2ln"))
        let readAgain = try await store.downloadBatch(tag: first.tag)
        let firstWithNext = try XCTUnwrap(readAgain)
        XCTAssertEqual(firstWithNext.nextTag, second.tag)
        let store = self.store!
        let counts = Mutex((readHere: 0, notReadHere: 0, wrong: 0))
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for n in 0..<600 {
                let right: Bool?
                switch (thread + n) % 4 {
                case 0: right = store.downloadBatchNow(.tag(first.tag)).map { $0 == [firstWithNext] }
                case 1: right = store.downloadBatchNow(.tag(second.tag)).map { $0 == [second] }
                case 2:
                    right = store.downloadBatchNow(.firstCreated(atOrAfterMillis: first.createdAt + 1)).map {
                        $0 == [second]
                    }
                default:
                    right = store.certificatesNow(thumbprint: "aa", type: .authentication).map { $0 == [certificate] }
                }
                counts.withLock {
                    switch right {
                    case nil: $0.notReadHere += 1
                    case true?: $0.readHere += 1
                    case false?: $0.wrong += 1
                    }
                }
            }
        }
        let (readHere, notReadHere, wrong) = counts.withLock { $0 }
        XCTAssertEqual(wrong, 0)
        XCTAssertEqual(readHere + notReadHere, 4800)
        XCTAssertGreaterThan(readHere, 2400, "mostly read on the calling thread")
    }
}
