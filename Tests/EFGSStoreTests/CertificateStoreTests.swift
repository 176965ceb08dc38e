// SPDX-License-Identifier: EUPL-1.2

import EFGSStore
import EFGSTestSupport
import Foundation
import Logging
import Synchronization
import XCTest

/// The certificate table (PROTOCOL.md §7.6).
final class CertificateStoreTests: StoreTestCase {
    func row(_ thumbprint: String, _ country: String, _ type: CertificateType, host: String? = nil) -> CertificateRow {
        CertificateRow(
            createdAt: 1000, thumbprint: thumbprint, country: country, type: type, host: host,
            pem: "-----BEGIN CERTIFICATE-----\n", operatorSignature: "c2ln")
    }

    /// Rows come back as stored, by thumbprint and type or by country and type, revoked ones included.
    func testInsertAndLookUp() async throws {
        let auth = try await store.insertCertificate(row("aa", "DE", .authentication))
        XCTAssertNotNil(auth.id)
        var expected = row("aa", "DE", .authentication)
        expected.id = auth.id
        XCTAssertEqual(auth, expected)
        let callback = try await store.insertCertificate(row("aa", "DE", .callback, host: "de.example"))
        _ = try await store.insertCertificate(row("bb", "FR", .signing))
        try await assertEq(try await store.certificates(thumbprint: "aa", type: .authentication), [auth])
        try await assertEq(try await store.certificates(thumbprint: "aa", type: .callback).first?.host, "de.example")
        try await assertEq(try await store.certificates(thumbprint: "aa", type: .signing), [])
        try await assertEq(try await store.certificates(country: "DE", type: nil), [auth, callback])
        try await assertEq(try await store.certificates(country: nil, type: .signing).map(\.country), ["FR"])
        try await assertEq(try await store.certificates(country: nil, type: nil).count, 3)
    }

    /// A thumbprint is unique per type.
    func testThumbprintIsUniquePerType() async throws {
        _ = try await store.insertCertificate(row("aa", "DE", .authentication))
        do {
            _ = try await store.insertCertificate(row("aa", "FR", .authentication))
            XCTFail("a second AUTHENTICATION row of one thumbprint was stored")
        } catch {}
    }

    /// Revocation changes only unrevoked rows matching every given argument, and counts them.
    func testRevocation() async throws {
        _ = try await store.insertCertificate(row("aa", "DE", .authentication))
        _ = try await store.insertCertificate(row("aa", "DE", .signing))
        _ = try await store.insertCertificate(row("bb", "FR", .authentication))
        try await assertEq(try await store.revokeCertificates(thumbprint: "aa", country: nil, type: .signing), 1)
        try await assertEq(try await store.revokeCertificates(thumbprint: "aa", country: nil, type: .signing), 0)
        try await assertEq(try await store.certificates(thumbprint: "aa", type: .signing).map(\.revoked), [true])
        let authentication = try await store.certificates(thumbprint: "aa", type: .authentication)
        XCTAssertEqual(authentication.map(\.revoked), [false])
        try await assertEq(try await store.revokeCertificates(thumbprint: nil, country: "DE", type: nil), 1)
        try await assertEq(try await store.revokeCertificates(thumbprint: nil, country: nil, type: nil), 1)
        try await assertEq(try await store.certificates(country: nil, type: nil).allSatisfy(\.revoked), true)
    }

