// SPDX-License-Identifier: EUPL-1.2

/// Text for the HTML reports the CLI writes (`efgs readiness`, `efgs load`).
enum HTMLText {
    /// `text` safe in HTML text and in double-quoted attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
