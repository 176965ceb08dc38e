// SPDX-License-Identifier: EUPL-1.2

/// The signed batch stream (PROTOCOL.md §3.2).
public enum BatchStream {
    /// The concatenation of the canonical records of `keys`, sorted ascending by the Base64 of each record
    /// (ordinal byte comparison). This is *not* the same as sorting raw records or keyData.
    public static func bytes(of keys: [DiagnosisKey]) -> [UInt8] {
        bytes(ofRecords: keys.map(CanonicalRecord.bytes(of:)))
    }

    /// Same as ``bytes(of:)`` for records that were already built.
    ///
    /// The Base64 of every record is written end to end into one buffer of its final size and the records are
    /// ordered by comparing their spans in it (until 2026-12-03 each record's Base64 was an array of its own, 5000
    /// allocations for a full batch, compared through generic sequence comparison).
    public static func bytes(ofRecords records: [[UInt8]]) -> [UInt8] {
        var starts = [Int]()
        starts.reserveCapacity(records.count + 1)
        var total = 0
        for record in records {
            starts.append(total)
            total += Base64.encodedCount(record.count)
        }
        starts.append(total)
        let encoded = [UInt8](unsafeUninitializedCapacity: total) { out, count in
            for (index, record) in records.enumerated() {
                record.withUnsafeBytes {
                    _ = Base64.write($0, to: UnsafeMutableBufferPointer(rebasing: out[starts[index]...]))
                }
            }
            count = total
        }
        var order = Array(records.indices)
        encoded.withUnsafeBufferPointer { base64 in
            order.sort { a, b in
                let x = UnsafeBufferPointer(rebasing: base64[starts[a]..<starts[a + 1]])
                let y = UnsafeBufferPointer(rebasing: base64[starts[b]..<starts[b + 1]])
                return x.lexicographicallyPrecedes(y)
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(records.reduce(0) { $0 + $1.count })
        for index in order { out.append(contentsOf: records[index]) }
        return out
    }
}
