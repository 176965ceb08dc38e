// SPDX-License-Identifier: EUPL-1.2

/// One media type of a `Content-Type` or `Accept` header (PROTOCOL.md §5.1).
///
/// Type and subtype are lower-cased; whitespace around `/`, `;`, `,` and `=` is ignored; parameter names are
/// lower-cased; quoted parameter values are unquoted.
public struct MediaType: Equatable, Sendable {
    /// The type, lower-cased (`application`).
    public var type: String
    /// The subtype, lower-cased (`protobuf`).
    public var subtype: String
    /// Parameters by lower-cased name; the first occurrence of a name wins.
    public var parameters: [String: String]

    /// `type/subtype`.
    public var essence: String { "\(type)/\(subtype)" }
    /// The `version` parameter (§5.1).
    public var version: String? { parameters["version"] }
    /// `q=0` (in any decimal spelling) excludes an Accept entry.
    public var isExcluded: Bool {
        guard let q = parameters["q"], let v = Double(q) else { return false }
        return v == 0
    }

    /// The essence of the protobuf wire format.
    public static let protobuf = "application/protobuf"
    /// The essence of the JSON wire format.
    public static let json = "application/json"

    /// Parses one media type; nil if there is no `type/subtype`.
    public init?(parsing text: Substring) {
        let parts = MediaType.split(text, on: 0x3B)  // ';'
        guard let head = parts.first else { return nil }
        let slash = head.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard slash.count == 2 else { return nil }
        let t = slash[0].trimmingSpaces.lowercased()
        let s = slash[1].trimmingSpaces.lowercased()
        guard !t.isEmpty, !s.isEmpty, !t.contains(" "), !s.contains(" ") else { return nil }
        type = t
        subtype = s
        parameters = [:]
        for p in parts.dropFirst() {
            guard let eq = p.firstIndex(of: "=") else { continue }
            let name = p[..<eq].trimmingSpaces.lowercased()
            var value = Substring(p[p.index(after: eq)...].trimmingSpaces)
            if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
            if parameters[name] == nil { parameters[name] = String(value) }
        }
    }

    /// Parses a `Content-Type` value.
    public static func parseContentType(_ header: String?) -> MediaType? {
        guard let header else { return nil }
        return MediaType(parsing: Substring(header))
    }

    /// Parses an `Accept` value into entries in header order; unparseable entries are dropped.
    public static func parseAccept(_ header: String) -> [MediaType] {
        split(Substring(header), on: 0x2C).compactMap { MediaType(parsing: $0) }  // ','
    }

    /// Splits on `separator` outside double quotes, by bytes (an HTTP field value is octets, RFC 9110 §5.5; by
    /// graphemes, until 2026-12-03, a separator followed by a combining mark was not one, and the scan took most of
    /// the parser's time).
    static func split(_ text: Substring, on separator: UInt8) -> [Substring] {
        var out: [Substring] = []
        var inQuotes = false
        let bytes = text.utf8
        var start = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == 0x22 {  // '"'
                inQuotes.toggle()
            } else if !inQuotes, byte == separator {
                out.append(text[start..<index])
                start = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
        out.append(text[start..<bytes.endIndex])
        return out
    }
}
