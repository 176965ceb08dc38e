// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import SQLKit
import XCTest

/// Callback subscriptions (PROTOCOL.md §5.6) and the claiming of delivery tasks (§7.5), on SQLite and PostgreSQL.
/// Times are epoch milliseconds; the tasks are created by batching, one per subscription and batch.
final class CallbackStoreTests: StoreTestCase {
    func subscribe(_ country: String, _ callbackId: String, now: Int64 = 0) async throws {
        let url = "https://\(country.lowercased()).example/\(callbackId)"
        try await store.upsertCallbackSubscription(country: country, callbackId: callbackId, url: url, now: now)
    }

    /// Creates `count` download batches of one key each; returns their tags in creation order.
    func batches(_ count: Int) async throws -> [String] {
        var tags: [String] = []
        for _ in 0..<count { tags.append(try await store.uploadAndBatch(tag: UUID().uuidString).tag) }
        return tags
    }

    func claim(now: Int64 = 1000, lastTryBefore: Int64 = 0) async throws -> CallbackTask? {
        try await store.claimCallbackTask(now: now, lastTryBefore: lastTryBefore)
    }

    /// ``claim(now:lastTryBefore:)`` that must succeed.
    func claimed(
        now: Int64 = 1000, lastTryBefore: Int64 = 0, file: StaticString = #filePath, line: UInt = #line
    ) async throws -> CallbackTask {
        let task = try await claim(now: now, lastTryBefore: lastTryBefore)
        return try XCTUnwrap(task, "no task eligible", file: file, line: line)
    }

    // MARK: subscriptions (§5.6)

    func testSubscriptionsAreCreatedReplacedAndDeleted() async throws {
        try await subscribe("DE", "b", now: 20)
        try await subscribe("DE", "a", now: 10)
        try await subscribe("FR", "a", now: 5)
        try await store.upsertCallbackSubscription(country: "DE", callbackId: "a", url: "https://new.example/", now: 99)
        let de = try await store.callbackSubscriptions(country: "DE")
        XCTAssertEqual(de.map(\.callbackId), ["a", "b"], "oldest first")
        XCTAssertEqual(de.first?.url, "https://new.example/", "an upsert replaces the URL")
        XCTAssertEqual(de.first?.createdAt, 10, "and keeps the creation time")
        _ = try await batches(1)
        try await assertEq(try await store.pendingCallbackTaskCount(), 3, "one task per subscription")
        try await assertEq(try await store.deleteCallbackSubscription(country: "DE", callbackId: "b"), true)
        try await assertEq(try await store.deleteCallbackSubscription(country: "DE", callbackId: "b"), false)
        try await assertEq(try await store.pendingCallbackTaskCount(), 2, "the subscription's task went with it")
        try await assertEq(try await store.deleteCallbackSubscriptions(country: "DE"), 1)
        try await assertEq(try await store.callbackSubscriptions(country: "DE"), [])
        let fr = try await store.callbackSubscriptions(country: "FR")
        try await store.deleteCallbackSubscription(id: try XCTUnwrap(fr.first?.id))
        try await assertEq(try await store.callbackSubscriptions(country: "FR"), [])
        try await assertEq(try await store.pendingCallbackTaskCount(), 0)
    }

    /// A subscription gets tasks for batches created after it only.
    func testTasksAreCreatedForLaterBatchesOnly() async throws {
        _ = try await batches(1)
        try await subscribe("DE", "a")
        try await assertEq(try await store.pendingCallbackTaskCount(), 0)
        let tags = try await batches(1)
        let task = try await claim()
        XCTAssertEqual(task?.batchTag, tags[0])
    }

    // MARK: claiming (§7.5)

    /// The claim carries what delivery needs, and a claimed task is not claimed again.
    func testATaskIsClaimedOnce() async throws {
        try await subscribe("DE", "a")
        let now = Date()
        let batch = try await store.uploadAndBatch(tag: "t", now: now)
        let sub = try await store.callbackSubscriptions(country: "DE")[0]
        let task = try await claimed(now: 1000)
        XCTAssertEqual(task.subscriptionId, sub.id)
        XCTAssertEqual(task.country, "DE")
        XCTAssertEqual(task.callbackId, "a")
        XCTAssertEqual(task.url, "https://de.example/a")
        XCTAssertEqual(task.batchTag, batch.tag)
        XCTAssertEqual(task.batchCreatedAt, UTCTimestamp.millis(now))
        XCTAssertEqual(task.retries, 0)
        try await assertEq(try await claim(now: 2000), nil, "claimed already")
        try await assertEq(try await store.pendingCallbackTaskCount(), 1)
    }

