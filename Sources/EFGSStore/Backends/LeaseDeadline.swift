// SPDX-License-Identifier: EUPL-1.2

import Synchronization

/// Runs `lease` — which asks a pool for a connection, calls `leased(isClosed)` once it has one, then does its work —
/// under a watch, and throws ``StoreError/unavailable(_:)``
/// - when `leased` was not called within `timeout` (the pending request is cancelled), or
/// - when the leased connection closed (`isClosed()` turned true) and the work has still not ended `closedGrace`
///   later.
///
/// Otherwise the work runs to its end however long it takes: a deadline on the work itself would cut a transaction
/// whose outcome the caller then cannot know.
///
/// Why both: PostgresNIO's pool keeps a request waiting while it retries a database that is away (until its circuit
/// breaker trips, a minute later), and PostgresNIO 1.33 loses a query written to a connection whose channel has just
/// closed (`PostgresConnection.query` writes it with no promise, so nothing ever completes it): without the watch an
/// API request would hang instead of answering 503. A query lost that way was never sent, so the transaction it
/// belonged to did not commit. Work abandoned by the watch is cancelled and left to end (or not) on its own.
///
/// The watch wakes every `interval` while the operation runs; an operation shorter than that costs two tasks and one
/// cancelled sleep.
func withLeaseDeadline<T: Sendable>(
    _ timeout: Duration, closedGrace: Duration = .seconds(1), interval: Duration = .milliseconds(250),
    _ lease:
        @escaping @Sendable (_ leased: @escaping @Sendable (_ isClosed: @escaping @Sendable () -> Bool) -> Void)
        async throws -> T
) async throws -> T {
    let watch = OperationWatch<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            watch.begin(continuation)
            let work = Task {
                do {
                    watch.end(.success(try await lease { isClosed in watch.leased(isClosed) }))
                } catch {
                    watch.end(.failure(error))
                }
            }
            let watchdog = Task {
                let clock = ContinuousClock()
                let start = clock.now
                var closedAt: ContinuousClock.Instant?
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    switch watch.phase {
                    case .ended:
                        return
                    case .leasing:
                        if clock.now - start >= timeout {
                            watch.abandon("no database connection within \(timeout) (database.leaseTimeout)")
                            return
                        }
                    case .working(let isClosed):
                        guard isClosed() else { continue }
                        let since = closedAt ?? clock.now
                        closedAt = since
                        if clock.now - since >= closedGrace {
                            watch.abandon("the database connection closed under an operation that did not end")
                            return
                        }
                    }
                }
            }
            watch.attach(work: work, watchdog: watchdog)
        }
    } onCancel: {
        watch.cancelWork()
    }
}

/// The state shared by the caller, the work and the watchdog of ``withLeaseDeadline(_:closedGrace:interval:_:)``:
/// the continuation is resumed exactly once, by whichever ends first.
private final class OperationWatch<T: Sendable>: Sendable {
    enum Phase {
        case leasing
        case working(isClosed: @Sendable () -> Bool)
        case ended
    }
    private struct State {
        var phase = Phase.leasing
        var continuation: CheckedContinuation<T, any Error>?
        var work: Task<Void, Never>?
        var watchdog: Task<Void, Never>?
        var cancelled = false
    }
    private let state = Mutex(State())

    var phase: Phase { state.withLock { $0.phase } }

    func begin(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    /// Keeps the tasks for cancellation; cancels them at once when the operation ended or was cancelled meanwhile.
    func attach(work: Task<Void, Never>, watchdog: Task<Void, Never>) {
        let (ended, cancelled) = state.withLock { s -> (Bool, Bool) in
            s.work = work
            s.watchdog = watchdog
            if case .ended = s.phase { return (true, s.cancelled) }
            return (false, s.cancelled)
        }
        if ended { watchdog.cancel() }
        if cancelled { work.cancel() }
    }

    func leased(_ isClosed: @escaping @Sendable () -> Bool) {
        state.withLock { s in
            if case .leasing = s.phase { s.phase = .working(isClosed: isClosed) }
        }
    }

    /// The work ended: its result goes to the caller unless the watch gave up on it already.
    func end(_ result: Result<T, any Error>) {
        let (continuation, watchdog) = state.withLock { s in
            s.phase = .ended
            defer { s.continuation = nil }
            return (s.continuation, s.watchdog)
        }
        watchdog?.cancel()
        continuation?.resume(with: result)
    }

    /// The watchdog gives up: the caller gets ``StoreError/unavailable(_:)`` and the work is cancelled.
    func abandon(_ reason: String) {
        let (continuation, work) = state.withLock { s in
            s.phase = .ended
            defer { s.continuation = nil }
            return (s.continuation, s.work)
        }
        work?.cancel()
        continuation?.resume(throwing: StoreError.unavailable(reason))
    }

    /// The caller was cancelled: so is the work (a pending lease request is withdrawn); its end answers the caller.
    func cancelWork() {
        let work = state.withLock { s in
            s.cancelled = true
            return s.work
        }
        work?.cancel()
    }
}
