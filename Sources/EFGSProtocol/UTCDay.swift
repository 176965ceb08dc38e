// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// A UTC calendar day (PROTOCOL.md: "All times are UTC").
public struct UTCDay: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Days since 1970-01-01.
    public var epochDay: Int64

    /// The day `epochDay` days after 1970-01-01.
    public init(epochDay: Int64) { self.epochDay = epochDay }

    /// The UTC day of an instant.
    public init(_ date: Date) {
        epochDay = Int64((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    /// The UTC day of an instant in epoch milliseconds (negative values round down).
    public init(epochMillis: Int64) {
        epochDay = epochMillis >= 0 ? epochMillis / 86_400_000 : (epochMillis - 86_399_999) / 86_400_000
    }

    /// Strict `yyyy-MM-dd` (4-2-2 ASCII digits, valid calendar date), as the download path demands.
    public init?(iso text: String) {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == 0x2D, b[7] == 0x2D else { return nil }
        guard let y = UTCDay.digits(b[0..<4]), let m = UTCDay.digits(b[5..<7]), let d = UTCDay.digits(b[8..<10]) else {
            return nil
        }
        guard let day = UTCDay(year: y, month: m, day: d) else { return nil }
        self = day
    }

    /// `yyyyMMdd`, the date part of a batch tag.
    public init?(compact text: Substring) {
        let b = Array(text.utf8)
        guard b.count == 8, let y = UTCDay.digits(b[0..<4]), let m = UTCDay.digits(b[4..<6]),
            let d = UTCDay.digits(b[6..<8])
        else { return nil }
        guard let day = UTCDay(year: y, month: m, day: d) else { return nil }
        self = day
    }

    /// The day of a proleptic Gregorian calendar date; nil for an invalid month or day.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= UTCDay.daysIn(month: month, year: year) else { return nil }
        // Howard Hinnant's days_from_civil
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64((month + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        epochDay = era * 146_097 + doe - 719_468
    }

    /// The value of ASCII decimal digits, or nil if any byte is not a digit.
    static func digits(_ s: ArraySlice<UInt8>) -> Int? {
        var v = 0
        for c in s {
            guard c >= 0x30, c <= 0x39 else { return nil }
            v = v * 10 + Int(c - 0x30)
        }
        return v
    }

    /// The number of days of a month.
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// (year, month, day) — civil_from_days.
    public var components: (year: Int, month: Int, day: Int) {
        let z = epochDay + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }

    /// `yyyy-MM-dd`.
    public var description: String {
        let c = components
        return Self.padded(c.year, 4) + "-" + Self.padded(c.month, 2) + "-" + Self.padded(c.day, 2)
    }

    /// `yyyyMMdd`.
    public var compact: String {
        let c = components
        return Self.padded(c.year, 4) + Self.padded(c.month, 2) + Self.padded(c.day, 2)
    }

    /// `value` in decimal with leading zeros to `width` digits (`%0*d`).
    static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value.magnitude)
        let zeros = String(repeating: "0", count: max(0, width - (value < 0 ? 1 : 0) - digits.count))
        return (value < 0 ? "-" : "") + zeros + digits
    }

    /// 00:00 UTC of this day, in epoch milliseconds.
    public var startMillis: Int64 { epochDay * 86_400_000 }

    /// The day `days` days later (earlier for negative values).
    public func adding(days: Int64) -> UTCDay { UTCDay(epochDay: epochDay + days) }

    /// Earlier days order first.
    public static func < (a: UTCDay, b: UTCDay) -> Bool { a.epochDay < b.epochDay }
}
