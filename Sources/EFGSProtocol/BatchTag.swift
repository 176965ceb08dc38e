/// A download batch tag `yyyyMMdd-N` (PROTOCOL.md §1, §7.3): N starts at 1 each UTC day, no leading zeros.
public struct BatchTag: Hashable, Sendable, CustomStringConvertible {
    public var day: UTCDay
    public var number: Int

    public init(day: UTCDay, number: Int) { self.day = day; self.number = number }

    /// Parses a well-formed tag; nil for anything else (which then names no batch).
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let d = UTCDay(compact: parts[0]) else { return nil }
        let n = parts[1]
        guard !n.isEmpty, n.count <= 9, n.first != "0", n.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let v = Int(n) else { return nil }
        day = d; number = v
    }

    public var description: String { "\(day.compact)-\(number)" }
}

/// The upload tag a national backend chooses (§5.3 check 4): 1–64 characters in 0x21–0x7E.
public enum UploadTag {
    public static func isValid(_ tag: String) -> Bool {
        let u = tag.utf8
        return !u.isEmpty && u.count <= 64 && u.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }
}
