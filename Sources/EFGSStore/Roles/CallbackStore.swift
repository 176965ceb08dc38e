// SPDX-License-Identifier: EUPL-1.2

/// Callback subscriptions (PROTOCOL.md §5.6) and their delivery tasks (§7.5). Tasks are created by
/// ``BatchStore/createDownloadBatch(now:docLimit:)``, one per subscription, each naming as predecessor its
/// subscription's most recent existing task, so a subscription's batches are announced in order.
public protocol CallbackStore: Sendable {
    // MARK: subscriptions (§5.6)

    /// The subscriptions of `country`, oldest first.
    func callbackSubscriptions(country: String) async throws -> [CallbackSubscription]
    /// Creates the subscription `callbackId` of `country`, or replaces its URL.
    func upsertCallbackSubscription(country: String, callbackId: String, url: String, now: Int64) async throws
    /// Deletes the subscription and its pending tasks; false when it does not exist.
    func deleteCallbackSubscription(country: String, callbackId: String) async throws -> Bool
    /// Deletes every subscription of `country` and their tasks (offboarding); returns how many subscriptions.
    func deleteCallbackSubscriptions(country: String) async throws -> Int

    // MARK: delivery tasks (§7.5)

    /// Claims an eligible task — its predecessor no longer exists, it is unlocked, no other task of its
    /// subscription is locked, and it was never tried or last tried at or before `lastTryBefore` — by an atomic
    /// conditional update (lock = now where lock is null). Nil when no task is eligible.
    ///
    /// Fair order (issue 12): each country's first eligible tasks (never-tried before failed, then oldest) are
    /// the candidates; countries come in the order of `countryRank` (lowest first: the executor ranks the
    /// country it served least recently first), so one country's failing subscriptions never hold up another's.
    func claimCallbackTask(
        now: Int64, lastTryBefore: Int64, countryRank: @escaping @Sendable (String) -> Int
    ) async throws -> CallbackTask?
    /// Success, or a task dropped after its last retry.
    func deleteCallbackTask(id: Int64) async throws
    /// A failed attempt with retries left: retries + 1, last try = now, lock cleared.
    func recordCallbackFailure(id: Int64, now: Int64) async throws
    /// Clears locks set before `lockedBefore` (abandoned by a crashed executor); returns how many.
    func releaseCallbackLocks(lockedBefore: Int64) async throws -> Int
    /// Deletes a subscription and its tasks by row id (`callback.deleteSubscriptionOnFailure`).
    func deleteCallbackSubscription(id: Int64) async throws
    /// Tasks not yet delivered or dropped, locked or not.
    func pendingCallbackTaskCount() async throws -> Int
    /// Every subscription with its pending and failing tasks (0 and 0 for one without tasks), by country and id.
    func callbackBacklog() async throws -> [CallbackBacklog]
}

extension CallbackStore {
    /// ``claimCallbackTask(now:lastTryBefore:countryRank:)`` with every country ranked alike (oldest task first).
    public func claimCallbackTask(now: Int64, lastTryBefore: Int64) async throws -> CallbackTask? {
        try await claimCallbackTask(now: now, lastTryBefore: lastTryBefore, countryRank: { _ in 0 })
    }
}
