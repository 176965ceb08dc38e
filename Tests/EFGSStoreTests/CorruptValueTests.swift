// SPDX-License-Identifier: EUPL-1.2

import EFGSStore
import EFGSTestSupport
import Foundation
import SQLKit
import XCTest

/// A stored value the gateway never writes — an unknown certificate type (PROTOCOL.md §7.6) or format version
/// (§7.1), put there with raw SQL — makes the reading call throw ``StoreError`` with code `corrupt`, on SQLite and
/// on PostgreSQL, instead of turning into a default.
final class CorruptValueTests: StoreTestCase {
    func assertCorrupt<T>(
        _ column: String, _ body: () async throws -> T, file: StaticString = #filePath, line: UInt = #line
    ) async {
        do {
            let value = try await body()
            XCTFail("read a corrupt value as \(value)", file: file, line: line)
        } catch let error as StoreError {
            XCTAssertEqual(error.code, .corrupt, file: file, line: line)
            XCTAssertTrue(error.reason.contains(column), "\(error)", file: file, line: line)
            XCTAssertTrue(error.reason.contains("BOGUS"), "\(error)", file: file, line: line)
        } catch {
            XCTFail("not a StoreError: \(error)", file: file, line: line)
        }
    }

    func testUnknownCertificateType() async throws {
        let row = CertificateRow(
            createdAt: 0, thumbprint: "aa", country: "DE", type: .signing, pem: "p", operatorSignature: "s")
        _ = try await store.insertCertificate(row)
        try await execute("UPDATE certificates SET type = 'BOGUS' WHERE thumbprint = 'aa'")
        await assertCorrupt("certificates.type") { try await self.store.certificates(country: "DE", type: nil) }
        await assertCorrupt("certificates.type") { try await self.store.certificates(country: nil, type: nil) }
    }

    func testUnknownUploadBatchFormatInTheAudit() async throws {
        let batch = try await store.uploadAndBatch(tag: "a")
        try await execute("UPDATE upload_batches SET format = 'BOGUS'")
        await assertCorrupt("upload_batches.format") {
            try await self.store.auditEntries(batchTag: batch.tag, excludingCountry: "FR")
        }
    }

    func testUnknownDownloadBatchFormat() async throws {
        let batch = try await store.uploadAndBatch(tag: "a")
        try await execute("UPDATE download_batches SET format = 'BOGUS'")
        await assertCorrupt("download_batches.format") { try await self.store.downloadBatch(tag: batch.tag) }
        await assertCorrupt("download_batches.format") {
            try await self.store.firstDownloadBatch(createdAtOrAfter: 0)
        }
    }

    /// Batching an upload batch of unknown format throws, and the transaction leaves everything as it was.
    func testUnknownFormatWhileBatching() async throws {
        _ = try await store.storeUpload(uploadRecord(2, tag: "a"), keys: randomKeys(2))
        try await execute("UPDATE upload_batches SET format = 'BOGUS'")
        await assertCorrupt("upload_batches.format") {
            try await self.store.createDownloadBatch(now: Date(), docLimit: 10)
        }
        try await assertEq(try await store.unbatchedKeyCount(), 2, "rolled back")
        try await assertEq(try await store.firstDownloadBatch(createdAtOrAfter: 0), nil, "rolled back")
    }
}
