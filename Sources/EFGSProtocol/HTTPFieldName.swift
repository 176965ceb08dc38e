// SPDX-License-Identifier: EUPL-1.2

/// HTTP field names (RFC 9110 §5.1): tokens of ASCII characters, compared case-insensitively.
public enum HTTPFieldName {
    /// Whether `a` and `b` name the same field: equal after ASCII lower-casing (no locale, no Unicode folding, so
    /// `K` (U+212A KELVIN SIGN) is not `k`).
    public static func matches(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { lower($0) == lower($1) }
    }

    static func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c | 0x20 : c }
}
