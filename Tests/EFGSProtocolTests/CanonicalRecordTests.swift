// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

final class CanonicalRecordTests: XCTestCase {
    func text(_ k: DiagnosisKey) -> String { String(decoding: CanonicalRecord.bytes(of: k), as: UTF8.self) }

    func testV1() {
        XCTAssertEqual(
            text(v1Key()),
            "Dg8LDgwPDxAODwsODA8PEA==.AAAAAg==.AAAAAQ==.AAAAAw==.REUsRlIsUEw=.REU=.AAAAAg==.AAAAKg==.")
    }

    func testV2SortsByBase64OfRecordNotRawRecord() {
        var a = v1Key()
        a.keyData = Data(hex("5aa2e0737aa0fdf573d3ac8c701824bc"))
        var b = v1Key()
        b.keyData = Data(hex("51689f9899be54ed2b3fc15a4f80da6f"))
        let stream = String(decoding: BatchStream.bytes(of: [b, a]), as: UTF8.self)
        XCTAssertEqual(stream.count, 176)
        XCTAssertTrue(stream.hasPrefix("WqLgc3qg/fVz06yMcBgkvA==."), "R_A must come first")
        XCTAssertEqual(BatchStream.bytes(of: [a, b]), BatchStream.bytes(of: [b, a]))
    }

    func testV3Order() {
        let keys = ["978", "D189", "ABC", "123"].map { s -> DiagnosisKey in
            var k = DiagnosisKey()
            k.keyData = Data(s.utf8)
            k.rollingStartIntervalNumber = 2
            k.rollingPeriod = 1
            k.transmissionRiskLevel = 3
            k.visitedCountries = ["CA", "CB", "CC", "CD"]
            k.origin = "DE"
            k.reportType = .confirmedTest
            k.daysSinceOnsetOfSymptoms = 42
            return k
        }
        let stream = String(decoding: BatchStream.bytes(of: keys), as: UTF8.self)
        XCTAssertEqual(stream.utf8.count, 292)
        XCTAssertTrue(stream.hasPrefix("OTc4.AAAAAg==.AAAAAQ==.AAAAAw==.Q0EsQ0IsQ0MsQ0Q=.REU=.AAAAAQ==.AAAAKg==."))
        let order = stream.split(separator: ".", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset % 8 == 0 }.map(\.element).dropLast()
        XCTAssertEqual(Array(order), ["OTc4", "MTIz", "QUJD", "RDE4OQ=="])
    }

    func testV4AndV5EdgeValues() {
        var k = edgeValueKey()
        XCTAssertEqual(text(k), "MTIz./////w==./////w==.////6g==.VUssTkwsRlI=.REU=.AAAAAQ==.AAAAAA==.")
        k.rollingStartIntervalNumber = 2_147_483_647
        k.rollingPeriod = 2_147_483_647
        XCTAssertEqual(text(k), "MTIz.f////w==.f////w==.////6g==.VUssTkwsRlI=.REU=.AAAAAQ==.AAAAAA==.")
        var v5 = v1Key()
        v5.daysSinceOnsetOfSymptoms = -3
        XCTAssertTrue(text(v5).hasSuffix("REU=.AAAAAg==./////Q==."))
        var v6 = v1Key()
        v6.transmissionRiskLevel = 2_147_483_647
        v6.visitedCountries = []
        v6.reportType = .confirmedTest
        v6.daysSinceOnsetOfSymptoms = 0
        XCTAssertEqual(text(v6), "Dg8LDgwPDxAODwsODA8PEA==.AAAAAg==.AAAAAQ==.f////w==..REU=.AAAAAQ==.AAAAAA==.")
    }

    func testUnknownReportTypeIsEncodedByNumber() {
        var k = v1Key()
        k.reportType = .UNRECOGNIZED(7)
        XCTAssertTrue(text(k).hasSuffix(".AAAABw==.AAAAKg==."))
    }

    /// The record and the stream as PROTOCOL.md §3.1–3.2 state them, written the plain way (the implementation
    /// until 2026-12-03): the faster code must give the same bytes for every key and every batch, non-ASCII text,
    /// empty lists and records whose raw order differs from their Base64 order included.
    func testRecordsAndStreamsEqualThePlainDefinition() {
        func plainRecord(_ k: DiagnosisKey) -> [UInt8] {
            func block(_ raw: [UInt8]) -> String { Data(raw).base64EncodedString() + "." }
            func be32(_ v: UInt32) -> String { block(withUnsafeBytes(of: v.bigEndian) { Array($0) }) }
            func ascii(_ s: String) -> [UInt8] { s.unicodeScalars.map { $0.isASCII ? UInt8($0.value) : 0x3F } }
            let text =
                block(Array(k.keyData)) + be32(k.rollingStartIntervalNumber) + be32(k.rollingPeriod)
                + be32(UInt32(bitPattern: k.transmissionRiskLevel))
                + block(ascii(k.visitedCountries.joined(separator: ","))) + block(ascii(k.origin))
                + be32(UInt32(bitPattern: Int32(truncatingIfNeeded: k.reportType.rawValue)))
                + be32(UInt32(bitPattern: k.daysSinceOnsetOfSymptoms))
            return Array(text.utf8)
        }
        func plainStream(_ keys: [DiagnosisKey]) -> [UInt8] {
            keys.map(plainRecord).sorted { Data($0).base64EncodedString() < Data($1).base64EncodedString() }
                .flatMap { $0 }
        }
        var generator = SystemRandomNumberGenerator()
        let texts = ["", "DE", "FR", "Ü", "de", "🇩🇪", "e\u{301}", "NL", "X,Y"]
        for round in 0..<200 {
            let keys = (0..<(round % 40)).map { _ -> DiagnosisKey in
                var k = DiagnosisKey()
                k.keyData = Data((0..<Int.random(in: 0...20, using: &generator)).map { _ in UInt8.random(in: 0...255) })
                k.rollingStartIntervalNumber = UInt32.random(in: 0...UInt32.max, using: &generator)
                k.rollingPeriod = UInt32.random(in: 0...200, using: &generator)
                k.transmissionRiskLevel = Int32.random(in: Int32.min...Int32.max, using: &generator)
                k.visitedCountries = (0..<Int.random(in: 0...4, using: &generator)).map { _ in texts.randomElement()! }
                k.origin = texts.randomElement(using: &generator)!
                k.reportType = .UNRECOGNIZED(Int.random(in: 0...6, using: &generator))
                k.daysSinceOnsetOfSymptoms = Int32.random(in: -14...4000, using: &generator)
                return k
            }
            for k in keys { XCTAssertEqual(CanonicalRecord.bytes(of: k), plainRecord(k)) }
            XCTAssertEqual(BatchStream.bytes(of: keys), plainStream(keys), "round \(round)")
        }
    }
}
