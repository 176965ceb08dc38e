// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import Foundation

/// The operator's reports over the statistics of PROTOCOL.md §7.7: ``UsageReport`` and ``RetentionReport``.
public struct OperatorReports: Sendable {
    let store: any ReportStore
    let retention: RetentionSettings
    let clock: @Sendable () -> Date
    let pendingStatistics: @Sendable () async -> Void

    /// Reports over `store`; `pendingStatistics` returns once the statistics this process still holds are written
    /// (``DownloadService/flushStatistics(within:)``), and is awaited before each usage report.
    public init(
        store: any ReportStore, retention: RetentionSettings, clock: @escaping @Sendable () -> Date,
        pendingStatistics: @escaping @Sendable () async -> Void = {}
    ) {
        self.store = store
        self.retention = retention
        self.clock = clock
        self.pendingStatistics = pendingStatistics
    }

    /// A period longer than this is refused (the statistics are kept for `retention.statisticsRetentionDays`).
    public static let maxUsageDays = 3660

    /// Why a report cannot be made.
    public struct RefusedPeriod: Error, CustomStringConvertible, Equatable {
        /// One line naming the option.
        public var description: String
    }

    /// Usage from `from` to `to` (UTC days, both included; by default today and the 13 days before it), of `country`
    /// only when given.
    public func usage(from: UTCDay? = nil, to: UTCDay? = nil, country: String? = nil) async throws -> UsageReport {
        let to = to ?? UTCDay(clock())
        let from = from ?? to.adding(days: -13)
        guard from <= to else {
            throw RefusedPeriod(description: "--from \(from.description) is after --to \(to.description)")
        }
        guard to.epochDay - from.epochDay < Int64(Self.maxUsageDays) else {
            throw RefusedPeriod(description: "--from/--to: at most \(Self.maxUsageDays) days")
        }
        await pendingStatistics()
        let days = try await store.usage(
            fromMillis: from.startMillis, toMillis: UTCDay(epochDay: to.epochDay + 1).startMillis, country: country)
        return UsageReport(from: from, to: to, country: country, days: days)
    }

    /// What is held now and the retention runs of the last `days` days.
    public func retention(days: Int = 30) async throws -> RetentionReport {
        let now = Int64((clock().timeIntervalSince1970 * 1000).rounded(.down))
        let runs = try await store.cleanupRuns(fromMillis: now - Int64(days) * 86_400_000, toMillis: now + 1)
        return RetentionReport(
            now: now, keyRetentionDays: retention.keyRetentionDays,
            legalLimitDays: RetentionSettings.legalKeyRetentionDays, held: try await store.heldKeys(), runs: runs)
    }
}
