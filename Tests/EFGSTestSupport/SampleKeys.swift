import EFGSProtocol
import Foundation

/// Valid diagnosis keys for tests (PROTOCOL.md §3.2): random key data, a rolling start 144 intervals (one day)
/// ago, confirmed test, visited DE.
public enum SampleKeys {
    /// `count` distinct keys of `origin`.
    public static func make(_ count: Int, origin: String, now: Date = Date()) -> [DiagnosisKey] {
        (0..<count).map { _ in
            var key = DiagnosisKey()
            key.keyData = Data((0..<16).map { _ in UInt8.random(in: 0...255) })
            key.rollingStartIntervalNumber = UInt32(now.timeIntervalSince1970 / 600) - 144
            key.rollingPeriod = 144
            key.transmissionRiskLevel = 2
            key.visitedCountries = ["DE"]
            key.origin = origin
            key.reportType = .confirmedTest
            return key
        }
    }
}
