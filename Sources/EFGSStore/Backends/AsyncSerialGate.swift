// SPDX-License-Identifier: EUPL-1.2

/// FIFO async mutual exclusion: SQLite has one writer, and a transaction must own its connection (also the admin
/// listener's one-at-a-time password check).
public actor AsyncSerialGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// A free gate.
    public init() {}

    /// Waits until the gate is free, then holds it; waiters are served in arrival order.
    public func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    /// Hands the gate to the next waiter, or frees it.
    public func release() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }

    /// Runs `body` holding the gate.
    public func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }
}
