// SPDX-License-Identifier: EUPL-1.2

import EFGSStore
import Synchronization

/// Writes the download statistics of §7.7 with group commit: a download waits until its statistic is committed, as
/// before, but the downloads that arrive while one transaction is being written share the next one. Under load the
/// store sees one short write transaction per group instead of one per download; alone, a download is written at
/// once, as before. A failed write fails every download of its group.
final class DownloadStatisticsWriter: Sendable {
    typealias Waiter = (statistic: DownloadStatistic, continuation: CheckedContinuation<Void, any Error>)

    struct State {
        var pending: [Waiter] = []
        var writing = false
    }

    /// The most statistics one transaction writes.
    static let maxGroup = 1000
    let store: any StatisticsStore
    let state = Mutex(State())

    /// A writer into `store`.
    init(store: any StatisticsStore) {
        self.store = store
    }

    /// Records `statistic`; returns once it is committed.
    func record(_ statistic: DownloadStatistic) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let startWriting = state.withLock { state -> Bool in
                state.pending.append((statistic, continuation))
                guard !state.writing else { return false }
                state.writing = true
                return true
            }
            if startWriting { Task { await self.writeUntilNothingIsPending() } }
        }
    }

    /// Writes the waiting statistics group by group until none is left.
    func writeUntilNothingIsPending() async {
        while true {
            let group = state.withLock { state -> [Waiter] in
                let group = Array(state.pending.prefix(Self.maxGroup))
                state.pending.removeFirst(group.count)
                if group.isEmpty { state.writing = false }
                return group
            }
            guard !group.isEmpty else { return }
            do {
                try await store.recordDownloadStatistics(group.map(\.statistic))
                for waiter in group { waiter.continuation.resume() }
            } catch {
                for waiter in group { waiter.continuation.resume(throwing: error) }
            }
        }
    }
}
