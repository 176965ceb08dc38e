// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// Exact JSON text of download responses (PROTOCOL.md §2.2). Generic JSON coders are deliberately not used:
/// the reference's spacing (`"name": value`, no space after `,`) and names must be reproduced byte for byte.
public enum DiagnosisKeyJSONEncoder {
    /// The response body for `keys`: `{}` when there are none, else `{"keys": [...]}` with the fields of each key
    /// in schema order and proto3 defaults left out.
    public static func encode(_ keys: [DiagnosisKey]) -> [UInt8] {
        if keys.isEmpty { return Array("{}".utf8) }
        var out = [UInt8]()
        out.reserveCapacity(keys.count * 260)
        out.append(contentsOf: Array("{\"keys\": [".utf8))
        for (i, key) in keys.enumerated() {
            if i > 0 { out.append(0x2C) }
            appendKey(key, to: &out)
        }
        out.append(contentsOf: Array("]}".utf8))
        return out
    }

    /// Appends one key object to `out`.
    static func appendKey(_ key: DiagnosisKey, to out: inout [UInt8]) {
        out.append(0x7B)
        var first = true
        func field(_ name: String, _ value: String) {
            if !first { out.append(0x2C) }
            first = false
            out.append(0x22)
            out.append(contentsOf: Array(name.utf8))
            out.append(contentsOf: Array("\": ".utf8))
            out.append(contentsOf: Array(value.utf8))
        }
        if !key.keyData.isEmpty { field("keyData", "\"" + Base64.encodeString(key.keyData) + "\"") }
        if key.rollingStartIntervalNumber != 0 {
            field("rollingStartIntervalNumber", String(key.rollingStartIntervalNumber))
        }
        if key.rollingPeriod != 0 { field("rollingPeriod", String(key.rollingPeriod)) }
        if key.transmissionRiskLevel != 0 { field("transmissionRiskLevel", String(key.transmissionRiskLevel)) }
        if !key.visitedCountries.isEmpty {
            field("visitedCountries", "[" + key.visitedCountries.map(JSONText.quoted).joined(separator: ",") + "]")
        }
        if !key.origin.isEmpty { field("origin", JSONText.quoted(key.origin)) }
        if key.reportType.rawValue != 0 {
            field("reportType", key.reportType.protoName.map(JSONText.quoted) ?? String(key.reportType.rawValue))
        }
        if key.daysSinceOnsetOfSymptoms != 0 {
            field("days_since_onset_of_symptoms", String(key.daysSinceOnsetOfSymptoms))
        }
        out.append(0x7D)
    }
}
