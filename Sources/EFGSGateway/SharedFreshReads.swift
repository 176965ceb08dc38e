// SPDX-License-Identifier: EUPL-1.2

import Synchronization

/// Store reads that concurrent requests share without reading anything older than their own arrival: a read of a
/// key starts a query; the callers that ask for the same key while it runs wait for the *next* query, which starts
/// when this one ends and serves all of them. Each caller's answer thus comes from a query that began after the caller
/// asked, exactly as if it had queried alone — a certificate revoked, or a batch quarantined, before a request
/// arrived is seen by that request — but under load the store answers one query per key and round instead of one per
/// request (the group commit of ``DownloadStatisticsWriter``, for reads). A failed query fails the callers it
/// serves; the next round queries again.
final class SharedFreshReads<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    typealias Waiter = CheckedContinuation<Value, any Error>

    struct Round {
        /// Callers that asked after the running query began: served by the next one.
        var next: [Waiter] = []
    }

    /// The keys with a query running, and who waits for the next one.
    let rounds = Mutex([Key: Round]())

    /// No query running.
    init() {}

    /// `query`'s answer for `key`, from a run of it that began after this call. Alone, the caller runs `query`
    /// itself; otherwise it waits for the next round.
    func read(_ key: Key, _ query: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let leads = rounds.withLock { rounds -> Bool in
            guard rounds[key] == nil else { return false }
            rounds[key] = Round()
            return true
        }
        if leads {
            let answer = await Self.answer(query)
            let next = takeNextRound(key)
            if !next.isEmpty { Task { await self.run(key, serving: next, query) } }
            return try answer.get()
        }
        return try await withCheckedThrowingContinuation { (waiter: Waiter) in
            let leadsNow = rounds.withLock { rounds -> Bool in
                if rounds[key] != nil {
                    rounds[key]!.next.append(waiter)
                    return false
                }
                rounds[key] = Round()  // the running query ended meanwhile
                return true
            }
            if leadsNow { Task { await self.run(key, serving: [waiter], query) } }
        }
    }

    /// Runs `query` for `serving`, then for those who asked meanwhile, until nobody waits for `key`.
    private func run(_ key: Key, serving first: [Waiter], _ query: @Sendable () async throws -> Value) async {
        var serving = first
        while !serving.isEmpty {
            let answer = await Self.answer(query)
            for waiter in serving { waiter.resume(with: answer) }
            serving = takeNextRound(key)
        }
    }

    /// The callers waiting for the next round of `key`, which the caller then runs; none: `key` has no query running.
    private func takeNextRound(_ key: Key) -> [Waiter] {
        rounds.withLock { rounds -> [Waiter] in
            let next = rounds[key]?.next ?? []
            if next.isEmpty { rounds[key] = nil } else { rounds[key]!.next = [] }
            return next
        }
    }

    private static func answer(_ query: @Sendable () async throws -> Value) async -> Result<Value, any Error> {
        do { return .success(try await query()) } catch { return .failure(error) }
    }
}
