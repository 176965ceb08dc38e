// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import Foundation

/// The bytes of a hex string (two digits per byte, no separators).
public func hex(_ s: String) -> [UInt8] {
    var out = [UInt8]()
    var i = s.startIndex
    while i < s.endIndex {
        let j = s.index(i, offsetBy: 2)
        out.append(UInt8(s[i..<j], radix: 16)!)
        i = j
    }
    return out
}

/// The vector key of §2.1 / §3.3 V1.
public func v1Key() -> DiagnosisKey {
    var k = DiagnosisKey()
    k.keyData = Data(hex("0e0f0b0e0c0f0f100e0f0b0e0c0f0f10"))
    k.rollingStartIntervalNumber = 2
    k.rollingPeriod = 1
    k.transmissionRiskLevel = 3
    k.visitedCountries = ["DE", "FR", "PL"]
    k.origin = "DE"
    k.reportType = .confirmedClinicalDiagnosis
    k.daysSinceOnsetOfSymptoms = 42
    return k
}

/// The second vector key of §2.1 (§3.3 V4/V5): the edge values of every field.
public func edgeValueKey() -> DiagnosisKey {
    var k = DiagnosisKey()
    k.keyData = Data("123".utf8)
    k.rollingStartIntervalNumber = 4_294_967_295
    k.rollingPeriod = 4_294_967_295
    k.transmissionRiskLevel = -22
    k.visitedCountries = ["UK", "NL", "FR"]
    k.origin = "DE"
    k.reportType = .confirmedTest
    return k
}
