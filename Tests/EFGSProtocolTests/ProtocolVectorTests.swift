import EFGSProtocol
import Foundation
import XCTest

func hex(_ s: String) -> [UInt8] {
    var out = [UInt8](); var i = s.startIndex
    while i < s.endIndex { let j = s.index(i, offsetBy: 2); out.append(UInt8(s[i..<j], radix: 16)!); i = j }
    return out
}


/// The vector key of §2.1 / §3.3 V1.
func v1Key() -> DiagnosisKey {
    var k = DiagnosisKey()
    k.keyData = Data(hex("0e0f0b0e0c0f0f100e0f0b0e0c0f0f10"))
    k.rollingStartIntervalNumber = 2; k.rollingPeriod = 1; k.transmissionRiskLevel = 3
    k.visitedCountries = ["DE", "FR", "PL"]; k.origin = "DE"; k.reportType = .confirmedClinicalDiagnosis
    k.daysSinceOnsetOfSymptoms = 42
    return k
}

final class ProtobufVectorTests: XCTestCase {
    func testSection21VectorOne() {
        var b = DiagnosisKeyBatch(); b.keys = [v1Key()]
        XCTAssertEqual(b.protobufBytes(), hex("0a2c0a100e0f0b0e0c0f0f100e0f0b0e0c0f0f101002180120032a0244452a0246522a02504c3202444538024054"))
    }