    /// On SQLite the rows are also read on the calling thread (``SQLiteCertificateRows``, the lookup of every
    /// authenticated request): the rows as the usual read returns them, from a read that begins after the call, so
    /// every commit made before counts — an insert, a revocation, a new operator signature, also when another
    /// process's connection made it (as `efgs cert revoke` does). PostgreSQL reads the usual way only.
    func testRowsReadNowAreTheRowsAsStoredAfterEveryCommit() async throws {
        guard !onPostgres else {
            XCTAssertNil(store.certificatesNow(thumbprint: "aa", type: .authentication))
            return
        }
        XCTAssertEqual(store.certificatesNow(thumbprint: "aa", type: .authentication), [], "no row yet")
        let auth = try await store.insertCertificate(row("aa", "DE", .authentication))
        let callback = try await store.insertCertificate(row("aa", "DE", .callback, host: "de.example"))
        XCTAssertEqual(store.certificatesNow(thumbprint: "aa", type: .authentication), [auth])
        XCTAssertEqual(store.certificatesNow(thumbprint: "aa", type: .callback), [callback])
        XCTAssertEqual(store.certificatesNow(thumbprint: "aa", type: .signing), [])

        _ = try await store.revokeCertificates(thumbprint: "aa", country: nil, type: .authentication)
        let revoked = try XCTUnwrap(store.certificatesNow(thumbprint: "aa", type: .authentication))
        XCTAssertEqual(revoked.map(\.revoked), [true])
        try await assertEq(try await store.certificates(thumbprint: "aa", type: .authentication), revoked)
        _ = try await store.updateOperatorSignature(thumbprint: "aa", type: .callback, operatorSignature: "bmV3")
        XCTAssertEqual(store.certificatesNow(thumbprint: "aa", type: .callback)?.map(\.operatorSignature), ["bmV3"])

        let other = try await SQLGatewayStore.open(url: "sqlite:" + sqliteFile, logger: Logger(label: "test"))
        _ = try await other.revokeCertificates(thumbprint: "aa", country: nil, type: .callback)
        let signing = try await other.insertCertificate(row("aa", "DE", .signing))
        try await other.close()
        XCTAssertEqual(store.certificatesNow(thumbprint: "aa", type: .callback)?.map(\.revoked), [true])
        XCTAssertEqual(store.certificatesNow(thumbprint: "aa", type: .signing), [signing])
    }

    /// Before the table exists (a store not migrated yet), for `:memory:` and once the store is closed, nothing is
    /// read on the calling thread: nil, and the caller reads the usual way.
    func testRowsAreNotReadNowWithoutATable() async throws {
        if onPostgres { throw XCTSkip("SQLite only") }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("efgs-rows-\(UUID()).sqlite").path
        addTeardownBlock {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let fresh = try await SQLGatewayStore.open(url: "sqlite:" + path, logger: Logger(label: "test"))
        XCTAssertNil(fresh.certificatesNow(thumbprint: "aa", type: .authentication), "no table yet")
        try await fresh.migrate()
        XCTAssertEqual(fresh.certificatesNow(thumbprint: "aa", type: .authentication), [])
        try await fresh.close()
        XCTAssertNil(fresh.certificatesNow(thumbprint: "aa", type: .authentication), "closed")

        let memory = try await SQLGatewayStore.open(url: "sqlite::memory:", logger: Logger(label: "test"))
        try await memory.migrate()
        XCTAssertNil(memory.certificatesNow(thumbprint: "aa", type: .authentication))
        try await memory.close()
    }

    /// Threads that read at once each get their own rows, or nil when every connection is in use (the caller then
    /// reads the usual way) — never another read's rows.
    func testRowsReadNowFromManyThreadsAtOnce() async throws {
        if onPostgres { throw XCTSkip("SQLite only") }
        let expected = [
            "aa": [try await store.insertCertificate(row("aa", "DE", .authentication))],
            "bb": [try await store.insertCertificate(row("bb", "FR", .authentication))],
        ]
        let store = self.store!
        let counts = Mutex((readHere: 0, notReadHere: 0, wrong: 0))
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for n in 0..<500 {
                let thumbprint = (thread + n) % 2 == 0 ? "aa" : "bb"
                let rows = store.certificatesNow(thumbprint: thumbprint, type: .authentication)
                counts.withLock {
                    if rows == nil {
                        $0.notReadHere += 1
                    } else if rows == expected[thumbprint] {
                        $0.readHere += 1
                    } else {
                        $0.wrong += 1
                    }
                }
            }
        }
        let (readHere, notReadHere, wrong) = counts.withLock { $0 }
        XCTAssertEqual(wrong, 0)
        XCTAssertEqual(readHere + notReadHere, 4000)
        XCTAssertGreaterThan(readHere, 2000, "mostly read on the calling thread")
    }
}
