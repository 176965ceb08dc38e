// SPDX-License-Identifier: EUPL-1.2

import Foundation

extension OperatorConsole {
    /// Traffic: the public API's requests per minute and their latency percentiles over the last hour on this
    /// instance, and the requests per endpoint and status.
    func traffic(now: Date) -> String {
        let snapshot = services.traffic.snapshot(now: now)
        let minutes = snapshot.minutes
        let first = minutes.first.map { Date(timeIntervalSince1970: Double($0.epochMinute) * 60) }
        let label = { (d: Date?) in d.map { String(ConsoleHTML.time($0).dropFirst(11).prefix(5)) + " UTC" } ?? "" }
        let total = minutes.reduce(0) { $0 + $1.requests }
        var html = ConsoleHTML.cards([
            ("Requests, last hour", String(total), nil),
            (
                "Errors (5xx), last hour",
                String(
                    snapshot.totals.filter { $0.key.split(separator: " ").last?.first == "5" }.reduce(0) {
                        $0 + $1.value
                    }),
                nil
            ),
        ])
        html += "<h2>Requests per minute</h2>"
        html += SVGPlot.bars(
            id: "requests-per-minute", values: minutes.map(\.requests), width: 900, height: 120,
            title: "requests per minute")
        html += "<h2>Latency percentiles per minute</h2>"
        html +=
            "<p class=\"legend\"><span class=\"ok\">— p50</span><span class=\"warn\">— p95</span>"
            + "<span class=\"bad\">— p99</span></p>"
        html += SVGPlot.lines(
            id: "latency", count: minutes.count,
            series: [
                ("p50", minutes.map(\.p50Millis)), ("p95", minutes.map(\.p95Millis)), ("p99", minutes.map(\.p99Millis)),
            ], unit: "ms", firstLabel: label(first), lastLabel: label(now))
        html += "<h2>Requests per endpoint and status, last hour</h2>"
        html += ConsoleHTML.table(
            id: "requests-by-endpoint", columns: ["Endpoint", "Status", "Requests"],
            rows: snapshot.totals.sorted { $0.key < $1.key }.map { key, count in
                let parts = key.split(separator: " ")
                let status = parts.last.map(String.init) ?? ""
                return (
                    id: nil, cssClass: nil,
                    cells: [
                        .text(parts.first.map(String.init) ?? ""),
                        .text(status, status.hasPrefix("5") ? "bad" : status.hasPrefix("4") ? "warn" : "ok"),
                        .text(String(count), "num"),
                    ]
                )
            }, empty: "No request in the last hour.")
        return html
    }
}
