import EFGSProtocol
import Foundation
import XCTest

/// A small deterministic generator (SplitMix64), so a failing mutation can be replayed from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Mutations of a valid input: byte flips, truncation, insertion, duplication of a slice.
func mutate(_ input: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
    var b = input
    for _ in 0..<Int.random(in: 1...4, using: &rng) {
        guard !b.isEmpty else { return [UInt8.random(in: 0...255, using: &rng)] }
        let i = Int.random(in: 0..<b.count, using: &rng)
        switch Int.random(in: 0..<5, using: &rng) {
        case 0: b[i] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
        case 1: b = Array(b[..<i])
        case 2: b.insert(UInt8.random(in: 0...255, using: &rng), at: i)
        case 3: b[i] = [0x00, 0x7F, 0x80, 0xFF, 0x22, 0x5B, 0x7B, 0x2C][Int.random(in: 0..<8, using: &rng)]
        default: b.insert(contentsOf: b[i..<min(b.count, i + 8)], at: i)
        }
    }
    return b
}

/// Malformed bodies are refused with an error, never a crash (PROTOCOL.md §5.3 check 10).
final class MalformedInputTests: XCTestCase {
    func sampleKeys() -> [DiagnosisKey] {
        (0..<3).map { i in
            var k = DiagnosisKey()
            k.keyData = Data((0..<16).map { UInt8($0 + i) })
            k.rollingStartIntervalNumber = 2_700_000 + UInt32(i); k.rollingPeriod = 144; k.transmissionRiskLevel = Int32(i) - 1
            k.visitedCountries = ["DE", "FR"]; k.origin = "DE"; k.reportType = .confirmedTest; k.daysSinceOnsetOfSymptoms = -3
            return k
        }
    }

    func testMutatedProtobufAndJSONBodies() {
        var batch = DiagnosisKeyBatch(); batch.keys = sampleKeys()
        let protobuf = batch.protobufBytes(), json = DiagnosisKeyJSONEncoder.encode(batch.keys)
        XCTAssertEqual(try DiagnosisKeyBatch.parseProtobuf(protobuf).keys, batch.keys)
        XCTAssertEqual(try DiagnosisKeyJSONDecoder.decode(json), batch.keys)
        var rng = SeededGenerator(seed: 0xEF65)
        var refusedProtobuf = 0, refusedJSON = 0
        for _ in 0..<5000 {
            if (try? DiagnosisKeyBatch.parseProtobuf(mutate(protobuf, &rng))) == nil { refusedProtobuf += 1 }
            if (try? DiagnosisKeyJSONDecoder.decode(mutate(json, &rng))) == nil { refusedJSON += 1 }
        }
        // most mutations make the body unreadable; the rest parse into keys that validation then checks
        XCTAssertGreaterThan(refusedProtobuf, 1000)
        XCTAssertGreaterThan(refusedJSON, 2500)
    }

    func testHostileJSONShapes() {
        let deep = Array(String(repeating: "[", count: 100_000).utf8)
        XCTAssertThrowsError(try DiagnosisKeyJSONDecoder.decode(Array(#"{"keys":"#.utf8) + deep))
        let deepObject = Array((#"{"keys":[],"x":"# + String(repeating: #"{"a":"#, count: 50_000)).utf8)
        XCTAssertThrowsError(try DiagnosisKeyJSONDecoder.decode(deepObject))
        for text in ["", " ", "null", "[]", "\"keys\"", "{\"keys\":{}}", "{\"keys\":[1]}", "{\"keys\":[{\"keyData\":1}]}",
                     "{\"keys\":[{\"rollingPeriod\":1e3}]}", "{\"keys\":[{\"rollingPeriod\":4294967296}]}", "{\"keys\":[{\"reportType\":\"NOPE\"}]}",
                     "{\"keys\":[]}garbage", "\u{FEFF}{\"keys\":[]}", "{\"keys\":[{\"origin\":\"\\uD800\"}]}"] {
            XCTAssertThrowsError(try DiagnosisKeyJSONDecoder.decode(Array(text.utf8)), text)
        }
    }
}
