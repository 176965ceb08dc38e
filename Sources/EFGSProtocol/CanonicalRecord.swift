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
        func block<B: Sequence>(_ raw: B) where B.Element == UInt8 {
            out.append(contentsOf: Base64.encode(Array(raw)))
            out.append(0x2E)
        }
        block(key.keyData)
        block(be32(key.rollingStartIntervalNumber))
        block(be32(key.rollingPeriod))
        block(be32(UInt32(bitPattern: key.transmissionRiskLevel)))
        block(asciiOnly(key.visitedCountries.joined(separator: ",")))
        block(asciiOnly(key.origin))
        block(be32(UInt32(bitPattern: Int32(truncatingIfNeeded: key.reportType.rawValue))))
        block(be32(UInt32(bitPattern: key.daysSinceOnsetOfSymptoms)))
        return out
    }

    @inline(__always)
    static func be32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    /// Non-ASCII characters become `?` (§3.1; unreachable after validation).
    static func asciiOnly(_ s: String) -> [UInt8] {
        s.unicodeScalars.map { $0.isASCII ? UInt8($0.value) : 0x3F }
    }
}

/// The signed batch stream (PROTOCOL.md §3.2).
public enum BatchStream {
    /// The concatenation of the canonical records of `keys`, sorted ascending by the Base64 of each record
    /// (ordinal byte comparison). This is *not* the same as sorting raw records or keyData.
    public static func bytes(of keys: [DiagnosisKey]) -> [UInt8] {
        bytes(ofRecords: keys.map(CanonicalRecord.bytes(of:)))
    }

    /// Same as ``bytes(of:)`` for records that were already built.
    public static func bytes(ofRecords records: [[UInt8]]) -> [UInt8] {
        let sorted = records
            .map { (sortKey: Base64.encode($0), record: $0) }
            .sorted { $0.sortKey.lexicographicallyPrecedes($1.sortKey) }
        var out = [UInt8]()
        out.reserveCapacity(records.reduce(0) { $0 + $1.count })
        for entry in sorted { out.append(contentsOf: entry.record) }
        return out
    }
}
