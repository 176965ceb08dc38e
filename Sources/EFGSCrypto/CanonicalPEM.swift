// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import Foundation

/// Canonical PEM (PROTOCOL.md §7.6): header LF, Base64 of the DER in 64-character lines each ending in LF,
/// footer LF. Exactly one certificate, no other text, no CR.
public enum CanonicalPEM {
    static let header = "-----BEGIN CERTIFICATE-----"
    static let footer = "-----END CERTIFICATE-----"

    /// The canonical PEM of a certificate's DER.
    public static func encode<D: Collection>(der: D) -> String where D.Element == UInt8 {
        let b64 = Array(Base64.encode(Array(der)))
        var text = header + "\n"
        var i = 0
        while i < b64.count {
            let end = min(i + 64, b64.count)
            text += String(decoding: b64[i..<end], as: UTF8.self) + "\n"
            i = end
        }
        return text + footer + "\n"
    }

    /// The DER if `text` is canonical PEM, else nil.
    public static func canonicalDER(_ text: String) -> [UInt8]? {
        guard text.hasPrefix(header + "\n"), text.hasSuffix(footer + "\n") else { return nil }
        let body = text.dropFirst(header.count + 1).dropLast(footer.count + 1)
        guard let der = Base64.decodeStrict(body.replacingOccurrences(of: "\n", with: "")), !der.isEmpty else {
            return nil
        }
        return encode(der: der) == text ? der : nil
    }

    /// The DER of the first `CERTIFICATE` block of any PEM text (whitespace inside the Base64 ignored), or of a
    /// bare Base64 DER value (§4.1 mode b). Nil if neither.
    public static func firstCertificateDER(in text: String) -> [UInt8]? {
        if let start = text.range(of: header) {
            guard let end = text.range(of: footer, range: start.upperBound..<text.endIndex) else { return nil }
            let body = text[start.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
            return Base64.decodeStrict(body)
        }
        let compact = text.filter { !$0.isWhitespace }
        guard !compact.isEmpty else { return nil }
        return Base64.decodeStrict(compact)
    }
}
