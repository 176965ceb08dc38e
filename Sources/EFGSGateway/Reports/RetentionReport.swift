// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import Foundation

/// The facts a data-protection impact assessment asks for (PROTOCOL.md §7.7): what the gateway holds now and since
/// when, and what each key-retention run deleted and how old the keys it kept were — against
/// `retention.keyRetentionDays` and the 14-day legal limit (`efgs report retention`, the console's retention CSV).
public struct RetentionReport: Sendable, Equatable {
    /// When the report was made, epoch milliseconds.
    public var now: Int64
    /// `retention.keyRetentionDays`.
    public var keyRetentionDays: Int
    /// The legal limit, ``RetentionSettings/legalKeyRetentionDays``.
    public var legalLimitDays: Int
    /// What is stored now.
    public var held: HeldKeys
    /// The retention runs recorded in the period, oldest first.
    public var runs: [CleanupRun]

    /// Days since the oldest stored upload was accepted, rounded down; nil when nothing is stored.
    public var oldestHeldDays: Int? {
        held.oldestAcceptedAt.map { Int((now - $0) / 86_400_000) }
    }

    /// Whether every stored key is younger than the legal limit.
    public var withinLegalLimit: Bool {
        held.oldestAcceptedAt.map { now - $0 < Int64(legalLimitDays) * 86_400_000 } ?? true
    }

    /// The most recent retention run, nil when none is recorded.
    public var lastRun: CleanupRun? { runs.last }

    /// One row per retention run — the retention limit it applied (`cutoff`, `cutoff_days` before the run), the
    /// oldest upload it left (`oldest_held`, `oldest_held_days` old at the run; empty for runs recorded before schema
    /// version 4) and the keys it deleted — then a row `now` with the oldest upload held at the time of the report.
    /// The terminal rendering ends with the verdict.
    public var table: ReportTable {
        func days(_ from: Int64, _ to: Int64) -> String { String((to - from) / 86_400_000) }
        func time(_ millis: Int64?) -> String { millis.map(UTCTimestamp.format(epochMillis:)) ?? "" }
        let rows =
            runs.map { run in
                [
                    time(run.time), "retention run", time(run.cutoff), days(run.cutoff, run.time), time(run.oldestKept),
                    run.oldestKept.map { days($0, run.time) } ?? "", String(run.keysDeleted), String(run.keysBefore),
                    String(run.keysAfter),
                ]
            } + [
                [
                    time(now), "now", "", "", time(held.oldestAcceptedAt), oldestHeldDays.map(String.init) ?? "", "",
                    "", String(held.keys),
                ]
            ]
        let verdict =
            withinLegalLimit
            ? "every stored key is younger than the \(legalLimitDays)-day legal limit"
            : "KEYS OLDER THAN THE \(legalLimitDays)-DAY LEGAL LIMIT ARE STORED: is key retention running?"
        let oldest = held.oldestAcceptedAt.map {
            "oldest accepted \(UTCTimestamp.format(epochMillis: $0)) (\(oldestHeldDays ?? 0) days ago)"
        }
        let lastRun =
            lastRun.map { "last retention run \(UTCTimestamp.format(epochMillis: $0.time))" }
            ?? "no retention run recorded in the period"
        return ReportTable(
            columns: [
                "time", "event", "cutoff", "cutoff_days", "oldest_held", "oldest_held_days", "keys_deleted",
                "keys_before", "keys_after",
            ],
            rows: rows,
            footer: [
                "",
                "retention.keyRetentionDays \(keyRetentionDays), legal limit \(legalLimitDays) days",
                "stored now: \(held.keys) keys in \(held.uploadBatches) upload batches"
                    + (oldest.map { ", " + $0 } ?? ""),
                lastRun, verdict,
            ])
    }
}
