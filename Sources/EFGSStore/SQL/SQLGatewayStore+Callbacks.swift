// SPDX-License-Identifier: EUPL-1.2

import SQLKit

/// ``CallbackStore``: callback subscriptions (PROTOCOL.md §5.6) and delivery tasks (§7.5).
extension SQLGatewayStore {
    // MARK: subscriptions (§5.6)

    public func callbackSubscriptions(country: String) async throws -> [CallbackSubscription] {
        try await backend.read { db in
            try await db.raw(
                """
                SELECT * FROM callback_subscriptions WHERE country = \(bind: country) ORDER BY created_at, id
                """
            ).all().map { r in
                CallbackSubscription(
                    id: try r.decode(column: "id", as: Int64.self),
                    country: try r.decode(column: "country", as: String.self),
                    callbackId: try r.decode(column: "callback_id", as: String.self),
                    url: try r.decode(column: "url", as: String.self),
                    createdAt: try r.decode(column: "created_at", as: Int64.self))
            }
        }
    }

    public func upsertCallbackSubscription(country: String, callbackId: String, url: String, now: Int64) async throws {
        try await backend.transaction { db in
            try await db.raw(
                """
                INSERT INTO callback_subscriptions (country, callback_id, url, created_at)
                VALUES (\(bind: country), \(bind: callbackId), \(bind: url), \(bind: now))
                ON CONFLICT (country, callback_id) DO UPDATE SET url = excluded.url
                """
            ).run()
        }
    }

    public func deleteCallbackSubscription(country: String, callbackId: String) async throws -> Bool {
        try await backend.transaction { db in
            let found = try await db.raw(
                """
                SELECT id FROM callback_subscriptions
                WHERE country = \(bind: country) AND callback_id = \(bind: callbackId)
                """
            ).first()
            guard let row = found else {
                return false
            }
            let id = try row.decode(column: "id", as: Int64.self)
            try await db.raw("DELETE FROM callback_tasks WHERE subscription_id = \(bind: id)").run()
            try await db.raw("DELETE FROM callback_subscriptions WHERE id = \(bind: id)").run()
            return true
        }
    }

    public func deleteCallbackSubscriptions(country: String) async throws -> Int {
        try await backend.transaction { db in
            try await db.raw(
                """
                DELETE FROM callback_tasks WHERE subscription_id IN \
                (SELECT id FROM callback_subscriptions WHERE country = \(bind: country))
                """
            ).run()
            return try await db.raw("DELETE FROM callback_subscriptions WHERE country = \(bind: country) RETURNING id")
                .all().count
        }
    }

    public func deleteCallbackSubscription(id: Int64) async throws {
        try await backend.transaction { db in
            try await db.raw("DELETE FROM callback_tasks WHERE subscription_id = \(bind: id)").run()
            try await db.raw("DELETE FROM callback_subscriptions WHERE id = \(bind: id)").run()
        }
    }

    // MARK: delivery tasks (§7.5)

