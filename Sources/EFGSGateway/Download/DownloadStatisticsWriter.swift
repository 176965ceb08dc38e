// SPDX-License-Identifier: EUPL-1.2

import EFGSStore
import Metrics
import Synchronization

/// Writes the download statistics of §7.7 behind the responses, in groups: a download queues its statistic and is
/// answered at once; the writer commits what is queued every `window` (20 ms), up to ``maxGroup`` rows per
/// transaction, so under load the store sees a few write transactions per second instead of one per few downloads,
/// and no download waits for a commit (issue 14: the waits and commits were a tenth of a download's cost).
///
/// - Bounded: while more than `maxQueued` statistics wait, a download waits for the commit of its own (and fails
///   with it), so memory stays bounded when the store is slow.
/// - In-process readers of the statistics (reports, the console, the health metrics) call ``flush()`` first, and
///   the runtime flushes before it closes the store, so a graceful stop loses nothing. A crash loses at most the
///   statistics of the last `window` (the statistics commit asynchronously anyway; the `Successful Batch
///   Download` event line of each download is written before its response).
/// - A failed write is not retried: its statistics are counted in `efgs_download_statistics_lost_total` and named
///   in one ERROR event line; the downloads waiting for it (queue full) fail with its error.
final class DownloadStatisticsWriter: Sendable {
    /// A statistic and, when its download waits for the commit, the download's continuation.
    typealias Queued = (statistic: DownloadStatistic, waiter: CheckedContinuation<Void, any Error>?)

    struct State {
        var queued: [Queued] = []
        /// Statistics queued since start, and of them written or lost.
        var enqueued = 0
        var done = 0
        /// ``flush()`` calls waiting until `done` reaches their `enqueued`.
        var flushes: [(until: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var writing = false
    }

    /// The most statistics one transaction writes.
    static let maxGroup = 1000
    let store: any StatisticsStore
    let window: Duration
    let maxQueued: Int
    let log: EventScope?
    let state = Mutex(State())

    /// A writer into `store` committing every `window`; `maxQueued` statistics may wait before downloads wait
    /// for their commit; failures are logged to `log`.
    init(store: any StatisticsStore, window: Duration = .milliseconds(20), maxQueued: Int = 20_000, log: EventScope?) {
        self.store = store
        self.window = window
        self.maxQueued = maxQueued
        self.log = log
    }

    /// Queues `statistic`: returns at once, or once it is committed while the queue is full.
    func record(_ statistic: DownloadStatistic) async throws {
        let full = state.withLock { $0.queued.count >= maxQueued }
        guard full else { return enqueue((statistic, nil)) }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            enqueue((statistic, continuation))
        }
    }

    /// Returns once every statistic queued before the call is written (or lost to a failed write).
    func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                guard state.done < state.enqueued else { return true }
                state.flushes.append((state.enqueued, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }

    func enqueue(_ queued: Queued) {
        let startWriting = state.withLock { state -> Bool in
            state.queued.append(queued)
            state.enqueued += 1
            guard !state.writing else { return false }
            state.writing = true
            return true
        }
        if startWriting { Task { await self.writeUntilNothingIsQueued() } }
    }

    /// Writes the queued statistics, a group per `window` (at once while a flush waits), until none is left.
    func writeUntilNothingIsQueued() async {
        while true {
            if state.withLock({ $0.flushes.isEmpty }) { try? await Task.sleep(for: window) }
            let group = state.withLock { state -> [Queued] in
                let group = Array(state.queued.prefix(Self.maxGroup))
                state.queued.removeFirst(group.count)
                if group.isEmpty { state.writing = false }
                return group
            }
            guard !group.isEmpty else { return }
            do {
                try await store.recordDownloadStatistics(group.map(\.statistic))
                for queued in group { queued.waiter?.resume() }
            } catch {
                Counter(label: "efgs_download_statistics_lost_total").increment(by: group.count)
                log?.error(
                    "Download statistics could not be recorded",
                    ["count": String(group.count), "reason": String(describing: error).prefix(300).description])
                for queued in group { queued.waiter?.resume(throwing: error) }
            }
            let answered = state.withLock { state in
                state.done += group.count
                let done = state.done
                defer { state.flushes.removeAll { $0.until <= done } }
                return state.flushes.filter { $0.until <= done }.map(\.continuation)
            }
            for flush in answered { flush.resume() }
        }
    }
}
