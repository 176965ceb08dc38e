// SPDX-License-Identifier: EUPL-1.2

/// Lower-case hexadecimal text, as thumbprints (PROTOCOL.md §1) and logs use it.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Two lower-case hex digits per byte.
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out = [UInt8]()
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// True for the ASCII code of `0-9`, `A-F` or `a-f`.
    public static func isHexDigit(_ c: UInt8) -> Bool { value(c) != nil }

    /// The value (0–15) of the ASCII hex digit `c` in either case, or nil.
    public static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}