    func testSection21VectorTwoEdgeValues() {
        var k = DiagnosisKey()
        k.keyData = Data("123".utf8); k.rollingStartIntervalNumber = 4294967295; k.rollingPeriod = 4294967295
        k.transmissionRiskLevel = -22; k.visitedCountries = ["UK", "NL", "FR"]; k.origin = "DE"; k.reportType = .confirmedTest
        var b = DiagnosisKeyBatch(); b.keys = [k]
        XCTAssertEqual(b.protobufBytes(), hex("0a2e0a0331323310ffffffff0f18ffffffff0f20eaffffffffffffffff012a02554b2a024e4c2a024652320244453801"))
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

final class CanonicalRecordTests: XCTestCase {
    func text(_ k: DiagnosisKey) -> String { String(decoding: CanonicalRecord.bytes(of: k), as: UTF8.self) }

    func testV1() {
        XCTAssertEqual(text(v1Key()), "Dg8LDgwPDxAODwsODA8PEA==.AAAAAg==.AAAAAQ==.AAAAAw==.REUsRlIsUEw=.REU=.AAAAAg==.AAAAKg==.")
    }

    func testV2SortsByBase64OfRecordNotRawRecord() {
        var a = v1Key(); a.keyData = Data(hex("5aa2e0737aa0fdf573d3ac8c701824bc"))
        var b = v1Key(); b.keyData = Data(hex("51689f9899be54ed2b3fc15a4f80da6f"))
        let stream = String(decoding: BatchStream.bytes(of: [b, a]), as: UTF8.self)
        XCTAssertEqual(stream.count, 176)
        XCTAssertTrue(stream.hasPrefix("WqLgc3qg/fVz06yMcBgkvA==."), "R_A must come first")
        XCTAssertEqual(BatchStream.bytes(of: [a, b]), BatchStream.bytes(of: [b, a]))
    }

    func testV3Order() {
        let keys = ["978", "D189", "ABC", "123"].map { s -> DiagnosisKey in
            var k = DiagnosisKey(); k.keyData = Data(s.utf8); k.rollingStartIntervalNumber = 2; k.rollingPeriod = 1
            k.transmissionRiskLevel = 3; k.visitedCountries = ["CA", "CB", "CC", "CD"]; k.origin = "DE"; k.reportType = .confirmedTest
            k.daysSinceOnsetOfSymptoms = 42; return k
        }
        let stream = String(decoding: BatchStream.bytes(of: keys), as: UTF8.self)
        XCTAssertEqual(stream.utf8.count, 292)
        XCTAssertTrue(stream.hasPrefix("OTc4.AAAAAg==.AAAAAQ==.AAAAAw==.Q0EsQ0IsQ0MsQ0Q=.REU=.AAAAAQ==.AAAAKg==."))
        let order = stream.split(separator: ".", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 8 == 0 }.map(\.element).dropLast()
        XCTAssertEqual(Array(order), ["OTc4", "MTIz", "QUJD", "RDE4OQ=="])
    }

    func testV4AndV5EdgeValues() {
        var k = DiagnosisKey(); k.keyData = Data("123".utf8); k.rollingStartIntervalNumber = 4294967295; k.rollingPeriod = 4294967295
        k.transmissionRiskLevel = -22; k.visitedCountries = ["UK", "NL", "FR"]; k.origin = "DE"; k.reportType = .confirmedTest
        XCTAssertEqual(text(k), "MTIz./////w==./////w==.////6g==.VUssTkwsRlI=.REU=.AAAAAQ==.AAAAAA==.")
        k.rollingStartIntervalNumber = 2147483647; k.rollingPeriod = 2147483647
        XCTAssertEqual(text(k), "MTIz.f////w==.f////w==.////6g==.VUssTkwsRlI=.REU=.AAAAAQ==.AAAAAA==.")
        var v5 = v1Key(); v5.daysSinceOnsetOfSymptoms = -3
        XCTAssertTrue(text(v5).hasSuffix("REU=.AAAAAg==./////Q==."))
        var v6 = v1Key(); v6.transmissionRiskLevel = 2147483647; v6.visitedCountries = []; v6.reportType = .confirmedTest; v6.daysSinceOnsetOfSymptoms = 0
        XCTAssertEqual(text(v6), "Dg8LDgwPDxAODwsODA8PEA==.AAAAAg==.AAAAAQ==.f////w==..REU=.AAAAAQ==.AAAAAA==.")
    }

    func testUnknownReportTypeIsEncodedByNumber() {
        var k = v1Key(); k.reportType = .UNRECOGNIZED(7)
        XCTAssertTrue(text(k).hasSuffix(".AAAABw==.AAAAKg==."))
    }
}

final class JSONTests: XCTestCase {
    let expected = #"{"keys": [{"keyData": "Dg8LDgwPDxAODwsODA8PEA==","rollingStartIntervalNumber": 2,"rollingPeriod": 1,"transmissionRiskLevel": 3,"visitedCountries": ["DE","FR","PL"],"origin": "DE","reportType": "CONFIRMED_CLINICAL_DIAGNOSIS","days_since_onset_of_symptoms": 42},{"keyData": "AAECAwQFBgcICQoLDA0ODw==","rollingStartIntervalNumber": 2743200,"rollingPeriod": 144,"transmissionRiskLevel": 2147483647,"origin": "DE","days_since_onset_of_symptoms": -3}]}"#

    func secondKey() -> DiagnosisKey {
        var k = DiagnosisKey(); k.keyData = Data(0..<16); k.rollingStartIntervalNumber = 2743200; k.rollingPeriod = 144
        k.transmissionRiskLevel = 2147483647; k.origin = "DE"; k.daysSinceOnsetOfSymptoms = -3; return k
    }

    func testSection24ExactOutput() {
        XCTAssertEqual(String(decoding: DiagnosisKeyJSONEncoder.encode([v1Key(), secondKey()]), as: UTF8.self), expected)
        XCTAssertEqual(String(decoding: DiagnosisKeyJSONEncoder.encode([]), as: UTF8.self), "{}")
    }

    func testOutputIsValidInput() throws {
        XCTAssertEqual(try DiagnosisKeyJSONDecoder.decode(Array(expected.utf8)), [v1Key(), secondKey()])
    }

    func testAliasesNumbersAndNulls() throws {
        let keys = try DiagnosisKeyJSONDecoder.decode(Array(#"{"keys":[{"keyData":"Dg8LDgwPDxAODwsODA8PEA==","reportType":2,"daysSinceOnsetOfSymptoms":42,"extra":null,"rollingPeriod":"144","origin":null}]}"#.utf8))
        XCTAssertEqual(keys[0].reportType, .confirmedClinicalDiagnosis)
        XCTAssertEqual(keys[0].daysSinceOnsetOfSymptoms, 42)
        XCTAssertEqual(keys[0].rollingPeriod, 144)
        XCTAssertEqual(keys[0].origin, "")
        XCTAssertEqual(try DiagnosisKeyJSONDecoder.decode(Array(#"{"keys":null}"#.utf8)).count, 0)
        XCTAssertEqual(try DiagnosisKeyJSONDecoder.decode(Array(#"{"keys":[{"rollingPeriod":1,"rollingPeriod":7}]}"#.utf8))[0].rollingPeriod, 7, "last occurrence wins")
    }

    func testRejections() {
        func reason(_ s: String) -> String? {
            do { _ = try DiagnosisKeyJSONDecoder.decode(Array(s.utf8)); return nil } catch let e as UploadBodyError { return e.message } catch { return "other" }
        }
        XCTAssertEqual(reason("[]"), "Failed to read request")
        XCTAssertEqual(reason("{"), "Failed to read request")
        XCTAssertEqual(reason(#"{"keys":[{"rollingPeriod":1.0}]}"#), "Failed to read request")
        XCTAssertEqual(reason(#"{"keys":[{"rollingPeriod":1e2}]}"#), "Failed to read request")
        XCTAssertEqual(reason(#"{"keys":[{"rollingPeriod":4294967296}]}"#), "Failed to read request")
        XCTAssertEqual(reason(#"{"keys":[{"transmissionRiskLevel":2147483648}]}"#), "Failed to read request")
        XCTAssertEqual(reason(#"{"keys":[{"reportType":"BOGUS"}]}"#), "Failed to read request")
        XCTAssertEqual(reason(#"{"keys":[{"keyData":"Dg8L-gwPDxAODwsODA8PEA=="}]}"#), "Invalid Base64 in JSON object")
        XCTAssertEqual(reason(#"{"keys":[{"keyData":"Dg8L DgwP"}]}"#), "Invalid Base64 in JSON object")
        XCTAssertEqual(reason(#"{"keys":[1]}"#), "Failed to read request")
        XCTAssertEqual(reason(String(repeating: "[", count: 10_000)), "Failed to read request")
        XCTAssertNil(reason(#"{"keys":[{"keyData":"Dg8LDgwPDxAODwsODA8PEA"}]}"#), "padding is optional")
    }
}

final class NegotiationTests: XCTestCase {
    let n = ContentNegotiator()

    func testUploadContentTypes() {
        for ct in ["application/protobuf; version=1.0", "application/protobuf;version=1.0", "Application/JSON ; Version = \"1.0\"", "application/json; charset=utf-8; version=01.00"] {
            guard case .success(let (f, mt)) = n.uploadFormat(contentType: ct) else { return XCTFail(ct) }
            XCTAssertNil(n.checkUploadVersion(mt, format: f), ct)
        }
        guard case .failure(let f415) = n.uploadFormat(contentType: "application/x-protobuf") else { return XCTFail() }
        XCTAssertEqual(f415.status, 415)
        guard case .failure = n.uploadFormat(contentType: nil) else { return XCTFail() }
        func versionFailure(_ ct: String) -> NegotiationFailure? {
            guard case .success(let (f, mt)) = n.uploadFormat(contentType: ct) else { return nil }
            return n.checkUploadVersion(mt, format: f)
        }
        XCTAssertEqual(versionFailure("application/json")?.message, "Version parameter of Content-Type is required!")
        XCTAssertEqual(versionFailure("application/json; version=1")?.message, "Version can just contain a major and minor version splitted by a dot!")
        XCTAssertEqual(versionFailure("application/json; version=1.x")?.message, "Given version string has an invalid number format!")
        XCTAssertEqual(versionFailure("application/json; version=1.1")?.status, 406)
    }

    func testDownloadAccept() {
        XCTAssertEqual(try n.downloadFormat(accept: "application/protobuf; version=1.0").get(), .protobuf)
        XCTAssertEqual(try n.downloadFormat(accept: "application/json;version=1.0").get(), .json)
        XCTAssertEqual(try n.downloadFormat(accept: "text/html, application/json; version=1.0; q=0, application/protobuf;version=1.0").get(), .protobuf)
        func msg(_ a: String?) -> String? { if case .failure(let f) = n.downloadFormat(accept: a) { return f.message }; return nil }
        XCTAssertEqual(msg(nil), "Accept must be set!")
        XCTAssertEqual(msg(""), "Accept must be set!")
        XCTAssertEqual(msg("*/*"), "Version parameter of Content-Type is required!")
        XCTAssertEqual(msg("application/json"), "Version parameter of Content-Type is required!")
        XCTAssertEqual(msg("application/json; version=2.0"), "Protocol version is not compatible!")
        XCTAssertEqual(msg("text/html"), "Content-Type is not compatible")
    }

    func testAuditAccept() {
        XCTAssertNil(n.acceptsJSON(accept: nil))
        XCTAssertNil(n.acceptsJSON(accept: "application/json"))
        XCTAssertNil(n.acceptsJSON(accept: "text/plain, */*"))
        XCTAssertEqual(n.acceptsJSON(accept: "application/protobuf")?.status, 406)
    }
}

final class ValidationTests: XCTestCase {
    func valid(_ now: Date) -> DiagnosisKey {
        var k = v1Key(); k.rollingStartIntervalNumber = UInt32(now.timeIntervalSince1970 / 600) - 144; k.rollingPeriod = 144; return k
    }

    func testMessagesAndOrder() {
        let now = Date()
        let v = KeyValidator(now: now)
        XCTAssertNil(v.firstFailure(in: [valid(now)]))
        var bad = valid(now); bad.rollingPeriod = 145
        XCTAssertEqual(v.firstFailure(in: [valid(now), valid(now), valid(now), bad])?.message,
                       "Validation of diagnosis key failed: keys[3].rollingPeriod: Invalid rolling period.")
        var k = valid(now); k.keyData = Data()
        XCTAssertEqual(v.firstFailure(in: [k])?.reason, "The keydata is empty or null.")
        k = valid(now); k.keyData = Data(count: 15)
        XCTAssertEqual(v.firstFailure(in: [k])?.reason, "The keydata is not 16 bytes.")
        k = valid(now); k.rollingStartIntervalNumber = v.rollingStartIntervalRange.upperBound + 1
        XCTAssertEqual(v.firstFailure(in: [k])?.field, "rollingStartIntervalNumber")
        k = valid(now); k.rollingStartIntervalNumber = v.rollingStartIntervalRange.lowerBound
        XCTAssertNil(v.firstFailure(in: [k]))
        k = valid(now); k.transmissionRiskLevel = 9
        XCTAssertEqual(v.firstFailure(in: [k])?.reason, "Invalid transmission risk level.")
        k.transmissionRiskLevel = Int32.max
        XCTAssertNil(v.firstFailure(in: [k]))
        k = valid(now); k.visitedCountries = ["de"]
        XCTAssertEqual(v.firstFailure(in: [k])?.reason, "Invalid visited country.")
        k.visitedCountries = Array(repeating: "DE", count: 65)
        XCTAssertEqual(v.firstFailure(in: [k])?.reason, "Too many visited countries.")
        k = valid(now); k.origin = "D"
        XCTAssertEqual(v.firstFailure(in: [k])?.reason, "Invalid origin.")
        k = valid(now); k.reportType = .UNRECOGNIZED(6)
        XCTAssertEqual(v.firstFailure(in: [k])?.reason, "Invalid report type.")
        k = valid(now); k.daysSinceOnsetOfSymptoms = -4000
        XCTAssertNil(v.firstFailure(in: [k]), "DSOS is not checked")
    }

    func testTagsAndDates() {
        XCTAssertEqual(BatchTag("20201009-12")?.number, 12)
        XCTAssertNil(BatchTag("20201009-012")); XCTAssertNil(BatchTag("20201309-1")); XCTAssertNil(BatchTag("20201009"))
        XCTAssertTrue(UploadTag.isValid("2020-9-8-AbCd1A==-0")); XCTAssertFalse(UploadTag.isValid("a b"))
        XCTAssertFalse(UploadTag.isValid("")); XCTAssertFalse(UploadTag.isValid(String(repeating: "x", count: 65)))
        XCTAssertEqual(UTCDay(iso: "2024-02-29")?.description, "2024-02-29")
        XCTAssertNil(UTCDay(iso: "2023-02-29")); XCTAssertNil(UTCDay(iso: "2023-2-01"))
        XCTAssertEqual(UTCTimestamp.format(epochMillis: 1_714_644_000_123), "2024-05-02T10:00:00.123Z")
    }
}
