// SPDX-License-Identifier: EUPL-1.2

import Foundation
import NIOConcurrencyHelpers

/// The public API's requests of the last hour on this instance, per minute: counts per endpoint and status and a
/// latency histogram, for the operator console's Traffic page (the same requests as `efgs_http_requests_total` and
/// `efgs_http_request_duration_seconds`, kept here so the console needs no Prometheus).
public final class TrafficRecorder: Sendable {
    /// Minutes kept.
    public static let minutes = 60
    /// Upper bounds of the latency buckets in microseconds: 100 µs doubling to about 105 s; a slower request counts
    /// in the last bucket.
    static let boundsMicros: [Int64] = (0..<21).map { 100 << $0 }

    struct Minute {
        var counts: [String: Int] = [:]
        var latency = [Int](repeating: 0, count: TrafficRecorder.boundsMicros.count)
    }

    /// The minutes kept, by minutes since 1970: a request timed just before a minute ended may be recorded after the
    /// next one began, so minutes are looked up, not appended.
    let kept = NIOLockedValueBox([Int64: Minute]())

    /// An empty recorder.
    public init() {}

    /// Counts one answered request.
    public func record(endpoint: String, status: Int, nanoseconds: Int64, at date: Date) {
        let minute = Int64((date.timeIntervalSince1970 / 60).rounded(.down))
        let micros = nanoseconds / 1000
        let bucket = Self.boundsMicros.firstIndex { micros <= $0 } ?? Self.boundsMicros.count - 1
        kept.withLockedValue { kept in
            if kept[minute] == nil {
                kept[minute] = Minute()
                // at most one new minute a minute: drop those that left the hour
                for old in kept.keys where old <= minute - Int64(Self.minutes) { kept[old] = nil }
            }
            kept[minute]?.counts["\(endpoint) \(status)", default: 0] += 1
            kept[minute]?.latency[bucket] += 1
        }
    }

    /// The last ``minutes`` minutes before `now`, one entry per minute (empty minutes included).
    public func snapshot(now: Date) -> TrafficSnapshot {
        let last = Int64((now.timeIntervalSince1970 / 60).rounded(.down))
        let byMinute = kept.withLockedValue { $0 }
        var snapshot = TrafficSnapshot()
        for minute in (last - Int64(Self.minutes) + 1)...last {
            let m = byMinute[minute] ?? Minute()
            let n = m.latency.reduce(0, +)
            func percentile(_ q: Double) -> Double? {
                guard n > 0 else { return nil }
                var seen = 0
                for (i, count) in m.latency.enumerated() {
                    seen += count
                    if Double(seen) >= q * Double(n) { return Double(Self.boundsMicros[i]) / 1000 }
                }
                return Double(Self.boundsMicros.last!) / 1000
            }
            snapshot.minutes.append(
                .init(
                    epochMinute: minute, requests: n, p50Millis: percentile(0.5), p95Millis: percentile(0.95),
                    p99Millis: percentile(0.99)))
            for (key, count) in m.counts { snapshot.totals[key, default: 0] += count }
        }
        return snapshot
    }
}

/// The traffic of the last hour (``TrafficRecorder/snapshot(now:)``).
public struct TrafficSnapshot: Sendable, Equatable {
    /// One minute.
    public struct MinuteFigures: Sendable, Equatable {
        /// Minutes since 1970-01-01 UTC.
        public var epochMinute: Int64
        /// Requests answered in the minute.
        public var requests: Int
        /// Latency percentiles in milliseconds (the upper bound of the histogram bucket), nil without requests.
        public var p50Millis: Double?
        /// 95th percentile.
        public var p95Millis: Double?
        /// 99th percentile.
        public var p99Millis: Double?
    }

    /// The minutes, oldest first.
    public var minutes: [MinuteFigures] = []
    /// Requests over the hour per `"endpoint status"`.
    public var totals: [String: Int] = [:]
}
