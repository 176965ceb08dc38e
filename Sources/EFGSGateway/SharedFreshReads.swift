// SPDX-License-Identifier: EUPL-1.2

import Synchronization

/// Store reads that concurrent requests share without reading anything older than their own arrival: a read of a
/// key starts a query; the callers that ask for the same key while it runs wait for the *next* query, which starts
/// when this one ends and serves all of them. Each caller's answer thus comes from a query that began after the caller
/// asked, exactly as if it had queried alone — a certificate revoked, or a batch quarantined, before a request
/// arrived is seen by that request — but under load the store answers one query per key and round instead of one per
/// request (what the grouped writes of ``DownloadStatisticsWriter`` do, for reads). A failed query fails the callers it
/// serves; the next round queries again — except after a failure `sharesFailure` accepts (the database is away):
/// the callers already waiting then fail at once too, instead of waiting through a second attempt (a 503 says
/// nothing about a certificate or a batch, and comes within `database.leaseTimeout`, as without sharing). A query
/// that runs longer than `patience` (one that hangs on a half-open connection) is not waited for by callers who ask
/// after that: each runs its own query, as without sharing, so one hung query holds only the callers of its first
/// `patience`.
final class SharedFreshReads<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    typealias Waiter = CheckedContinuation<Value, any Error>

    struct Round {
        /// When the running query began.
        var began = ContinuousClock.now
        /// Callers that asked after the running query began: served by the next one.
        var next: [Waiter] = []
    }

    /// What a caller does.
    enum Part {
        /// Runs the query for itself and those who ask meanwhile: no query runs for its key.
        case leads
        /// Waits for the next round.
        case waits
        /// Runs a query of its own: the running one began more than `patience` ago.
        case queriesAlone
    }

    /// The keys with a query running, and who waits for the next one.
    let rounds = Mutex([Key: Round]())
    /// Whether a query's failure is also the answer of the callers waiting for the next round.
    let sharesFailure: @Sendable (any Error) -> Bool
    /// How long a running query is waited for.
    let patience: Duration

    /// No query running; `sharesFailure` picks the failures the waiting callers share; a query running for more than
    /// `patience` (1 s: a row read takes milliseconds, even behind an upload) is not waited for.
    init(sharesFailure: @escaping @Sendable (any Error) -> Bool = { _ in false }, patience: Duration = .seconds(1)) {
        self.sharesFailure = sharesFailure
        self.patience = patience
    }

    /// `query`'s answer for `key`, from a run of it that began after this call. Alone, the caller runs `query`
    /// itself; otherwise it waits for the next round, which runs the `query` of the caller that starts it: `query`
    /// must depend on `key` alone (and on what does not change while the instance runs).
    func read(_ key: Key, _ query: @escaping @Sendable () async throws -> Value) async throws -> Value {
        switch part(key, waiter: nil) {
        case .leads:
            let answer = await Self.answer(query)
            let next = nextRound(key, after: answer)
            if !next.isEmpty { Task { await self.run(key, serving: next, query) } }
            return try answer.get()
        case .queriesAlone:
            return try await query()
        case .waits:
            return try await withCheckedThrowingContinuation { (waiter: Waiter) in
                switch part(key, waiter: waiter) {
                case .waits: break
                case .leads:  // the running query ended meanwhile
                    Task { await self.run(key, serving: [waiter], query) }
                case .queriesAlone: Task { waiter.resume(with: await Self.answer(query)) }
                }
            }
        }
    }

    /// The caller's part for `key`; with a `waiter`, one that waits is added to the next round.
    private func part(_ key: Key, waiter: Waiter?) -> Part {
        rounds.withLock { rounds -> Part in
            guard let round = rounds[key] else {
                rounds[key] = Round()
                return .leads
            }
            guard ContinuousClock.now - round.began <= patience else { return .queriesAlone }
            if let waiter { rounds[key]!.next.append(waiter) }
            return .waits
        }
    }

    /// Runs `query` for `serving`, then for those who asked meanwhile, until nobody waits for `key`.
    private func run(_ key: Key, serving first: [Waiter], _ query: @Sendable () async throws -> Value) async {
        var serving = first
        while !serving.isEmpty {
            let answer = await Self.answer(query)
            for waiter in serving { waiter.resume(with: answer) }
            serving = nextRound(key, after: answer)
        }
    }

    /// The callers of the next round of `key`, after a round answered `answer`. A failure `sharesFailure` accepts is
    /// also the answer of the callers waiting already; those who ask after that get a round of their own.
    private func nextRound(_ key: Key, after answer: Result<Value, any Error>) -> [Waiter] {
        let next = takeNextRound(key)
        guard case .failure(let failure) = answer, sharesFailure(failure), !next.isEmpty else { return next }
        for waiter in next { waiter.resume(throwing: failure) }
        return takeNextRound(key)
    }

    /// The callers waiting for the next round of `key`, which the caller then runs; none: `key` has no query running.
    private func takeNextRound(_ key: Key) -> [Waiter] {
        rounds.withLock { rounds -> [Waiter] in
            let next = rounds[key]?.next ?? []
            if next.isEmpty { rounds[key] = nil } else { rounds[key] = Round() }
            return next
        }
    }

    private static func answer(_ query: @Sendable () async throws -> Value) async -> Result<Value, any Error> {
        do { return .success(try await query()) } catch { return .failure(error) }
    }
}
