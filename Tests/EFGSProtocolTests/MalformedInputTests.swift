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
