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

    /// One row per retention run (the limit it applied, how many days of keys it kept, what it deleted), then a
    /// row `now` with the oldest key held at the time of the report. The terminal rendering ends with the verdict.
    public var table: ReportTable {
        func days(_ from: Int64, _ to: Int64) -> String { String((to - from) / 86_400_000) }
        let rows =
            runs.map { run in
                [
                    UTCTimestamp.format(epochMillis: run.time), "retention run",
                    UTCTimestamp.format(epochMillis: run.cutoff), days(run.cutoff, run.time), String(run.keysDeleted),
                    String(run.keysBefore), String(run.keysAfter),
                ]
            } + [
                [
                    UTCTimestamp.format(epochMillis: now), "now",
                    held.oldestAcceptedAt.map(UTCTimestamp.format(epochMillis:)) ?? "",
                    oldestHeldDays.map(String.init)
                        ?? "", "", "", String(held.keys),
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
            columns: ["time", "event", "oldest_kept", "held_days", "keys_deleted", "keys_before", "keys_after"],
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
