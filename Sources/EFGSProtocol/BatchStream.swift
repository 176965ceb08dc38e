// SPDX-License-Identifier: EUPL-1.2

/// The signed batch stream (PROTOCOL.md §3.2).
public enum BatchStream {
    /// The concatenation of the canonical records of `keys`, sorted ascending by the Base64 of each record
    /// (ordinal byte comparison). This is *not* the same as sorting raw records or keyData.
    public static func bytes(of keys: [DiagnosisKey]) -> [UInt8] {
        bytes(ofRecords: keys.map(CanonicalRecord.bytes(of:)))
    }

    /// Same as ``bytes(of:)`` for records that were already built.
    public static func bytes(ofRecords records: [[UInt8]]) -> [UInt8] {
        let sorted =
            records
            .map { (sortKey: Base64.encode($0), record: $0) }
            .sorted { $0.sortKey.lexicographicallyPrecedes($1.sortKey) }
        var out = [UInt8]()
        out.reserveCapacity(records.reduce(0) { $0 + $1.count })
        for entry in sorted { out.append(contentsOf: entry.record) }
        return out
    }
}
