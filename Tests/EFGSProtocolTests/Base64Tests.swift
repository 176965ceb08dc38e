// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import Foundation
import XCTest

/// ``Base64``: the encoder every canonical record (§3.1) and the batch stream's order (§3.2) rest on, against
/// Foundation's encoder, and its strict decoding.
final class Base64Tests: XCTestCase {
    /// Every length from 0 to 99 bytes (each of the three paddings many times), random and extreme bytes: `encode`,
    /// `append` after text already there, and `write` into a buffer of exactly the encoded length give Foundation's
    /// standard Base64 with padding.
    func testEncodingEqualsFoundationsForEveryLengthAndPadding() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<100 {
            for fill in [nil, UInt8(0x00), UInt8(0xFF)] {
                let bytes = (0..<length).map { _ in fill ?? UInt8.random(in: 0...255, using: &generator) }
                let expected = Array(Data(bytes).base64EncodedString().utf8)
                XCTAssertEqual(Base64.encode(bytes), expected, "encode, \(length) bytes")
                XCTAssertEqual(Base64.encodedCount(length), expected.count)

                var appended: [UInt8] = Array("prefix.".utf8)
                bytes.withUnsafeBytes { Base64.append($0, to: &appended) }
                XCTAssertEqual(appended, Array("prefix.".utf8) + expected, "append, \(length) bytes")

                let written = [UInt8](unsafeUninitializedCapacity: Base64.encodedCount(length)) { out, count in
                    count = bytes.withUnsafeBytes { Base64.write($0, to: out) }
                }
                XCTAssertEqual(written, expected, "write, \(length) bytes")
                XCTAssertEqual(Base64.decodeStrict(String(decoding: expected, as: UTF8.self)), bytes)
            }
        }
    }
}
