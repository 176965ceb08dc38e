// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// The canonical record of one diagnosis key (PROTOCOL.md §3.1): eight Base64 blocks, each followed by `.`.
///
/// The record is the ASCII text a national backend signs; the batch stream (§3.2) is the sorted
/// concatenation of the records of a batch.
public enum CanonicalRecord {
    /// Builds the record bytes of `key`, written straight into an array of the record's length (at most: a
    /// non-ASCII scalar of an unvalidated key takes one byte where its UTF-8 counted more).
    public static func bytes(of key: DiagnosisKey) -> [UInt8] {
        func blockLength(_ n: Int) -> Int { Base64.encodedCount(n) + 1 }
        let visited = key.visitedCountries.reduce(key.visitedCountries.count) { $0 + $1.utf8.count }
        let capacity =
            blockLength(key.keyData.count) + 6 * blockLength(4) + blockLength(visited)
            + blockLength(key.origin.utf8.count)
        return [UInt8](unsafeUninitializedCapacity: capacity) { out, count in
            var n = 0
            func block(_ raw: UnsafeRawBufferPointer) {
                n += Base64.write(raw, to: UnsafeMutableBufferPointer(rebasing: out[n...]))
                out[n] = 0x2E  // '.'
                n += 1
            }
            func be32(_ v: UInt32) { withUnsafeBytes(of: v.bigEndian) { block($0) } }
            key.keyData.withUnsafeBytes { block($0) }
            be32(key.rollingStartIntervalNumber)
            be32(key.rollingPeriod)
            be32(UInt32(bitPattern: key.transmissionRiskLevel))
            asciiOnly(key.visitedCountries) { block($0) }
            asciiOnly([key.origin]) { block($0) }
            be32(UInt32(bitPattern: Int32(truncatingIfNeeded: key.reportType.rawValue)))
            be32(UInt32(bitPattern: key.daysSinceOnsetOfSymptoms))
            count = n
        }
    }

    /// Hands `body` the ASCII of `strings` joined by `,`, each non-ASCII scalar as `?` (§3.1; unreachable after
    /// validation), from a temporary buffer (on the stack up to Swift's limit for such buffers): the joined text
    /// and each ASCII copy are no longer arrays of their own (they were until 2026-12-03).
    static func asciiOnly(_ strings: [String], _ body: (UnsafeRawBufferPointer) -> Void) {
        let capacity = strings.reduce(strings.count) { $0 + $1.utf8.count }  // scalars ≤ UTF-8 bytes
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            var n = 0
            for (i, string) in strings.enumerated() {
                if i > 0 {
                    buffer[n] = 0x2C  // ','
                    n += 1
                }
                for scalar in string.unicodeScalars {
                    buffer[n] = scalar.isASCII ? UInt8(scalar.value) : 0x3F  // '?'
                    n += 1
                }
            }
            body(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[..<n]))
        }
    }
}
