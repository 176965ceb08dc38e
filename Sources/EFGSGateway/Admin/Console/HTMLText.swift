// SPDX-License-Identifier: EUPL-1.2

/// Text in HTML: the operator console's pages and the reports the CLI writes (`efgs readiness`, `efgs load`).
public enum HTMLText {
    /// `text` safe in HTML text and in quoted attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
