// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import Foundation

/// Callback lock cleanup (PROTOCOL.md §7.5): locks older than `callback.taskLockTimeout` are cleared so tasks
/// abandoned by a crashed executor become eligible again; runs every `CallbackSettings.lockCleanupInterval`.
public struct CallbackLockCleanupJob: Sendable {
    let store: any CallbackStore
    let log: EventLog
    let settings: CallbackSettings
    let clock: @Sendable () -> Date

    /// A cleanup job on `store` with `settings`.
    public init(
        store: any CallbackStore, log: EventLog, settings: CallbackSettings, clock: @escaping @Sendable () -> Date
    ) {
        self.store = store
        self.log = log
        self.settings = settings
        self.clock = clock
    }

    /// One run; returns the locks released.
    @discardableResult
    public func run() async throws -> Int {
        let scope = log.scope("CallbackCleanup", thread: "callback-cleanup")
        scope.info("Deleting task locks of abandoned tasks")
        let cutoff = UTCTimestamp.millis(clock()) - Int64(settings.taskLockTimeout * 1000)
        let released = try await store.releaseCallbackLocks(lockedBefore: cutoff)
        scope.info("Removing of task locks of abandoned tasks finished.", ["taskCount": String(released)])
        return released
    }
}
