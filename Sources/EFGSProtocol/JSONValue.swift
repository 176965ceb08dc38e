// SPDX-License-Identifier: EUPL-1.2

/// A minimal RFC 8259 JSON reader that keeps what generic decoders throw away: member order, repeated
/// member names, and the literal text of numbers (so `1`, `1.0` and `1e0` can be told apart, §2.3).
public indirect enum JSONValue: Equatable, Sendable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// The number exactly as written.
    case number(String)
    /// A string, unescaped.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// Members in document order; names may repeat.
    case object([(String, JSONValue)])

    /// Structural equality; object members compare in order, number literals by their text.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// Why a document is not JSON, and where.
    public struct ParseError: Error, CustomStringConvertible {
        /// The byte offset of the error.
        public let offset: Int
        /// What is wrong.
        public let reason: String
        /// `<reason> at byte <offset>`.
        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// Bounds on the parsed tree, so a body of millions of tiny values is refused before it is held in memory.
    public struct Limits: Sendable {
        /// Elements at most in an array that is a member of the top-level object (an upload's `keys`); one more
        /// throws ``TooManyElements``.
        public var memberArrayElements: Int
        /// Elements or members at most in every other array or object; one more is a ``ParseError``.
        public var elements: Int

        /// Limits of `memberArrayElements` and `elements`.
        public init(memberArrayElements: Int, elements: Int) {
            self.memberArrayElements = memberArrayElements
            self.elements = elements
        }

        /// No bounds (documents the gateway wrote itself).
        public static let none = Limits(memberArrayElements: .max, elements: .max)
    }

    /// An array in the top-level object longer than ``Limits/memberArrayElements``.
    public struct TooManyElements: Error {
        /// The limit exceeded.
        public let limit: Int
    }

    /// Parses a complete document (surrounding whitespace allowed, nothing else). Nesting is limited to 128
    /// levels so hostile input cannot exhaust the stack; element counts to `limits`.
    public static func parse(_ bytes: [UInt8], limits: Limits = .none) throws -> JSONValue {
        var p = Parser(bytes: bytes, limits: limits)
        p.skipWhitespace()
        let v = try p.value(depth: 0)
        p.skipWhitespace()
        if p.i != bytes.count { throw p.fail("trailing characters") }
        return v
    }

    /// A recursive-descent reader over the document's bytes.
    struct Parser {
        let bytes: [UInt8]
        let limits: Limits
        var i = 0

        func fail(_ reason: String) -> ParseError { ParseError(offset: i, reason: reason) }

        mutating func skipWhitespace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D {
                i += 1
            }
        }

        mutating func value(depth: Int) throws -> JSONValue {
            guard depth < 128 else { throw fail("nesting too deep") }
            guard i < bytes.count else { throw fail("unexpected end") }
            switch bytes[i] {
            case 0x7B: return try object(depth: depth)
            case 0x5B: return try array(depth: depth)
            case 0x22: return .string(try string())
            case 0x74:
                try literal("true")
                return .bool(true)
            case 0x66:
                try literal("false")
                return .bool(false)
            case 0x6E:
                try literal("null")
                return .null
            default: return .number(try number())
            }
        }

        mutating func literal(_ word: String) throws {
            let w = Array(word.utf8)
            guard i + w.count <= bytes.count, Array(bytes[i..<i + w.count]) == w else {
                throw fail("bad literal")
            }
            i += w.count
        }

        mutating func object(depth: Int) throws -> JSONValue {
            i += 1
            var members: [(String, JSONValue)] = []
            skipWhitespace()
            if i < bytes.count, bytes[i] == 0x7D {
                i += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard i < bytes.count, bytes[i] == 0x22 else { throw fail("expected member name") }
                let name = try string()
                skipWhitespace()
                guard i < bytes.count, bytes[i] == 0x3A else { throw fail("expected ':'") }
                i += 1
                skipWhitespace()
                members.append((name, try value(depth: depth + 1)))
                if members.count > limits.elements { throw fail("more than \(limits.elements) members") }
                skipWhitespace()
                guard i < bytes.count else { throw fail("unexpected end") }
                if bytes[i] == 0x2C {
                    i += 1
                    continue
                }
                if bytes[i] == 0x7D {
                    i += 1
                    return .object(members)
                }
                throw fail("expected ',' or '}'")
            }
        }

        mutating func array(depth: Int) throws -> JSONValue {
            i += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if i < bytes.count, bytes[i] == 0x5D {
                i += 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try value(depth: depth + 1))
                if depth == 1, items.count > limits.memberArrayElements {
                    throw TooManyElements(limit: limits.memberArrayElements)
                }
                if depth != 1, items.count > limits.elements { throw fail("more than \(limits.elements) elements") }
                skipWhitespace()
                guard i < bytes.count else { throw fail("unexpected end") }
                if bytes[i] == 0x2C {
                    i += 1
                    continue
                }
                if bytes[i] == 0x5D {
                    i += 1
                    return .array(items)
                }
                throw fail("expected ',' or ']'")
            }
        }

        mutating func number() throws -> String {
            let start = i
            if i < bytes.count, bytes[i] == 0x2D { i += 1 }
            guard i < bytes.count, isDigit(bytes[i]) else { throw fail("bad number") }
            if bytes[i] == 0x30 { i += 1 } else { while i < bytes.count, isDigit(bytes[i]) { i += 1 } }
            if i < bytes.count, bytes[i] == 0x2E {
                i += 1
                guard i < bytes.count, isDigit(bytes[i]) else { throw fail("bad fraction") }
                while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            }
            if i < bytes.count, bytes[i] == 0x65 || bytes[i] == 0x45 {
                i += 1
                if i < bytes.count, bytes[i] == 0x2B || bytes[i] == 0x2D { i += 1 }
                guard i < bytes.count, isDigit(bytes[i]) else { throw fail("bad exponent") }
                while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }

        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

        mutating func string() throws -> String {
            i += 1
            var scalars = String.UnicodeScalarView()
            var runStart = i
            func flush(_ end: Int) throws {
                if end > runStart {
                    guard let s = String(validating: bytes[runStart..<end], as: UTF8.self) else {
                        throw fail("invalid UTF-8")
                    }
                    scalars.append(contentsOf: s.unicodeScalars)
                }
            }
            while i < bytes.count {
                let b = bytes[i]
                if b == 0x22 {
                    try flush(i)
                    i += 1
                    return String(scalars)
                }
                if b < 0x20 { throw fail("control character in string") }
                if b == 0x5C {
                    try flush(i)
                    i += 1
                    guard i < bytes.count else { throw fail("unexpected end") }
                    let e = bytes[i]
                    i += 1
                    switch e {
                    case 0x22: scalars.append("\"")
                    case 0x5C: scalars.append("\\")
                    case 0x2F: scalars.append("/")
                    case 0x62: scalars.append("\u{08}")
                    case 0x66: scalars.append("\u{0C}")
                    case 0x6E: scalars.append("\n")
                    case 0x72: scalars.append("\r")
                    case 0x74: scalars.append("\t")
                    case 0x75:
                        var code = try hex4()
                        if (0xD800...0xDBFF).contains(code) {
                            guard i + 1 < bytes.count, bytes[i] == 0x5C, bytes[i + 1] == 0x75 else {
                                throw fail("lone surrogate")
                            }
                            i += 2
                            let low = try hex4()
                            guard (0xDC00...0xDFFF).contains(low) else { throw fail("bad surrogate pair") }
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        } else if (0xDC00...0xDFFF).contains(code) {
                            throw fail("lone surrogate")
                        }
                        guard let s = Unicode.Scalar(code) else { throw fail("bad escape") }
                        scalars.append(s)
                    default: throw fail("bad escape")
                    }
                    runStart = i
                    continue
                }
                i += 1
            }
            throw fail("unterminated string")
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= bytes.count else { throw fail("bad \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[i]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw fail("bad \\u escape")
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }
    }
}
