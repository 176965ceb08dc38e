// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// The canonical record of one diagnosis key (PROTOCOL.md §3.1): eight Base64 blocks, each followed by `.`.
///
/// The record is the ASCII text a national backend signs; the batch stream (§3.2) is the sorted
/// concatenation of the records of a batch.
public enum CanonicalRecord {
    /// Builds the record bytes of `key`.
    public static func bytes(of key: DiagnosisKey) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(128)
        func block(_ raw: UnsafeRawBufferPointer) {
            Base64.append(raw, to: &out)
            out.append(0x2E)
        }
        func be32(_ v: UInt32) { withUnsafeBytes(of: v.bigEndian) { block($0) } }
        key.keyData.withUnsafeBytes { block($0) }
        be32(key.rollingStartIntervalNumber)
        be32(key.rollingPeriod)
        be32(UInt32(bitPattern: key.transmissionRiskLevel))
        asciiOnly(key.visitedCountries.joined(separator: ",")).withUnsafeBytes { block($0) }
        asciiOnly(key.origin).withUnsafeBytes { block($0) }
        be32(UInt32(bitPattern: Int32(truncatingIfNeeded: key.reportType.rawValue)))
        be32(UInt32(bitPattern: key.daysSinceOnsetOfSymptoms))
        return out
    }

    /// Non-ASCII characters become `?` (§3.1; unreachable after validation).
    static func asciiOnly(_ s: String) -> [UInt8] {
        s.unicodeScalars.map { $0.isASCII ? UInt8($0.value) : 0x3F }
    }
}
