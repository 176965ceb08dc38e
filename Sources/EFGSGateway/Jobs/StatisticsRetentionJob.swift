// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import Foundation

/// Statistics retention (PROTOCOL.md §7.7): statistics rows, old download batches (never the newest) and old
/// callback tasks older than `retention.statisticsRetentionDays`; runs daily.
public struct StatisticsRetentionJob: Sendable {
    let store: any StatisticsStore
    let settings: RetentionSettings
    let clock: @Sendable () -> Date

    /// A statistics-retention job on `store` with `settings`.
    public init(store: any StatisticsStore, settings: RetentionSettings, clock: @escaping @Sendable () -> Date) {
        self.store = store
        self.settings = settings
        self.clock = clock
    }

    /// One run; returns the rows deleted.
    @discardableResult
    public func run() async throws -> Int {
        let cutoff = UTCTimestamp.millis(clock()) - Int64(settings.statisticsRetentionDays) * 86_400_000
        return try await store.purgeStatistics(before: cutoff)
    }
}
