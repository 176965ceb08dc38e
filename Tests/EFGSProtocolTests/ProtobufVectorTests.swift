// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

final class ProtobufVectorTests: XCTestCase {
    func testSection21VectorOne() {
        var b = DiagnosisKeyBatch()
        b.keys = [v1Key()]
        XCTAssertEqual(
            b.protobufBytes(),
            hex(
                "0a2c0a100e0f0b0e0c0f0f100e0f0b0e0c0f0f101002180120032a0244452a0246522a02"
                    + "504c3202444538024054"))
    }

    func testSection21VectorTwoEdgeValues() {
        let k = edgeValueKey()
        var b = DiagnosisKeyBatch()
        b.keys = [k]
        XCTAssertEqual(
            b.protobufBytes(),
            hex(
                "0a2e0a0331323310ffffffff0f18ffffffff0f20eaffffffffffffffff012a02554b2a02"
                    + "4e4c2a024652320244453801"))
    }

    func testEmptyBatchIsZeroBytesAndZeroLengthBodyParses() throws {
        XCTAssertEqual(DiagnosisKeyBatch().protobufBytes(), [])
        XCTAssertEqual(try DiagnosisKeyBatch.parseProtobuf([]).keys.count, 0)
    }

    func testUnknownFieldsAreDroppedAndUnknownEnumKept() throws {
        // rebuild properly: key = old key + unknown field 9 (0x48 0x01) + reportType 9 (0x38 0x09)
        let key = hex("0a100e0f0b0e0c0f0f100e0f0b0e0c0f0f101002180120032a0244452a0246522a02504c32024445380940544801")
        let batch = [0x0A, UInt8(key.count)] + key
        let parsed = try DiagnosisKeyBatch.parseProtobuf(batch)
        XCTAssertEqual(parsed.keys[0].reportType.rawValue, 9)
        XCTAssertFalse(parsed.protobufBytes().contains(0x48), "unknown field 9 must not be re-emitted")
    }

    func testMalformedProtobufThrows() {
        XCTAssertThrowsError(try DiagnosisKeyBatch.parseProtobuf([0x0A, 0x05, 0x01]))
    }
}