    public func claimCallbackTask(
        now: Int64, lastTryBefore: Int64, countryRank: @escaping @Sendable (String) -> Int
    ) async throws -> CallbackTask? {
        try await backend.transaction { db in
            // Up to two candidates per country (the second if another executor takes the first meanwhile). When
            // other executors took every candidate between the select and the claims, select again: each such round
            // is progress made by them, so it ends; the bound is only a guard. (Returning nil there ended this
            // executor's run with eligible tasks left: four tasks, ten concurrent claims, three claimed.)
            for _ in 0..<64 {
                let rows = try await db.raw(
                    """
                    SELECT * FROM (
                        SELECT t.id, t.subscription_id, t.batch_tag, t.batch_created_at, t.retries,
                               s.country, s.callback_id, s.url,
                               ROW_NUMBER() OVER (PARTITION BY s.country ORDER BY t.retries, t.id) AS country_rank
                        FROM callback_tasks t JOIN callback_subscriptions s ON s.id = t.subscription_id
                        WHERE t.locked_at IS NULL
                          AND (t.last_try IS NULL OR t.last_try <= \(bind: lastTryBefore))
                          AND (t.predecessor_id IS NULL
                               OR NOT EXISTS (SELECT 1 FROM callback_tasks p WHERE p.id = t.predecessor_id))
                          AND NOT EXISTS (SELECT 1 FROM callback_tasks o
                                          WHERE o.subscription_id = t.subscription_id AND o.locked_at IS NOT NULL)
                    ) c WHERE c.country_rank <= 2
                    """
                ).all()
                let ranked = try rows.map { r in
                    (
                        row: r, country: countryRank(try r.decode(column: "country", as: String.self)),
                        retries: try r.decode(column: "retries", as: Int.self),
                        id: try r.decode(column: "id", as: Int64.self)
                    )
                }
                let candidates = ranked.sorted { a, b in
                    (a.country, a.retries, a.id) < (b.country, b.retries, b.id)
                }.map(\.row)
                for r in candidates {
                    let id = try r.decode(column: "id", as: Int64.self)
                    // the conditional update is the claim: another executor may have taken the task meanwhile
                    let claimed = try await db.raw(
                        """
                        UPDATE callback_tasks SET locked_at = \(bind: now) WHERE id = \(bind: id) AND locked_at IS NULL
                        RETURNING id
                        """
                    ).all()
                    guard !claimed.isEmpty else { continue }
                    return CallbackTask(
                        id: id,
                        subscriptionId: try r.decode(column: "subscription_id", as: Int64.self),
                        country: try r.decode(column: "country", as: String.self),
                        callbackId: try r.decode(column: "callback_id", as: String.self),
                        url: try r.decode(column: "url", as: String.self),
                        batchTag: try r.decode(column: "batch_tag", as: String.self),
                        batchCreatedAt: try r.decode(column: "batch_created_at", as: Int64.self),
                        retries: try r.decode(column: "retries", as: Int.self))
                }
                if candidates.isEmpty { return nil }
            }
            return nil
        }
    }

    public func deleteCallbackTask(id: Int64) async throws {
        try await backend.transaction { db in
            try await db.raw("DELETE FROM callback_tasks WHERE id = \(bind: id)").run()
        }
    }

    public func recordCallbackFailure(id: Int64, now: Int64) async throws {
        try await backend.transaction { db in
            try await db.raw(
                """
                UPDATE callback_tasks SET retries = retries + 1, last_try = \(bind: now), locked_at = NULL
                WHERE id = \(bind: id)
                """
            ).run()
        }
    }

    public func releaseCallbackLocks(lockedBefore: Int64) async throws -> Int {
        try await backend.transaction { db in
            try await db.raw(
                """
                UPDATE callback_tasks SET locked_at = NULL
                WHERE locked_at IS NOT NULL AND locked_at < \(bind: lockedBefore) RETURNING id
                """
            ).all().count
        }
    }

    public func callbackBacklog() async throws -> [CallbackBacklog] {
        try await backend.read { db in
            try await db.raw(
                """
                SELECT s.country, s.callback_id, COUNT(t.id) AS pending,
                       COALESCE(SUM(CASE WHEN t.retries > 0 THEN 1 ELSE 0 END), 0) AS failing
                FROM callback_subscriptions s LEFT JOIN callback_tasks t ON t.subscription_id = s.id
                GROUP BY s.id, s.country, s.callback_id ORDER BY s.country, s.callback_id
                """
            ).all().map {
                CallbackBacklog(
                    country: try $0.decode(column: "country", as: String.self),
                    callbackId: try $0.decode(column: "callback_id", as: String.self),
                    pending: try $0.decode(column: "pending", as: Int.self),
                    failing: try $0.decode(column: "failing", as: Int.self))
            }
        }
    }

    public func pendingCallbackTaskCount() async throws -> Int {
        try await backend.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM callback_tasks").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }
}
