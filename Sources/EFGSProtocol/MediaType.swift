/// One media type of a `Content-Type` or `Accept` header (PROTOCOL.md §5.1).
///
/// Type and subtype are lower-cased; whitespace around `/`, `;`, `,` and `=` is ignored; parameter names are
/// lower-cased; quoted parameter values are unquoted.
public struct MediaType: Equatable, Sendable {
    public var type: String
    public var subtype: String
    public var parameters: [String: String]

    public var essence: String { "\(type)/\(subtype)" }
    public var version: String? { parameters["version"] }
    /// `q=0` (in any decimal spelling) excludes an Accept entry.
    public var isExcluded: Bool {
        guard let q = parameters["q"], let v = Double(q) else { return false }
        return v == 0
    }

    public static let protobuf = "application/protobuf"
    public static let json = "application/json"

    /// Parses one media type; nil if there is no `type/subtype`.
    public init?(parsing text: Substring) {
        let parts = MediaType.split(text, on: 0x3B) // ';'
        guard let head = parts.first else { return nil }
        let slash = head.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard slash.count == 2 else { return nil }
        let t = slash[0].trimmingSpaces.lowercased(), s = slash[1].trimmingSpaces.lowercased()
        guard !t.isEmpty, !s.isEmpty, !t.contains(" "), !s.contains(" ") else { return nil }
        type = t; subtype = s
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
        split(Substring(header), on: 0x2C).compactMap { MediaType(parsing: $0) } // ','
    }

    /// Splits on `separator` outside double quotes.
    static func split(_ text: Substring, on separator: UInt8) -> [Substring] {
        var out: [Substring] = []
        var inQuotes = false
        var start = text.startIndex
        var idx = text.startIndex
        while idx < text.endIndex {
            let c = text[idx]
            if c == "\"" { inQuotes.toggle() }
            else if !inQuotes, c.asciiValue == separator {
                out.append(text[start..<idx])
                start = text.index(after: idx)
            }
            idx = text.index(after: idx)
        }
        out.append(text[start..<text.endIndex])
        return out
    }
}

extension StringProtocol {
    var trimmingSpaces: Substring {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}

/// A protocol version `major.minor` (PROTOCOL.md §5.1).
public struct ProtocolVersion: Equatable, Sendable, CustomStringConvertible {
    public var major: String
    public var minor: String

    public enum ParseError: Error, Equatable {
        case notMajorMinor, notANumber
        public var message: String {
            switch self {
            case .notMajorMinor: return "Version can just contain a major and minor version splitted by a dot!"
            case .notANumber: return "Given version string has an invalid number format!"
            }
        }
    }

    public init(major: Int, minor: Int) { self.major = String(major); self.minor = String(minor) }

    /// Exactly two `.`-separated parts, each all decimal digits. Leading zeros are insignificant.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw ParseError.notMajorMinor }
        guard parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }) else {
            throw ParseError.notANumber
        }
        major = ProtocolVersion.normalised(parts[0]); minor = ProtocolVersion.normalised(parts[1])
    }

    static func normalised(_ digits: Substring) -> String {
        let trimmed = digits.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }

    public var description: String { "\(major).\(minor)" }
}
