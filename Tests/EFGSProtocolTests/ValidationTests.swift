// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

final class ValidationTests: XCTestCase {
    func valid(_ now: Date) -> DiagnosisKey {
        var k = v1Key()
        k.rollingStartIntervalNumber = UInt32(now.timeIntervalSince1970 / 600) - 144
        k.rollingPeriod = 144
        return k
    }

    func testMessagesAndOrder() {
        let now = Date()
        let v = KeyValidator(now: now)
        XCTAssertNil(v.firstFailure(in: [valid(now)]))
        var bad = valid(now)
        bad.rollingPeriod = 145
        XCTAssertEqual(
            v.firstFailure(in: [valid(now), valid(now), valid(now), bad])?.message,
            "Validation of diagnosis key failed: keys[3].rollingPeriod: Invalid rolling period.")
        var k = valid(now)
        k.keyData = Data()
        XCTAssertEqual(v.firstFailure(in: [k])?.reason, "The keydata is empty or null.")
        k = valid(now)
        k.keyData = Data(count: 15)
        XCTAssertEqual(v.firstFailure(in: [k])?.reason, "The keydata is not 16 bytes.")
        k = valid(now)
        k.rollingStartIntervalNumber = v.rollingStartIntervalRange.upperBound + 1
        XCTAssertEqual(v.firstFailure(in: [k])?.field, "rollingStartIntervalNumber")
        k = valid(now)
        k.rollingStartIntervalNumber = v.rollingStartIntervalRange.lowerBound
        XCTAssertNil(v.firstFailure(in: [k]))
        k = valid(now)
        k.transmissionRiskLevel = 9
        XCTAssertEqual(v.firstFailure(in: [k])?.reason, "Invalid transmission risk level.")
        k.transmissionRiskLevel = Int32.max
        XCTAssertNil(v.firstFailure(in: [k]))
        k = valid(now)
        k.visitedCountries = ["de"]
        XCTAssertEqual(v.firstFailure(in: [k])?.reason, "Invalid visited country.")
        k.visitedCountries = Array(repeating: "DE", count: 65)
        XCTAssertEqual(v.firstFailure(in: [k])?.reason, "Too many visited countries.")
        k = valid(now)
        k.origin = "D"
        XCTAssertEqual(v.firstFailure(in: [k])?.reason, "Invalid origin.")
        k = valid(now)
        k.reportType = .UNRECOGNIZED(6)
        XCTAssertEqual(v.firstFailure(in: [k])?.reason, "Invalid report type.")
        k = valid(now)
        k.daysSinceOnsetOfSymptoms = -4000
        XCTAssertNil(v.firstFailure(in: [k]), "DSOS is not checked")
    }

    func testTagsAndDates() {
        XCTAssertEqual(BatchTag("20201009-12")?.number, 12)
        XCTAssertNil(BatchTag("20201009-012"))
        XCTAssertNil(BatchTag("20201309-1"))
        XCTAssertNil(BatchTag("20201009"))
        XCTAssertTrue(UploadTag.isValid("2020-9-8-AbCd1A==-0"))
        XCTAssertFalse(UploadTag.isValid("a b"))
        XCTAssertFalse(UploadTag.isValid(""))
        XCTAssertFalse(UploadTag.isValid(String(repeating: "x", count: 65)))
        XCTAssertEqual(UTCDay(iso: "2024-02-29")?.description, "2024-02-29")
        XCTAssertNil(UTCDay(iso: "2023-02-29"))
        XCTAssertNil(UTCDay(iso: "2023-2-01"))
        XCTAssertEqual(UTCTimestamp.format(epochMillis: 1_714_644_000_123), "2024-05-02T10:00:00.123Z")
    }
}
