// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// Timestamps as the spec writes them: `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` (PROTOCOL.md §7.4 `uploadedTime`, §7.9;
/// all times UTC).
public enum UTCTimestamp {
    /// The text of an instant in epoch milliseconds.
    public static func format(epochMillis ms: Int64) -> String {
        let day = UTCDay(epochMillis: ms)
        let c = day.components
        let inDay = ms - day.startMillis
        let h = inDay / 3_600_000
        let mi = (inDay / 60_000) % 60
        let s = (inDay / 1000) % 60
        let f = inDay % 1000
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
            c.year, c.month, c.day, Int(h), Int(mi), Int(s), Int(f))
    }

    /// The text of an instant (milliseconds rounded down).
    public static func format(_ date: Date) -> String { format(epochMillis: millis(date)) }

    /// Epoch milliseconds of an instant, rounded down.
    public static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }
}
