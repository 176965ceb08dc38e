// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import Foundation

extension OperatorConsole {
    /// Download batches listed at most (a day of one-minute batching).
    static let maxListedBatches = 1440

    /// Batches: today's download batches along their `nextBatchTag` chain with sizes and quarantine, the unbatched
    /// keys, this instance's job runs with durations and the recorded key-retention runs.
    func batches(now: Date) async throws -> String {
        let today = UTCDay(now)
        let chain = try await services.store.downloadBatches(
            createdFromMillis: today.startMillis, toMillis: today.adding(days: 1).startMillis,
            limit: Self.maxListedBatches + 1)
        let figures = try await services.store.storeFigures()
        let oldest = figures.oldestUnbatchedAcceptedAt.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        var html = ConsoleHTML.cards([
            (
                "Download batches today",
                chain.count > Self.maxListedBatches ? "more than \(Self.maxListedBatches)" : String(chain.count), nil
            ),
            ("Keys in them", String(chain.reduce(0) { $0 + $1.keyCount }), nil),
            ("Unbatched keys", String(figures.unbatchedKeys), nil),
            ("Oldest unbatched upload", oldest == nil ? "none" : ConsoleHTML.age(oldest, now: now), nil),
        ])
        html += "<h2>Download batches of \(today)</h2>"
        if chain.count > Self.maxListedBatches {
            html +=
                "<p class=\"warn\">The first \(Self.maxListedBatches) are listed (efgs batch inspect shows any).</p>"
        }
        html += ConsoleHTML.table(
            id: "download-batches", columns: ["Batch tag", "Created", "Keys", "Next batch tag", "State"],
            rows: chain.prefix(Self.maxListedBatches).map { batch in
                (
                    id: "batch-\(batch.tag)", cssClass: batch.quarantineReason == nil ? nil : "quarantined",
                    cells: [
                        .html("<code>\(ConsoleHTML.escape(batch.tag))</code>"),
                        .text(UTCTimestamp.format(epochMillis: batch.createdAt)), .text(String(batch.keyCount), "num"),
                        .text(batch.nextTag ?? "— (latest)"),
                        batch.quarantineReason.map { .text("quarantined: " + $0, "bad") } ?? .text("served", "ok"),
                    ]
                )
            }, empty: "No download batch yet today.")
        html += "<h2>Job runs on this instance</h2>"
        html += ConsoleHTML.table(
            id: "job-runs", columns: ["Job", "Started", "Duration", "Outcome"],
            rows: services.jobHistory.list().map { run in
                (
                    id: nil, cssClass: nil,
                    cells: [
                        .text(run.job), .text(ConsoleHTML.time(run.started)),
                        .text(SVGPlot.format(run.seconds * 1000) + " ms", "num"),
                        run.failure.map { .text("failed: " + $0, "bad") } ?? .text("ok", "ok"),
                    ]
                )
            }, empty: "No job has run on this instance yet (another instance may hold the job locks).")
        let retention = try await services.reports.retention(days: 7)
        html += "<h2>Key-retention runs, last 7 days</h2>"
        html += ConsoleHTML.table(
            id: "retention-runs", columns: ["Time", "Retention limit", "Keys deleted", "Keys before", "Keys after"],
            rows: retention.runs.reversed().map { run in
                (
                    id: nil, cssClass: nil,
                    cells: [
                        .text(UTCTimestamp.format(epochMillis: run.time)),
                        .text(UTCTimestamp.format(epochMillis: run.cutoff)), .text(String(run.keysDeleted), "num"),
                        .text(String(run.keysBefore), "num"), .text(String(run.keysAfter), "num"),
                    ]
                )
            }, empty: "No key-retention run recorded in the last 7 days.")
        return html
    }
}
