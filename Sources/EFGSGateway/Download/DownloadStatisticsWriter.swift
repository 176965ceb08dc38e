// SPDX-License-Identifier: EUPL-1.2

import EFGSStore
import Metrics
import Synchronization

/// Writes the download statistics of §7.7 behind the responses, in groups: a download queues its statistic and is
/// answered at once; the writer commits what is queued 20 ms (`window`) after its previous write, up to ``maxGroup``
/// rows per transaction (at once while more wait), so under load the store sees a few write transactions per second
/// instead of one per few downloads, and no download waits for a commit (issue 14).
///
/// - Bounded: while `maxQueued` statistics wait, a download waits for the commit of its own (and fails with it), so
///   memory stays bounded when the store is slow.
/// - This process's readers of the statistics (the console, the health metrics, the reports it makes) call
///   ``flush(within:)`` first, and the runtime flushes before it closes the store, so a graceful stop loses nothing.
///   Another process (`efgs report usage`, another instance) sees a download's statistic once its group is
///   written, usually within `window`. A crash loses what is queued: the last `window` and the group being written,
///   more while the store is slow (the statistics commit asynchronously anyway; each download's `Successful Batch
///   Download` event line is written before its response).
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
        /// ``flush(within:)`` calls waiting until `done` reaches their `until`, by number.
        var flushes: [(id: Int, until: Int, continuation: CheckedContinuation<Bool, Never>)] = []
        var flushCount = 0
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
        Counter(label: "efgs_download_statistics_lost_total").increment(by: 0)  // exported from the start
    }

    /// Queues `statistic`: returns at once, or once it is committed while the queue is full.
    func record(_ statistic: DownloadStatistic) async throws {
        let (queued, startWriting) = state.withLock { state -> (Bool, Bool) in
            guard state.queued.count < maxQueued else { return (false, false) }
            return (true, Self.append((statistic, nil), to: &state))
        }
        if startWriting { startWriter() }
        guard !queued else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            if state.withLock({ Self.append((statistic, continuation), to: &$0) }) { startWriter() }
        }
    }

    /// Returns true once every statistic queued before the call is written (or lost to a failed write), or false
    /// after `timeout` (a store that does not answer cannot hold a scrape or a stop).
    @discardableResult
    func flush(within timeout: Duration) async -> Bool {
        let written = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let waiting = state.withLock { state -> Int? in
                guard state.done < state.enqueued else { return nil }
                state.flushCount += 1
                state.flushes.append((state.flushCount, state.enqueued, continuation))
                return state.flushCount
            }
            guard let id = waiting else { return continuation.resume(returning: true) }
            Task {
                try? await Task.sleep(for: timeout)
                let late = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                    guard let index = state.flushes.firstIndex(where: { $0.id == id }) else { return nil }
                    return state.flushes.remove(at: index).continuation
                }
                late?.resume(returning: false)
            }
        }
        return written
    }

    /// Appends `queued` and returns whether a writer must be started.
    static func append(_ queued: Queued, to state: inout State) -> Bool {
        state.queued.append(queued)
        state.enqueued += 1
        guard !state.writing else { return false }
        state.writing = true
        return true
    }

    func startWriter() {
        Task { await self.writeUntilNothingIsQueued() }
    }

    /// Writes the queued statistics, a group per `window` (at once while a flush waits), until none is left.
    func writeUntilNothingIsQueued() async {
        while true {
            let idle = state.withLock { $0.flushes.isEmpty && $0.queued.count < Self.maxGroup }
            if idle { try? await Task.sleep(for: window) }
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
            for flush in answered { flush.resume(returning: true) }
        }
    }
}
