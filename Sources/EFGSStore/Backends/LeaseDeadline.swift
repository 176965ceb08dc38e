// SPDX-License-Identifier: EUPL-1.2

import Synchronization

/// Runs `lease` — which asks a pool for a connection, calls `leased()` once it has one, then does its work — and
/// throws ``StoreError/unavailable(_:)`` when `leased()` was not called within `timeout`; the pending request is
/// cancelled. Once leased, the work runs to its end however long it takes (a deadline on the work itself would
/// cut a transaction whose outcome the caller then cannot know).
///
/// PostgresNIO's pool keeps a request waiting while it retries a database that is away (until its circuit breaker
/// trips, a minute later): without this an API request would hang instead of answering 503.
func withLeaseDeadline<T: Sendable>(
    _ timeout: Duration,
    _ lease: @escaping @Sendable (_ leased: @escaping @Sendable () -> Void) async throws -> T
) async throws -> T {
    let flag = LeaseFlag()
    return try await withThrowingTaskGroup(of: LeaseRace<T>.self) { group in
        group.addTask { .finished(try await lease { flag.set() }) }
        group.addTask {
            try await Task.sleep(for: timeout)
            guard flag.isSet else {
                throw StoreError.unavailable("no database connection within \(timeout) (database.leaseTimeout)")
            }
            return .timerPassed
        }
        while let next = try await group.next() {
            if case .finished(let value) = next {
                group.cancelAll()
                return value
            }
        }
        throw CancellationError()  // both children ended without a value: only when cancelled
    }
}

private enum LeaseRace<T: Sendable>: Sendable {
    case finished(T)
    case timerPassed
}

private final class LeaseFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
