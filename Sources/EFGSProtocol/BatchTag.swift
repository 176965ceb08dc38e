// SPDX-License-Identifier: EUPL-1.2

/// A download batch tag `yyyyMMdd-N` (PROTOCOL.md §1, §7.3): N starts at 1 each UTC day, no leading zeros.
public struct BatchTag: Hashable, Sendable, CustomStringConvertible {
    /// The UTC day the batch was made.
    public var day: UTCDay
    /// The batch's number within the day, from 1.
    public var number: Int

    /// The tag of batch `number` of `day`.
    public init(day: UTCDay, number: Int) {
        self.day = day
        self.number = number
    }

    /// Parses a well-formed tag; nil for anything else (which then names no batch).
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let d = UTCDay(compact: parts[0]) else { return nil }
        let n = parts[1]
        guard !n.isEmpty, n.count <= 9, n.first != "0", n.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let v = Int(n)
        else { return nil }
        day = d
        number = v
    }

    /// `yyyyMMdd-N`.
    public var description: String { "\(day.compact)-\(number)" }
}
