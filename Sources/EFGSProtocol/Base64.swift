// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// RFC 4648 standard Base64 as the spec uses it: `=` padding on output, no line breaks.
public enum Base64 {
    private static let decodeTable: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        table.withUTF8Buffer { alphabet in
            for (i, c) in alphabet.enumerated() { t[Int(c)] = Int8(i) }
        }
        return t
    }()

    /// Standard Base64 with padding, as ASCII bytes, written straight into the result (``write(_:to:)``).
    public static func encode(_ bytes: [UInt8]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: encodedCount(bytes.count)) { out, count in
            count = bytes.withUnsafeBytes { write($0, to: out) }
        }
    }

    /// Appends the standard Base64 (with padding) of `bytes` to `out`, through a temporary buffer (on the stack for
    /// short input).
    public static func append(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: encodedCount(bytes.count)) { buffer in
            let written = write(bytes, to: buffer)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<written]))
        }
    }

    /// The length of the standard Base64 (with padding) of `count` bytes.
    @inline(__always)
    public static func encodedCount(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    /// Writes the standard Base64 (with padding) of `bytes` at the start of `out`, which holds at least
    /// ``encodedCount(_:)`` bytes, and returns how many bytes it wrote.
    ///
    /// The canonical records of an upload (§3.1, eight blocks per key) and their Base64 for the batch stream's order
    /// (§3.2) are written with it straight into buffers of their final size: until 2026-12-04 every output byte was
    /// an `Array.append` of its own (a capacity and uniqueness check per byte), the largest single cost of building
    /// and sorting the records of an upload in `perf` profiles of `efgs benchmark`.
    public static func write(_ bytes: UnsafeRawBufferPointer, to out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let n = bytes.count
        precondition(out.count >= encodedCount(n), "room for the Base64 of \(n) bytes")
        let a = table.utf8Start
        var i = 0
        var o = 0
        while i + 3 <= n {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out[o] = a[Int(v >> 18)]
            out[o + 1] = a[Int((v >> 12) & 63)]
            out[o + 2] = a[Int((v >> 6) & 63)]
            out[o + 3] = a[Int(v & 63)]
            i += 3
            o += 4
        }
        if n - i == 1 {
            let v = UInt32(bytes[i]) << 16
            out[o] = a[Int(v >> 18)]
            out[o + 1] = a[Int((v >> 12) & 63)]
            out[o + 2] = 0x3D
            out[o + 3] = 0x3D
            o += 4
        } else if n - i == 2 {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out[o] = a[Int(v >> 18)]
            out[o + 1] = a[Int((v >> 12) & 63)]
            out[o + 2] = a[Int((v >> 6) & 63)]
            out[o + 3] = 0x3D
            o += 4
        }
        return o
    }

    /// The alphabet as static text: reading it needs neither a lazy initialisation nor reference counting, as the
    /// `static let` array does.
    private static var table: StaticString { "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" }

    /// Standard Base64 with padding, as a String.
    public static func encodeString<B: Sequence>(_ bytes: B) -> String where B.Element == UInt8 {
        String(decoding: encode(Array(bytes)), as: UTF8.self)
    }

    /// Strict decoding: only `A–Z a–z 0–9 + /`, `=` padding optional (but if present, correct), no whitespace,
    /// no URL-safe characters, non-zero trailing bits rejected. Returns nil on any violation.
    /// An empty string decodes to an empty array.
    public static func decodeStrict<S: StringProtocol>(_ text: S) -> [UInt8]? {
        var chars = Array(text.utf8)
        // strip padding (at most 2), then check the remaining length is consistent with it
        var pad = 0
        while let last = chars.last, last == 0x3D {
            chars.removeLast()
            pad += 1
        }
        if pad > 2 { return nil }
        let rem = chars.count % 4
        if rem == 1 { return nil }
        if pad > 0 && (chars.count + pad) % 4 != 0 { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count * 3 / 4)
        var acc: UInt32 = 0
        var bits = 0
        for c in chars {
            let d = decodeTable[Int(c)]
            if d < 0 { return nil }
            acc = (acc << 6) | UInt32(d)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((acc >> UInt32(bits)) & 0xFF))
            }
        }
        // leftover bits must be zero (canonical encoding)
        if bits > 0 && (acc & ((1 << UInt32(bits)) - 1)) != 0 { return nil }
        return out
    }
}
