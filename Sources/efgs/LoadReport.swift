// SPDX-License-Identifier: EUPL-1.2

import EFGSGateway
import EFGSProtocol
import Foundation

/// The figures of one `efgs load run`: per endpoint requests, errors by status and latency percentiles, throughput,
/// callbacks, and the verdict; printed as a terminal summary and written as a self-contained HTML page (inline SVG
/// plots, nothing loaded from anywhere).
struct LoadReport: Sendable {
    /// The figures of one endpoint.
    struct EndpointFigures: Sendable {
        var endpoint: LoadEndpoint
        var requests: Int
        var errors: Int
        var serverErrors: Int
        /// Answers by status ("no answer" for none), most frequent first.
        var statuses: [(status: String, count: Int)]
        var p50: Double
        var p95: Double
        var p99: Double
        var max: Double
    }

    let settings: LoadRun.Settings
    let countries: [String]
    let state: LoadRecorder.State
    /// Seconds from the start to the end of the run.
    let elapsed: Double
    /// Per country: the batches it downloaded, and the batches it was notified of by callback.
    let downloadedBatches: [String: Set<String>]
    let notifiedBatches: [String: Set<String>]
    /// Whether every audit was verified against the trust anchor (the federation folder holds it).
    let auditsVerified: Bool

    var figures: [EndpointFigures] {
        LoadEndpoint.allCases.compactMap { endpoint in
            let samples = state.samples.filter { $0.endpoint == endpoint }
            guard !samples.isEmpty else { return nil }
            let ms = samples.map(\.milliseconds).sorted()
            let statuses = Dictionary(grouping: samples) { $0.status.map(String.init) ?? "no answer" }
                .map { (status: $0.key, count: $0.value.count) }.sorted { $0.count > $1.count }
            return EndpointFigures(
                endpoint: endpoint, requests: samples.count, errors: samples.filter { !$0.expected }.count,
                serverErrors: samples.filter { ($0.status ?? 0) >= 500 }.count, statuses: statuses,
                p50: Self.percentile(ms, 0.5), p95: Self.percentile(ms, 0.95), p99: Self.percentile(ms, 0.99),
                max: ms.last ?? 0)
        }
    }

