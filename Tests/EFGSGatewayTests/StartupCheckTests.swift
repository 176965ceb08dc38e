// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSGateway
import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import XCTest

/// The start-up checks against the data (issue "safe to operate", items 1 and 2): the storage-key check values and
/// the trust anchor against the certificate rows.
final class StartupCheckTests: XCTestCase {
    /// A wrong key under the same id is refused (it would fail every download and accept stored keys again); a
    /// rotation (new active key, old key kept) passes; dropping a key that sealed stored values is refused.
    func testStorageKeyCheckValues() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let keys = f.services.config.storage
        try await StorageKeyCheck(store: f.store, keys: keys).verifyAndRecord()
        let recorded = try await f.store.storageKeyChecks()
        XCTAssertEqual(Array(recorded.keys), ["k1"])
        XCTAssertNotEqual(recorded["k1"], keys.keys["k1"], "the check value is not the key")
        try await assertEq(try await f.upload(f.keys(2, origin: "DE")).status, 201)

        var wrong = keys
        wrong.keys["k1"] = [UInt8](repeating: 8, count: 32)
        do {
            try await StorageKeyCheck(store: f.store, keys: wrong).verifyAndRecord()
            XCTFail("a wrong key was accepted")
        } catch let error as InvalidSetting {
            XCTAssertEqual(error.setting, "storage.keys")
            XCTAssertTrue(
                error.reason.hasPrefix("key id 'k1' is not the key that sealed the stored data"), error.reason)
        }

        var rotated = keys
        rotated.keys["k2"] = [UInt8](repeating: 9, count: 32)
        rotated.activeKeyId = "k2"
        try await StorageKeyCheck(store: f.store, keys: rotated).verifyAndRecord()
        try await assertEq(try await f.store.storageKeyChecks().keys.sorted(), ["k1", "k2"])

        let dropped = StorageCipher.Configuration(keys: ["k2": [UInt8](repeating: 9, count: 32)], activeKeyId: "k2")
        let problems = try await StorageKeyCheck(store: f.store, keys: dropped).problems()
        XCTAssertEqual(problems, ["key id 'k1' sealed stored keys but is not configured; add it to storage.keys"])
        _ = try await f.store.purgeKeys(
            KeyRetentionCutoffs(batchedBefore: .max, acceptedBefore: .max), chunkSize: 100)
        try await assertEq(
            try await StorageKeyCheck(store: f.store, keys: dropped).problems(), [],
            "once retention deleted its values, the old key may go")
    }

    /// Rows signed by another anchor: nothing verifies, and the check names the trust anchor.
    func testTrustAnchorAgainstTheRows() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        try await assertEq(
            try await TrustAnchorCheck(store: f.store, trustAnchor: f.services.anchors).problem(), nil)
        let other = try CertificateFactory.selfSigned(country: nil, commonName: "other TA", key: .p256)
        let check = TrustAnchorCheck(
            store: f.store, trustAnchor: TrustAnchors(current: try TrustAnchor(pem: other.certificatePEM)))
        let counted = try await check.count()
        XCTAssertEqual(counted.rows, 4)
        XCTAssertEqual(counted.verified, 0)
        let problem = try await check.problem()
        XCTAssertTrue(problem?.hasPrefix("none of the 4 certificate rows verifies under the trust anchor") == true)
        let wrongAnchor = try GatewayServices(
            config: f.services.config, store: f.store, trustAnchor: try TrustAnchor(pem: other.certificatePEM),
            log: f.services.log)
        let ready = await AdminServer.readiness(wrongAnchor)
        XCTAssertEqual(ready.first { $0.name == "trustAnchor" }?.ok, false, "/readyz is not ready")
    }
}
