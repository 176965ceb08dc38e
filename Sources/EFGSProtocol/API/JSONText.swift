// SPDX-License-Identifier: EUPL-1.2

/// JSON text written byte for byte as the gateway sends it (RFC 8259): the exact, compact forms the §5 bodies use.
public enum JSONText {
    /// A JSON string literal of `text` (RFC 8259 §7): `"` and `\` escaped, the control characters as `\n`, `\r`,
    /// `\t`, `\b`, `\f` or `\u00XX`, every other character as itself.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A JSON array of already encoded members: `[a,b,c]`.
    public static func array(_ members: [String]) -> String {
        "[" + members.joined(separator: ",") + "]"
    }

    /// A JSON array of integers: `[1,2,3]`.
    public static func array(_ numbers: [Int]) -> String {
        array(numbers.map(String.init))
    }
}
