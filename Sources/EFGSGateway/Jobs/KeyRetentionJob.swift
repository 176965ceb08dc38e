// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import Foundation
import Metrics

/// Key retention (PROTOCOL.md §7.7): deletes upload batches accepted more than `retention.keyRetentionDays` ago,
/// in chunks of `retention.chunkSize`.
public struct KeyRetentionJob: Sendable {
    let store: any StatisticsStore
    let log: EventLog
    let settings: RetentionSettings
    let clock: @Sendable () -> Date

    /// A retention job on `store` with `settings`.
    public init(
        store: any StatisticsStore, log: EventLog, settings: RetentionSettings, clock: @escaping @Sendable () -> Date
    ) {
        self.store = store
        self.log = log
        self.settings = settings
        self.clock = clock
    }

    /// One run; returns what it deleted.
    @discardableResult
    public func run() async throws -> CleanupResult {
        let scope = log.scope("CleanupService", thread: "retention")
        let cutoff = UTCTimestamp.millis(clock()) - Int64(settings.keyRetentionDays) * 86_400_000
        do {
            let result = try await store.purgeKeys(acceptedBefore: cutoff, chunkSize: settings.chunkSize)
            Counter(label: "efgs_retention_deleted_keys_total").increment(by: result.keysDeleted)
            scope.info(
                "DB Cleanup finished",
                [
                    "cutoff": UTCTimestamp.format(epochMillis: cutoff), "numberOfKeys": String(result.keysDeleted),
                    "keysBefore": String(result.keysBefore), "keysAfter": String(result.keysAfter),
                ])
            return result
        } catch {
            scope.error("Failed to execute DB Cleanup Job", ["exception": String(describing: error)])
            throw error
        }
    }
}
