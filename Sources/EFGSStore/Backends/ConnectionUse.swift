// SPDX-License-Identifier: EUPL-1.2

import Metrics
import Synchronization

/// Database connection use, exported through swift-metrics (Prometheus on the admin listener):
/// - `efgs_db_connections_in_use{store}`: connections leased now (SQLite: 0 to 2, its writing and its reading
///   connection, each serialised);
/// - `efgs_db_connections_max{store}`: the pool's limit;
/// - `efgs_db_connection_wait_seconds{store}`: time from asking for a connection to getting it — a growing wait
///   says the pool (or SQLite's single writer) is the bottleneck.
/// PostgresNIO keeps its own pool observability delegate internal, so the lease is measured around
/// `PostgresClient.withConnection` here; metric handles are made per lease, as everywhere in the gateway, so they
/// follow the metrics backend bootstrapped at start-up.
final class ConnectionUse: Sendable {
    let store: String
    let maximum: Int
    private let inUse = Mutex(0)
    private let busyNanoseconds = Atomic<Int64>(0)

    init(store: String, maximum: Int) {
        self.store = store
        self.maximum = maximum
    }

    /// Call first thing inside the leased connection: records the wait since `requested` and one more connection
    /// in use.
    func leased(since requested: ContinuousClock.Instant) {
        let waited = ContinuousClock.now - requested
        Timer(label: "efgs_db_connection_wait_seconds", dimensions: [("store", store)])
            .recordNanoseconds(waited.nanoseconds)
        inUse.withLock { count in
            count += 1
            record(count)
        }
    }

    /// Call when the leased connection is given back.
    func released() {
        inUse.withLock { count in
            count -= 1
            record(count)
        }
    }

    /// Called under the lock: the gauge gets the counts in the order they happened (recorded after the lock, two
    /// releases at once could leave `1` as the last value with every connection given back).
    private func record(_ n: Int) {
        Gauge(label: "efgs_db_connections_in_use", dimensions: [("store", store)]).record(n)
        Gauge(label: "efgs_db_connections_max", dimensions: [("store", store)]).record(maximum)
    }

    /// Runs `body` as the user of a leased connection (`requested` = when the lease was asked for).
    func using<T>(since requested: ContinuousClock.Instant, _ body: () async throws -> T) async throws -> T {
        leased(since: requested)
        let start = ContinuousClock.now
        defer {
            busyNanoseconds.add((ContinuousClock.now - start).nanoseconds, ordering: .relaxed)
            released()
        }
        return try await body()
    }

    /// The time connections were leased since the process started, summed over the connections: over an interval,
    /// its growth divided by the interval's length is how many connections were busy on average (SQLite: 0 to 2, its
    /// writing and its reading connection together).
    var busyTime: Duration { .nanoseconds(busyNanoseconds.load(ordering: .relaxed)) }
}

extension Duration {
    var nanoseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }
}
