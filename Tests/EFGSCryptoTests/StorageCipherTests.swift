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

    /// A batch's values each get their own random nonce, all read at once (issue 14: one system call for the batch).
    func testBatchSealingGivesEveryValueItsOwnNonceAndOpens() throws {
        let cipher = try StorageCipher(.init(keys: ["k1": [UInt8](repeating: 1, count: 32)], activeKeyId: "k1"))
        let payloads = (0..<5000).map { [UInt8(truncatingIfNeeded: $0), 7, 7] }
        let macs = payloads.map { cipher.dedupMAC(record: $0) }
        let sealed = try cipher.seal(payloads: payloads, macs: macs)
        XCTAssertEqual(sealed.count, 5000)
        let nonces = sealed.map { Array($0[4..<16]) }  // 0x01 ‖ 2 ‖ "k1" ‖ nonce(12)
        XCTAssertEqual(Set(nonces).count, 5000, "a nonce was used twice")
        for i in [0, 1, 4999] { XCTAssertEqual(try cipher.open(sealed[i], mac: macs[i]), payloads[i]) }
        // random bytes, not a constant or a counter: about 1 in 256 bytes is zero, and both halves differ
        let bytes = StorageCipher.systemRandomBytes(count: 60000)
        XCTAssertEqual(bytes.count, 60000)
        XCTAssertLessThan(bytes.filter { $0 == 0 }.count, 600)
        XCTAssertNotEqual(bytes[0..<30000], bytes[30000...])
    }
}
