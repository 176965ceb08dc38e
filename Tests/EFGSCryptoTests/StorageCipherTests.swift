// SPDX-License-Identifier: EUPL-1.2

import XCTest

@_spi(Testing) @testable import EFGSCrypto

final class StorageCipherTests: XCTestCase {
    func testSealOpenFormatAndRotation() throws {
        let k1 = [UInt8](repeating: 1, count: 32)
        let k2 = [UInt8](repeating: 2, count: 32)
        let old = try StorageCipher(.init(keys: ["k1": k1], activeKeyId: "k1"))
        let mac = old.dedupMAC(record: Array("record".utf8))
        let sealed = try old.seal([1, 2, 3], mac: mac)
        XCTAssertEqual(Array(sealed.prefix(4)), [0x01, 2, 0x6B, 0x31])
        XCTAssertEqual(sealed.count, 1 + 1 + 2 + 12 + 3 + 16)
        XCTAssertNotEqual(try old.seal([1, 2, 3], mac: mac), sealed, "fresh nonce per value")
        let rotated = try StorageCipher(.init(keys: ["k1": k1, "k2": k2], activeKeyId: "k2", dedupKeyId: "k1"))
        XCTAssertEqual(try rotated.open(sealed, mac: mac), [1, 2, 3])
        XCTAssertEqual(rotated.dedupMAC(record: Array("record".utf8)), mac, "dedup key unchanged by rotation")
        XCTAssertThrowsError(try rotated.open(sealed, mac: [UInt8](repeating: 0, count: 32)), "AAD binds the MAC")
        let other = try StorageCipher(.init(keys: ["k2": k2], activeKeyId: "k2"))
        XCTAssertThrowsError(try other.open(sealed, mac: mac)) {
            XCTAssertEqual($0 as? StorageCipher.Error, .unknownKeyId("k1"))
        }
    }
}
