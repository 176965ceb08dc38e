// SPDX-License-Identifier: EUPL-1.2

import EFGSStore
import EFGSTestSupport
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
}
