// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
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
}
