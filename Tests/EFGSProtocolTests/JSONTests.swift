// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

final class JSONTests: XCTestCase {
    let expected =
        #"{"keys": [{"keyData": "Dg8LDgwPDxAODwsODA8PEA==","rollingStartIntervalNumber": 2,"#
        + #""rollingPeriod": 1,"transmissionRiskLevel": 3,"visitedCountries": ["DE","FR","PL"],"origin": "DE","#
        + #""reportType": "CONFIRMED_CLINICAL_DIAGNOSIS","days_since_onset_of_symptoms": 42},"#
        + #"{"keyData": "AAECAwQFBgcICQoLDA0ODw==","rollingStartIntervalNumber": 2743200,"rollingPeriod": 144,"#
        + #""transmissionRiskLevel": 2147483647,"origin": "DE","days_since_onset_of_symptoms": -3}]}"#

    func secondKey() -> DiagnosisKey {
        var k = DiagnosisKey()
        k.keyData = Data(0..<16)
        k.rollingStartIntervalNumber = 2_743_200
        k.rollingPeriod = 144
        k.transmissionRiskLevel = 2_147_483_647
        k.origin = "DE"
        k.daysSinceOnsetOfSymptoms = -3
        return k
    }

    func testSection24ExactOutput() {
        XCTAssertEqual(
            String(decoding: DiagnosisKeyJSONEncoder.encode([v1Key(), secondKey()]), as: UTF8.self),
            expected)
        XCTAssertEqual(String(decoding: DiagnosisKeyJSONEncoder.encode([]), as: UTF8.self), "{}")
    }

    func testOutputIsValidInput() throws {
        XCTAssertEqual(try DiagnosisKeyJSONDecoder.decode(Array(expected.utf8)), [v1Key(), secondKey()])
    }

    func testAliasesNumbersAndNulls() throws {
        let body =
            #"{"keys":[{"keyData":"Dg8LDgwPDxAODwsODA8PEA==","reportType":2,"daysSinceOnsetOfSymptoms":42,"#
            + #""extra":null,"rollingPeriod":"144","origin":null}]}"#
        let keys = try DiagnosisKeyJSONDecoder.decode(Array(body.utf8))
        XCTAssertEqual(keys[0].reportType, .confirmedClinicalDiagnosis)
        XCTAssertEqual(keys[0].daysSinceOnsetOfSymptoms, 42)
        XCTAssertEqual(keys[0].rollingPeriod, 144)
        XCTAssertEqual(keys[0].origin, "")
        XCTAssertEqual(try DiagnosisKeyJSONDecoder.decode(Array(#"{"keys":null}"#.utf8)).count, 0)
        let repeated = #"{"keys":[{"rollingPeriod":1,"rollingPeriod":7}]}"#
        XCTAssertEqual(
            try DiagnosisKeyJSONDecoder.decode(Array(repeated.utf8))[0].rollingPeriod, 7,
            "last occurrence wins")
    }

    func testRejections() {
        func reason(_ s: String) -> String? {
            do {
                _ = try DiagnosisKeyJSONDecoder.decode(Array(s.utf8))
                return nil
            } catch let e as UploadBodyError {
                return e.message
            } catch {
                return "other"
            }
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
