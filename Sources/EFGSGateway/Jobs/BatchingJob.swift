// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import Foundation
import Metrics

/// Batching (PROTOCOL.md §7.3): one run creates download batches from the oldest unbatched upload batches until
/// none is left or `batching.timeLimit` passes.
public struct BatchingJob: Sendable {
    let store: any BatchStore
    let log: EventLog
    let settings: BatchingSettings
    let clock: @Sendable () -> Date

    /// A batching job on `store` with `settings` (`docLimit`, `timeLimit`).
    public init(store: any BatchStore, log: EventLog, settings: BatchingSettings, clock: @escaping @Sendable () -> Date)
    {
        self.store = store
        self.log = log
        self.settings = settings
        self.clock = clock
    }

    /// One run; returns the batches created.
    @discardableResult
    public func run() async throws -> [DownloadBatchRecord] {
        let scope = log.scope("BatchingService", thread: "batching")
        scope.info("Batch process started")
        let started = Date()
        var created: [DownloadBatchRecord] = []
        while let batch = try await store.createDownloadBatch(now: clock(), docLimit: settings.docLimit) {
            created.append(batch)
            scope.info("Batch created", ["batchTag": batch.tag, "diagnosisKeyCount": String(batch.keyCount)])
            let elapsed = Date().timeIntervalSince(started)
            if elapsed >= settings.timeLimit {
                scope.info(
                    "Maximum time for one batching execution reached.", ["batchTime": String(format: "%.0f", elapsed)])
                break
            }
        }
        Counter(label: "efgs_batches_created_total").increment(by: created.count)
        let left = try await store.unbatchedKeyCount()
        Gauge(label: "efgs_unbatched_keys").record(left)
        if left == 0 {
            scope.info("Successfully finished the document batching process - no more unprocessed diagnosis keys left")
        }
        scope.info("Batch process finished", ["batchCount": String(created.count)])
        return created
    }
}
