// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// RFC 4648 standard Base64 as the spec uses it: `=` padding on output, no line breaks.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let decodeTable: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = Int8(i) }
        return t
    }()

    /// Standard Base64 with padding, as ASCII bytes.
    public static func encode(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        bytes.withUnsafeBytes { append($0, to: &out) }
        return out
    }

    /// Appends the standard Base64 (with padding) of `bytes` to `out`, without intermediate arrays.
    public static func append(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        let n = bytes.count
        out.reserveCapacity(out.count + (n + 2) / 3 * 4)
        alphabet.withUnsafeBufferPointer { a in
            var i = 0
            while i + 3 <= n {
                let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
                out.append(a[Int(v >> 18)])
                out.append(a[Int((v >> 12) & 63)])
                out.append(a[Int((v >> 6) & 63)])
                out.append(a[Int(v & 63)])
                i += 3
            }
            if n - i == 1 {
                let v = UInt32(bytes[i]) << 16
                out.append(a[Int(v >> 18)])
                out.append(a[Int((v >> 12) & 63)])
                out.append(0x3D)
                out.append(0x3D)
            } else if n - i == 2 {
                let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
                out.append(a[Int(v >> 18)])
                out.append(a[Int((v >> 12) & 63)])
                out.append(a[Int((v >> 6) & 63)])
                out.append(0x3D)
            }
        }
    }

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
