// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

/// Malformed bodies are refused with an error, never a crash (PROTOCOL.md §5.3 check 10).
final class MalformedInputTests: XCTestCase {
    func sampleKeys() -> [DiagnosisKey] {
        (0..<3).map { i in
            var k = DiagnosisKey()
            k.keyData = Data((0..<16).map { UInt8($0 + i) })
            k.rollingStartIntervalNumber = 2_700_000 + UInt32(i)
            k.rollingPeriod = 144
            k.transmissionRiskLevel = Int32(i) - 1
            k.visitedCountries = ["DE", "FR"]
            k.origin = "DE"
            k.reportType = .confirmedTest
            k.daysSinceOnsetOfSymptoms = -3
            return k
        }
    }

    func testMutatedProtobufAndJSONBodies() {
        var batch = DiagnosisKeyBatch()
        batch.keys = sampleKeys()
        let protobuf = batch.protobufBytes()
        let json = DiagnosisKeyJSONEncoder.encode(batch.keys)
        XCTAssertEqual(try DiagnosisKeyBatch.parseProtobuf(protobuf).keys, batch.keys)
        XCTAssertEqual(try DiagnosisKeyJSONDecoder.decode(json), batch.keys)
        var rng = SeededGenerator(seed: 0xEF65)
        var refusedProtobuf = 0
        var refusedJSON = 0
        for _ in 0..<5000 {
            if (try? DiagnosisKeyBatch.parseProtobuf(mutate(protobuf, &rng))) == nil { refusedProtobuf += 1 }
            if (try? DiagnosisKeyJSONDecoder.decode(mutate(json, &rng))) == nil { refusedJSON += 1 }
        }
        // most mutations make the body unreadable; the rest parse into keys that validation then checks
        XCTAssertGreaterThan(refusedProtobuf, 1000)
        XCTAssertGreaterThan(refusedJSON, 2500)
    }

    /// The download fast path (batch bytes from the keys' own encodings) equals SwiftProtobuf's batch encoding,
    /// including keys longer than 127 bytes (two-byte length varints) and the empty batch.
    func testBatchFromEncodedKeysEqualsSwiftProtobuf() {
        var keys = sampleKeys()
        keys[1].visitedCountries = Array(repeating: "FR", count: 40)
        var batch = DiagnosisKeyBatch()
        batch.keys = keys
        XCTAssertGreaterThan(keys[1].protobufBytes().count, 127)
        XCTAssertEqual(
            DiagnosisKeyBatch.protobufBytes(encodedKeys: keys.map { $0.protobufBytes() }),
            batch.protobufBytes())
        XCTAssertEqual(DiagnosisKeyBatch.protobufBytes(encodedKeys: []), [])
    }

    func testHostileJSONShapes() {
        let deep = Array(String(repeating: "[", count: 100_000).utf8)
        XCTAssertThrowsError(try DiagnosisKeyJSONDecoder.decode(Array(#"{"keys":"#.utf8) + deep))
        let deepObject = Array((#"{"keys":[],"x":"# + String(repeating: #"{"a":"#, count: 50_000)).utf8)
        XCTAssertThrowsError(try DiagnosisKeyJSONDecoder.decode(deepObject))
        for text in [
            "", " ", "null", "[]", "\"keys\"", "{\"keys\":{}}", "{\"keys\":[1]}",
            "{\"keys\":[{\"keyData\":1}]}", "{\"keys\":[{\"rollingPeriod\":1e3}]}",
            "{\"keys\":[{\"rollingPeriod\":4294967296}]}", "{\"keys\":[{\"reportType\":\"NOPE\"}]}",
            "{\"keys\":[]}garbage", "\u{FEFF}{\"keys\":[]}", "{\"keys\":[{\"origin\":\"\\uD800\"}]}",
        ] {
            XCTAssertThrowsError(try DiagnosisKeyJSONDecoder.decode(Array(text.utf8)), text)
        }
    }
}

/// Issue 12, finding 3: a 16 MiB body of empty keys parsed into millions of messages (~800 MiB, seconds of CPU)
/// before check 13 refused it. The keys are now counted from the framing first.
final class ParseAmplificationTests: XCTestCase {
    func testProtobufBodyOfMillionsOfEmptyKeysIsRefusedBeforeParsing() throws {
        let body = [UInt8]([0x0A, 0x00].repeated(8 * 1024 * 1024))  // 16 MiB: 8 Mi empty keys
        XCTAssertEqual(DiagnosisKeyBatch.keyCount(protobuf: body), 8 * 1024 * 1024)
        XCTAssertThrowsError(try WireFormat.protobuf.decodeKeys(body, maxKeys: 5000)) { error in
            XCTAssertEqual(error as? UploadBodyError, .tooManyKeys(limit: 5000))
        }
        // exactly the limit still parses; broken framing is left to the parser's own error
        let five = [UInt8]([0x0A, 0x00].repeated(5000))
        XCTAssertEqual(try WireFormat.protobuf.decodeKeys(five, maxKeys: 5000).count, 5000)
        XCTAssertNil(DiagnosisKeyBatch.keyCount(protobuf: [0x0A, 0x05, 0x01]), "length past the end")
        XCTAssertNil(DiagnosisKeyBatch.keyCount(protobuf: [0x0B]), "group wire type")
        XCTAssertNil(
            DiagnosisKeyBatch.keyCount(protobuf: [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]))
        XCTAssertEqual(
            DiagnosisKeyBatch.keyCount(protobuf: [0x10, 0x01, 0x0A, 0x00, 0x1D, 1, 2, 3, 4]), 1,
            "unknown fields skipped")
    }

    func testJSONBodyOfMillionsOfEmptyKeysIsRefusedBeforeItIsHeld() throws {
        let body = Array(#"{"keys":["#.utf8) + Array("{},".utf8).repeated(5_000_000) + Array("{}]}".utf8)
        XCTAssertThrowsError(try WireFormat.json.decodeKeys(body, maxKeys: 5000)) { error in
            XCTAssertEqual(error as? UploadBodyError, .tooManyKeys(limit: 5000))
        }
        // one key object with a million members is a parse error, not a million-member tree
        let wide = Array(#"{"keys":[{"#.utf8) + Array(#""a":1,"#.utf8).repeated(1_000_000) + Array(#""b":1}]}"#.utf8)
        XCTAssertThrowsError(try WireFormat.json.decodeKeys(wide, maxKeys: 5000)) { error in
            guard case .unreadable = error as? UploadBodyError else { return XCTFail("\(error)") }
        }
        let five = Array(#"{"keys":["#.utf8) + Array("{},".utf8).repeated(4999) + Array("{}]}".utf8)
        XCTAssertEqual(try WireFormat.json.decodeKeys(five, maxKeys: 5000).count, 5000)
    }
}

extension Array {
    fileprivate func repeated(_ n: Int) -> [Element] {
        var out: [Element] = []
        out.reserveCapacity(count * n)
        for _ in 0..<n { out += self }
        return out
    }
}
