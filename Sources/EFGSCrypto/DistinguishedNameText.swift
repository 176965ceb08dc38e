// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import Foundation

/// A subject DN as a proxy writes it into `X-SSL-Client-DN` (PROTOCOL.md §4.3): RFC 4514/1779 text or OpenSSL's
/// `/C=DE/O=x` one-line form, possibly percent-encoded.
public struct DistinguishedNameText: Sendable, Equatable {
    /// All attributes, type upper-cased, value unescaped, in text order.
    public var attributes: [(type: String, value: String)]

    /// Equal when the attributes are equal in order.
    public static func == (a: Self, b: Self) -> Bool {
        a.attributes.count == b.attributes.count
            && zip(a.attributes, b.attributes).allSatisfy { $0.type == $1.type && $0.value == $1.value }
    }

    /// Values of the country attributes (`C`, `COUNTRYNAME`, `2.5.4.6`).
    public var countries: [String] {
        attributes.filter { ["C", "COUNTRYNAME", "2.5.4.6"].contains($0.type) }.map(\.value)
    }

    /// Parses a header value (§4.3): percent-decoded, an optional `subject=` prefix removed, split on `/` (OpenSSL
    /// form) or `,`/`;`, multi-valued RDNs split on `+`. Nil when the text is unusable (bad `%` escape, invalid
    /// UTF-8).
    public init?(header: String) {
        guard let decoded = PercentDecoding.decode(header, plusAsSpace: false),
            var text = String(validating: decoded, as: UTF8.self)
        else { return nil }
        text = text.trimmingWhitespaces
        if text.lowercased().hasPrefix("subject=") { text = String(text.dropFirst("subject=".count)) }
        let chars = Array(text.unicodeScalars)
        let components: [[Unicode.Scalar]]
        if chars.first == "/" {
            components = Self.split(chars, separators: ["/"]).filter { !$0.isEmpty }
        } else {
            components = Self.split(chars, separators: [",", ";"])
        }
        var attrs: [(String, String)] = []
        for component in components {
            for attribute in Self.split(component, separators: ["+"]) {
                guard let eq = Self.firstUnescaped(attribute, "=") else { continue }
                let type = String(String.UnicodeScalarView(attribute[..<eq])).trimmingWhitespaces.uppercased()
                let value = Self.unescape(Array(attribute[(eq + 1)...]))
                if value.isEmpty { continue }
                attrs.append((type, value))
            }
        }
        attributes = attrs
    }

    /// Splits on separators that are neither backslash-escaped nor inside a double-quoted value.
    static func split(_ s: [Unicode.Scalar], separators: Set<Unicode.Scalar>) -> [[Unicode.Scalar]] {
        var out: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        var inQuotes = false
        var i = 0
        while i < s.count {
            let c = s[i]
            if c == "\\", i + 1 < s.count {
                current.append(c)
                current.append(s[i + 1])
                i += 2
                continue
            }
            if c == "\"" { inQuotes.toggle() }
            if !inQuotes, separators.contains(c) {
                out.append(current)
                current = []
            } else {
                current.append(c)
            }
            i += 1
        }
        out.append(current)
        return out
    }

    /// The index of the first `target` not escaped by a backslash.
    static func firstUnescaped(_ s: [Unicode.Scalar], _ target: Unicode.Scalar) -> Int? {
        var i = 0
        while i < s.count {
            if s[i] == "\\" {
                i += 2
                continue
            }
            if s[i] == target { return i }
            i += 1
        }
        return nil
    }

    /// Trims, removes surrounding quotes, resolves `\c` and `\XX`.
    static func unescape(_ raw: [Unicode.Scalar]) -> String {
        var s = String(String.UnicodeScalarView(raw)).trimmingWhitespaces
        if s.count >= 2, s.hasPrefix("\""), s.hasSuffix("\"") { s = String(s.dropFirst().dropLast()) }
        let u = Array(s.utf8)
        var out = [UInt8]()
        var i = 0
        while i < u.count {
            if u[i] == 0x5C, i + 1 < u.count {
                if i + 2 < u.count, let h = Hex.value(u[i + 1]), let l = Hex.value(u[i + 2]) {
                    out.append(h << 4 | l)
                    i += 3
                } else {
                    out.append(u[i + 1])
                    i += 2
                }
            } else {
                out.append(u[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
