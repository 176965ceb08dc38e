// SPDX-License-Identifier: EUPL-1.2

/// `%XX` decoding (RFC 3986 §2.1) with the spec's rule that `+` stays `+` (PROTOCOL.md §4.2, §4.3, §5.1 path
/// segments) unless form decoding is asked for (§5.6 `url`).
public enum PercentDecoding {
    /// The decoded bytes of `text`; `+` becomes a space only when `plusAsSpace` is true. Nil when a `%` is not
    /// followed by two hex digits.
    public static func decode(_ text: String, plusAsSpace: Bool) -> [UInt8]? {
        let u = Array(text.utf8)
        var out = [UInt8]()
        out.reserveCapacity(u.count)
        var i = 0
        while i < u.count {
            let c = u[i]
            if c == 0x25 {
                guard i + 2 < u.count, let h = Hex.value(u[i + 1]), let l = Hex.value(u[i + 2]) else { return nil }
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(plusAsSpace && c == 0x2B ? 0x20 : c)
                i += 1
            }
        }
        return out
    }
}
