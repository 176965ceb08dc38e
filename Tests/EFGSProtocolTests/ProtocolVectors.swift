import EFGSProtocol
import Foundation

/// The bytes of a hex string (two digits per byte, no separators).
func hex(_ s: String) -> [UInt8] {
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
func v1Key() -> DiagnosisKey {
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