    /// The nearest-rank percentile `p` of `sorted`.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
    }

    var uploadsSent: Int { state.samples.filter { $0.endpoint == .upload }.count }

    /// Why the run failed; empty when it passed: an unexpected status or no answer, a 5xx, a failed check of a
    /// downloaded batch or its audit, uploads left behind the schedule (one in flight per country is allowed), or,
    /// with callbacks on, batches made during the run downloaded but not one callback received.
    var failures: [String] {
        var out: [String] = []
        for f in figures where f.errors > 0 {
            let unexpected = state.samples.filter { $0.endpoint == f.endpoint && !$0.expected }
            let byStatus = Dictionary(grouping: unexpected) { $0.status.map(String.init) ?? "no answer" }
                .map { "\($0.value.count)× \($0.key)" }.sorted().joined(separator: ", ")
            out.append("\(f.errors) \(f.endpoint.rawValue) errors (\(byStatus))")
        }
        let serverErrors = figures.reduce(0) { $0 + $1.serverErrors }
        if serverErrors > 0 { out.append("\(serverErrors) answers 5xx") }
        if state.problemCount > 0 { out.append("\(state.problemCount) failed checks (listed above)") }
        if uploadsSent == 0 {
            out.append("no upload was sent")
        } else if uploadsSent < state.uploadsScheduled - countries.count {
            out.append("uploads behind the schedule: \(uploadsSent) sent of \(state.uploadsScheduled) due")
        }
        if settings.callbacks, state.batchesAppeared > 0, notifiedBatches.values.allSatisfy(\.isEmpty) {
            out.append(
                "callbacks on, \(state.batchesAppeared) batches made during the run downloaded, but not one callback "
                    + "received")
        }
        return out
    }

    static func number(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 && ch != "-" && out != "-" { out += " " }
            out.append(ch)
        }
        return out
    }

    static func ms(_ v: Double) -> String { String(format: "%.1f", v) }

    /// One line of live progress.
    static func progressLine(_ state: LoadRecorder.State, elapsed: Double) -> String {
        func count(_ e: LoadEndpoint) -> Int { state.samples.lazy.filter { $0.endpoint == e }.count }
        let recent = state.samples.filter { $0.at >= elapsed - 10 }
        func p99(_ e: LoadEndpoint) -> String {
            let ms = recent.filter { $0.endpoint == e }.map(\.milliseconds).sorted()
            return ms.isEmpty ? "-" : Self.ms(percentile(ms, 0.99))
        }
        let errors = state.samples.lazy.filter { !$0.expected }.count
        return String(format: "  %5.0f s: ", elapsed)
            + "\(number(count(.upload))) uploads (\(number(state.keysUploaded)) keys, p99 \(p99(.upload)) ms), "
            + "\(number(count(.download))) downloads (p99 \(p99(.download)) ms), "
            + "\(number(count(.audit))) audits (p99 \(p99(.audit)) ms), errors \(errors + state.problemCount)"
    }

    var settingsLine: String {
        "\(countries.count) countries, \(Int(settings.seconds)) s against \(settings.gateway) "
            + "(identity \(settings.identity.rawValue)), \(String(format: "%g", settings.uploadsPerMinute)) uploads "
            + "per minute of \(settings.keys.lowerBound)–\(settings.keys.upperBound) keys, downloads polled every "
            + "\(String(format: "%g", settings.pollSeconds)) s, callbacks \(settings.callbacks ? "on" : "off")"
    }

    var throughputLines: [String] {
        let minutes = max(elapsed, 0.001) / 60
        var lines = [
            "uploads: \(Self.number(uploadsSent)) sent of \(Self.number(state.uploadsScheduled)) due "
                + "(\(String(format: "%.1f", Double(uploadsSent) / minutes)) per minute), "
                + "\(Self.number(state.keysUploaded)) keys accepted "
                + "(\(Self.number(Int(Double(state.keysUploaded) / max(elapsed, 0.001)))) keys/s)",
            "downloads: \(Self.number(state.batchesDownloaded)) batches new to their country, "
                + "\(Self.number(state.keysDownloaded)) keys; "
                + (auditsVerified
                    ? "\(Self.number(state.keysVerified)) keys verified against their audit"
                    : "audits not verified (no trust-anchor.pem in the federation folder)"),
        ]
        if settings.callbacks {
            let received = notifiedBatches.values.reduce(0) { $0 + $1.count }
            let downloaded = downloadedBatches.values.reduce(0) { $0 + $1.count }
            let notified = downloadedBatches.reduce(0) {
                $0 + $1.value.intersection(notifiedBatches[$1.key] ?? []).count
            }
            lines.append(
                "callbacks: \(Self.number(received)) batches notified; \(Self.number(notified)) of the "
                    + "\(Self.number(downloaded)) batches downloaded were notified by the end")
        }
        return lines
    }

    /// The terminal summary.
    var summary: String {
        var s = "efgs load: \(settingsLine)\n"
        s += "  endpoint      requests  errors    p50 ms    p95 ms    p99 ms    max ms  statuses\n"
        for f in figures {
            let statuses = f.statuses.map { "\($0.status)×\($0.count)" }.joined(separator: " ")
            s +=
                "  "
                + [
                    f.endpoint.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0),
                    String(repeating: " ", count: max(0, 10 - String(f.requests).count)) + String(f.requests),
                    String(repeating: " ", count: max(0, 8 - String(f.errors).count)) + String(f.errors),
                ].joined()
                + [f.p50, f.p95, f.p99, f.max].map { String(format: "%10.1f", $0) }.joined() + "  \(statuses)\n"
        }
        for line in throughputLines { s += "  \(line)\n" }
        for p in state.problems { s += "  problem: \(p)\n" }
        if state.problemCount > state.problems.count {
            s += "  … and \(state.problemCount - state.problems.count) more problems\n"
        }
        let failures = failures
        s += "  RESULT: " + (failures.isEmpty ? "PASSED" : "FAILED: " + failures.joined(separator: "; ")) + "\n"
        return s
    }

    // MARK: - HTML

    static let colours: [LoadEndpoint: String] = [
        .upload: "#1f77b4", .download: "#2ca02c", .audit: "#ff7f0e", .subscribe: "#9467bd", .unsubscribe: "#8c564b",
    ]

    /// Seconds per time bucket of the plots: about 60 buckets over the run.
    var bucketSeconds: Double { max(1, (elapsed / 60).rounded(.up)) }

    /// Per bucket of `endpoint`'s samples: the bucket's middle (s), request count, p50 and p99 (ms).
    func buckets(_ endpoint: LoadEndpoint) -> [(t: Double, count: Int, p50: Double, p99: Double)] {
        let width = bucketSeconds
        let grouped = Dictionary(grouping: state.samples.filter { $0.endpoint == endpoint }) {
            Int(max(0, $0.at) / width)
        }
        return grouped.keys.sorted().map { i in
            let ms = grouped[i]!.map(\.milliseconds).sorted()
            return ((Double(i) + 0.5) * width, ms.count, Self.percentile(ms, 0.5), Self.percentile(ms, 0.99))
        }
    }

    /// An SVG line and point chart: `series` of (name, colour, points, drawn as a line or as dots).
    static func chart(
        title: String, yLabel: String, xMax: Double, yMax: Double,
        series: [(name: String, colour: String, points: [(Double, Double)], line: Bool)]
    ) -> String {
        let (w, h, left, bottom, top, right) = (760.0, 260.0, 60.0, 30.0, 10.0, 150.0)
        let plotW = w - left - right
        let plotH = h - top - bottom
        func x(_ v: Double) -> Double { left + min(max(v / max(xMax, 0.001), 0), 1) * plotW }
        func y(_ v: Double) -> Double { top + plotH - min(max(v / max(yMax, 0.001), 0), 1) * plotH }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var svg =
            "<figure><figcaption>\(HTMLText.escape(title))</figcaption>"
            + "<svg viewBox=\"0 0 \(Int(w)) \(Int(h))\" width=\"\(Int(w))\" height=\"\(Int(h))\" role=\"img\" "
            + "aria-label=\"\(HTMLText.escape(title))\">"
            + "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" class=\"plot\"/>"
        for i in 0...4 {
            let v = yMax * Double(i) / 4
            svg +=
                "<line x1=\"\(f(left))\" x2=\"\(f(left + plotW))\" y1=\"\(f(y(v)))\" y2=\"\(f(y(v)))\" class=\"grid\"/>"
                + "<text x=\"\(f(left - 4))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(String(format: "%g", (v * 10).rounded() / 10))</text>"
            let t = xMax * Double(i) / 4
            svg +=
                "<text x=\"\(f(x(t)))\" y=\"\(f(h - 10))\" text-anchor=\"middle\">\(Int(t.rounded())) s</text>"
        }
        svg +=
            "<text x=\"12\" y=\"\(f(top + plotH / 2))\" transform=\"rotate(-90 12 \(f(top + plotH / 2)))\" "
            + "text-anchor=\"middle\">\(HTMLText.escape(yLabel))</text>"
        for (i, s) in series.enumerated() {
            if s.line {
                let points = s.points.map { "\(f(x($0.0))),\(f(y($0.1)))" }.joined(separator: " ")
                svg += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(s.colour)\" stroke-width=\"2\"/>"
            } else {
                for p in s.points {
                    svg +=
                        "<circle cx=\"\(f(x(p.0)))\" cy=\"\(f(y(p.1)))\" r=\"1.5\" fill=\"\(s.colour)\" opacity=\".35\"/>"
                }
            }
            let ly = top + 14 + Double(i) * 18
            svg +=
                "<line x1=\"\(f(w - right + 10))\" x2=\"\(f(w - right + 30))\" y1=\"\(f(ly - 4))\" y2=\"\(f(ly - 4))\" "
                + "stroke=\"\(s.colour)\" stroke-width=\"\(s.line ? 2 : 4)\"\(s.line ? "" : " stroke-dasharray=\"2 2\"")/>"
                + "<text x=\"\(f(w - right + 36))\" y=\"\(f(ly))\">\(HTMLText.escape(s.name))</text>"
        }
        return svg + "</svg></figure>\n"
    }

    /// The self-contained HTML page.
    var html: String {
        let e = HTMLText.escape
        let failures = failures
        var rows = ""
        for f in figures {
            let statuses = f.statuses.map { "\(e($0.status))×\($0.count)" }.joined(separator: " ")
            rows +=
                "<tr\(f.errors > 0 ? " class=\"bad\"" : "")><td>\(f.endpoint.rawValue)</td><td>\(f.requests)</td>"
                + "<td>\(f.errors)</td><td>\(Self.ms(f.p50))</td><td>\(Self.ms(f.p95))</td><td>\(Self.ms(f.p99))</td>"
                + "<td>\(Self.ms(f.max))</td><td>\(statuses)</td></tr>\n"
        }
        var plots = ""
        for endpoint in [LoadEndpoint.upload, .download, .audit] {
            let samples = state.samples.filter { $0.endpoint == endpoint }
            guard !samples.isEmpty else { continue }
            let b = buckets(endpoint)
            let yMax = max(10, (b.map(\.p99).max() ?? 0) * 1.2)
            let stride = max(1, samples.count / 3000)
            let dots = Swift.stride(from: 0, to: samples.count, by: stride).map {
                (samples[$0].at, samples[$0].milliseconds)
            }
            let colour = Self.colours[endpoint] ?? "#333"
            plots += Self.chart(
                title:
                    "\(endpoint.rawValue): latency over time (each dot a request\(stride > 1 ? ", one in \(stride)" : ""); lines per \(Int(bucketSeconds)) s)",
                yLabel: "ms", xMax: elapsed, yMax: yMax,
                series: [
                    ("requests", colour, dots, false), ("p50", "#555", b.map { ($0.t, $0.p50) }, true),
                    ("p99", "#d62728", b.map { ($0.t, $0.p99) }, true),
                ])
        }
        let throughput: [(String, String, [(Double, Double)], Bool)] = [LoadEndpoint.upload, .download, .audit].map {
            endpoint in
            (
                endpoint.rawValue, Self.colours[endpoint] ?? "#333",
                buckets(endpoint).map { ($0.t, Double($0.count) / bucketSeconds) }, true
            )
        }
        let yThroughput = max(1, throughput.flatMap { $0.2.map(\.1) }.max() ?? 1) * 1.2
        plots += Self.chart(
            title: "Requests per second (per \(Int(bucketSeconds)) s)", yLabel: "requests/s", xMax: elapsed,
            yMax: yThroughput, series: throughput.map { (name: $0.0, colour: $0.1, points: $0.2, line: $0.3) })
        let problems = state.problems.map { "<li>\(e($0))</li>" }.joined()
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>efgs load report</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:62rem}
            table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #bbb;padding:.3rem .6rem;text-align:right}
            th{background:#eee}td:first-child,td:last-child{text-align:left}tr.bad td{background:#fbe3e3}
            .verdict{font-size:1.4rem;font-weight:bold}.ok{color:#116611}.badtext{color:#aa1111}
            svg{font-size:11px;fill:#333}rect.plot{fill:#fafafa;stroke:#999}line.grid{stroke:#ddd}
            figure{margin:1.5rem 0}figcaption{font-weight:bold;margin-bottom:.3rem}
            </style></head><body>
            <h1>efgs load report</h1>
            <p class="verdict \(failures.isEmpty ? "ok" : "badtext")">\(failures.isEmpty ? "PASSED" : "FAILED: " + e(failures.joined(separator: "; ")))</p>
            <p>\(e(settingsLine)).<br>Measured \(String(format: "%.1f", elapsed)) s from \(e(UTCTimestamp.format(Date().addingTimeInterval(-elapsed)))); countries: \(e(countries.joined(separator: " "))).</p>
            <h2>Requests</h2>
            <table><tr><th>Endpoint</th><th>Requests</th><th>Errors</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>Max ms</th><th>Statuses</th></tr>
            \(rows)</table>
            <h2>Throughput</h2>
            <ul>\(throughputLines.map { "<li>\(e($0))</li>" }.joined())</ul>
            \(problems.isEmpty ? "" : "<h2>Problems</h2><ul>\(problems)</ul>")
            <h2>Over time</h2>
            \(plots)
            </body></html>

            """
    }
}
