// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import Foundation
import Metrics

/// Key retention (PROTOCOL.md §7.7): deletes whole upload batches with their keys, never a part of one.
///
/// The rule: an upload batch is deleted once its download batch has existed for `retention.keyRetentionDays` (every
/// country could download its keys for the whole retention period), or once it was accepted more than
/// ``RetentionSettings/legalKeyRetentionDays`` (14) days ago, batched or not — the legal limit wins. An upload batch
/// deleted at the legal limit before its keys were downloadable for the retention period (never batched, e.g.
/// because batching stopped, or batched too late) is named in one WARN event of `CleanupService` per upload batch:
/// `Deleted keys that were never batched` or `Deleted keys before their batch existed for the retention period`,
/// with `country`, `batchTag` (the upload's tag) and `numKeys`. Each transaction deletes as many whole upload
/// batches as fit in `retention.chunkSize` keys; an upload batch of more keys is deleted alone.
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
        let now = UTCTimestamp.millis(clock())
        let cutoff = now - Int64(settings.keyRetentionDays) * 86_400_000
        let legal = now - Int64(RetentionSettings.legalKeyRetentionDays) * 86_400_000
        do {
            let result = try await store.purgeKeys(
                KeyRetentionCutoffs(batchedBefore: cutoff, acceptedBefore: legal), chunkSize: settings.chunkSize)
            Counter(label: "efgs_retention_deleted_keys_total").increment(by: result.keysDeleted)
            for batch in result.earlyDeleted {
                scope.warn(
                    batch.downloadBatchTag == nil
                        ? "Deleted keys that were never batched"
                        : "Deleted keys before their batch existed for the retention period",
                    ["country": batch.country, "batchTag": batch.uploadTag, "numKeys": String(batch.keyCount)])
            }
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
