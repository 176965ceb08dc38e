// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import Foundation

/// Valid diagnosis keys for tests (PROTOCOL.md §3.2): random key data, a rolling start one day ago, confirmed
/// test.
public enum SampleKeys {
    /// `count` distinct keys of `origin`. Plain keys have risk level 2 and visited DE; `varied` keys spread the
    /// rolling start over the last five days, risk levels 0–8, days since onset 0–13, and visited DE and FR.
    public static func make(_ count: Int, origin: String, varied: Bool = false, now: Date = Date()) -> [DiagnosisKey] {
        let interval = UInt32(now.timeIntervalSince1970 / 600)
        return (0..<count).map { i in
            var key = DiagnosisKey()
            key.keyData = Data((0..<16).map { _ in UInt8.random(in: 0...255) })
            key.rollingStartIntervalNumber = interval - 144 - (varied ? UInt32(i % 5) * 144 : 0)
            key.rollingPeriod = 144
            key.transmissionRiskLevel = varied ? Int32(i % 9) : 2
            key.visitedCountries = varied ? ["DE", "FR"] : ["DE"]
            key.origin = origin
            key.reportType = .confirmedTest
            if varied { key.daysSinceOnsetOfSymptoms = Int32(i % 14) }
            return key
        }
    }
}
