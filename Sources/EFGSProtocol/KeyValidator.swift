// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// Per-key field validation, keys in request order, fields in the order of the §5.3 table.
public struct KeyValidator: Sendable {
    /// The instant the rolling start interval range is computed from.
    public var now: Date

    /// A validator for requests received at `now`.
    public init(now: Date) { self.now = now }

    /// ⌊(00:00 today − 15 days) / 600 s⌋ … ⌊now / 600 s⌋ + 1.
    public var rollingStartIntervalRange: ClosedRange<UInt32> {
        let today = UTCDay(now)
        let minSeconds = today.adding(days: -15).startMillis / 1000
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        return UInt32(clamping: minSeconds / 600)...UInt32(clamping: nowSeconds / 600 + 1)
    }

    /// The first failure, or nil when every key is valid.
    public func firstFailure(in keys: [DiagnosisKey]) -> KeyValidationFailure? {
        let rsin = rollingStartIntervalRange
        for (i, k) in keys.enumerated() {
            func fail(_ field: String, _ reason: String) -> KeyValidationFailure {
                .init(index: i, field: field, reason: reason)
            }
            if k.keyData.isEmpty { return fail("keyData", "The keydata is empty or null.") }
            if k.keyData.count != 16 { return fail("keyData", "The keydata is not 16 bytes.") }
            if !rsin.contains(k.rollingStartIntervalNumber) {
                return fail("rollingStartIntervalNumber", "Invalid rolling start interval number.")
            }
            if !(1...144).contains(k.rollingPeriod) { return fail("rollingPeriod", "Invalid rolling period.") }
            if !((0...8).contains(k.transmissionRiskLevel) || k.transmissionRiskLevel == Int32.max) {
                return fail("transmissionRiskLevel", "Invalid transmission risk level.")
            }
            if k.visitedCountries.count > 64 { return fail("visitedCountries", "Too many visited countries.") }
            if !k.visitedCountries.allSatisfy(Self.isCountryCode) {
                return fail("visitedCountries", "Invalid visited country.")
            }
            if !Self.isCountryCode(k.origin) { return fail("origin", "Invalid origin.") }
            if !(0...5).contains(k.reportType.rawValue) { return fail("reportType", "Invalid report type.") }
        }
        return nil
    }

    /// Exactly two ASCII letters A–Z.
    public static func isCountryCode(_ s: String) -> Bool {
        let u = s.utf8
        return u.count == 2 && u.allSatisfy { $0 >= 0x41 && $0 <= 0x5A }
    }
}