    /// Concurrent executors: every task is claimed by exactly one of them.
    func testConcurrentClaimsTakeEachTaskOnce() async throws {
        for i in 0..<4 { try await subscribe("DE", "s\(i)") }
        _ = try await batches(1)
        let store = self.store!
        let claimed = try await withThrowingTaskGroup(of: Int64?.self) { group in
            for _ in 0..<10 {
                group.addTask { try await store.claimCallbackTask(now: 1000, lastTryBefore: 0)?.id }
            }
            var ids: [Int64] = []
            for try await id in group { if let id { ids.append(id) } }
            return ids
        }
        XCTAssertEqual(claimed.count, 4, "four tasks, four claims: \(claimed)")
        XCTAssertEqual(Set(claimed).count, 4, "no task claimed twice")
    }

    /// Batch order per subscription: a task is not eligible while its predecessor exists — even when the
    /// predecessor is unlocked but waiting for its retry.
    func testATaskWaitsForItsPredecessor() async throws {
        try await subscribe("DE", "a")
        let tags = try await batches(3)
        let first = try await claimed(now: 1000)
        XCTAssertEqual(first.batchTag, tags[0])
        try await assertEq(try await claim(now: 1100), nil, "the second task waits for the first")
        try await store.recordCallbackFailure(id: first.id, now: 1200)
        try await assertEq(
            try await claim(now: 1300, lastTryBefore: 1000), nil, "the first waits for its retry, the second for it")
        try await store.deleteCallbackTask(id: first.id)
        let second = try await claimed(now: 1400)
        XCTAssertEqual(second.batchTag, tags[1])
        try await store.deleteCallbackTask(id: second.id)
        try await assertEq(try await claim(now: 1500)?.batchTag, tags[2])
    }

    /// A locked task of a subscription keeps its other tasks back, even one whose predecessor is gone; other
    /// subscriptions are served meanwhile.
    func testALockExcludesTheOtherTasksOfItsSubscription() async throws {
        try await subscribe("DE", "a")
        let tags = try await batches(3)
        let first = try await claimed(now: 1000)
        XCTAssertEqual(first.batchTag, tags[0])
        let second = try await integers(
            "SELECT id FROM callback_tasks WHERE batch_tag = \(bind: tags[1])", column: "id")
        try await store.deleteCallbackTask(id: try XCTUnwrap(second.first))
        try await assertEq(
            try await claim(now: 1100), nil, "the third task's predecessor is gone, but the first task is locked")
        try await subscribe("FR", "b")
        let more = try await batches(1)
        let other = try await claimed(now: 1200)
        XCTAssertEqual(other.country, "FR", "another subscription is served")
        XCTAssertEqual(other.batchTag, more[0])
        try await store.recordCallbackFailure(id: first.id, now: 1300)
        let third = try await claimed(now: 1400, lastTryBefore: 1000)
        XCTAssertEqual(third.batchTag, tags[2], "unlocked, the first waits for its retry and the third may go")
    }

    /// `lastTryBefore` is inclusive: a task last tried at `t` is eligible again from `lastTryBefore = t`.
    func testLastTryBeforeIsRespected() async throws {
        try await subscribe("DE", "a")
        _ = try await batches(1)
        let task = try await claimed(now: 1000)
        try await store.recordCallbackFailure(id: task.id, now: 2000)
        try await assertEq(try await claim(now: 2500, lastTryBefore: 1999), nil, "tried too recently")
        try await assertEq(try await claim(now: 2500, lastTryBefore: 2000)?.id, task.id)
    }

    /// Each failure adds one retry, records the try and clears the lock.
    func testRecordCallbackFailureIncrementsRetries() async throws {
        try await subscribe("DE", "a")
        _ = try await batches(1)
        let task = try await claimed(now: 1000)
        try await store.recordCallbackFailure(id: task.id, now: 2000)
        try await assertEq(try await claim(now: 3000, lastTryBefore: 2000)?.retries, 1)
        try await store.recordCallbackFailure(id: task.id, now: 4000)
        let again = try await claim(now: 5000, lastTryBefore: 4000)
        XCTAssertEqual(again?.id, task.id)
        XCTAssertEqual(again?.retries, 2)
    }

    /// Locks older than the timeout are cleared (strictly before `lockedBefore`), and the task is claimable again.
    func testReleaseCallbackLocks() async throws {
        try await subscribe("DE", "a")
        try await subscribe("FR", "b")
        _ = try await batches(1)
        let early = try await claimed(now: 1000)
        let late = try await claimed(now: 3000)
        try await assertEq(try await claim(now: 3500), nil)
        try await assertEq(try await store.releaseCallbackLocks(lockedBefore: 1000), 0, "strictly before")
        try await assertEq(try await store.releaseCallbackLocks(lockedBefore: 2000), 1)
        let reclaimed = try await claim(now: 4000)
        XCTAssertEqual(reclaimed?.id, early.id)
        XCTAssertEqual(reclaimed?.retries, 0, "an abandoned claim is no failure")
        try await assertEq(try await store.releaseCallbackLocks(lockedBefore: 3001), 1, "the late claim")
        try await assertEq(try await claim(now: 5000)?.id, late.id)
        try await assertEq(try await store.releaseCallbackLocks(lockedBefore: 10_000), 2)
    }
}
