// SPDX-License-Identifier: EUPL-1.2

import EFGSStore
import EFGSTestSupport
import XCTest

/// Job locks with leases (PROTOCOL.md §7.8): one atomic statement, on SQLite and on PostgreSQL.
final class JobLockStoreTests: StoreTestCase {
    func take(_ holder: String, _ now: Int64, _ until: Int64, _ name: String = "batching") async throws -> Bool {
        try await store.acquireJobLock(name: name, holder: holder, now: now, leaseUntil: until)
    }

    /// §7.8 job locks: free, held, renewed by the holder, taken over after the lease expired, released only by
    /// the holder; among concurrent acquirers exactly one wins (one atomic statement).
    func testJobLocksWithLeases() async throws {
        try await assertEq(try await take("A", 1000, 2000), true)
        try await assertEq(try await take("B", 1500, 3500), false, "held by A")
        try await assertEq(try await take("B", 1500, 3500, "key-retention"), true, "another lock is independent")
        try await assertEq(try await take("A", 1800, 3800), true, "renewal by the holder")
        try await assertEq(try await take("B", 3000, 5000), false, "A's renewed lease runs until 3800")
        try await assertEq(try await take("B", 3900, 5900), true, "an expired lease is taken over")
        try await store.releaseJobLock(name: "batching", holder: "A")
        try await assertEq(try await take("A", 4000, 6000), false, "A cannot release B's lock")
        try await store.releaseJobLock(name: "batching", holder: "B")
        try await assertEq(try await take("A", 4000, 6000), true)
        try await store.releaseJobLock(name: "batching", holder: "A")
        let store = self.store!
        let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<8 {
                group.addTask {
                    try await store.acquireJobLock(name: "race", holder: "h\(i)", now: 10_000, leaseUntil: 20_000)
                }
            }
            var n = 0
            for try await won in group where won { n += 1 }
            return n
        }
        XCTAssertEqual(winners, 1)
    }

    /// The holder of a lock, and a takeover that succeeds only from the holder named (one atomic statement).
    func testHolderAndConditionalTakeOver() async throws {
        try await assertEq(try await store.jobLockHolder(name: "batching"), nil)
        try await assertEq(try await take("A", 1000, 90_000), true)
        try await assertEq(try await store.jobLockHolder(name: "batching"), "A")
        try await assertEq(
            try await store.takeOverJobLock(name: "batching", from: "Z", holder: "B", leaseUntil: 5000), false,
            "Z does not hold it")
        try await assertEq(
            try await store.takeOverJobLock(name: "batching", from: "A", holder: "B", leaseUntil: 5000), true)
        try await assertEq(try await store.jobLockHolder(name: "batching"), "B")
        try await assertEq(try await take("A", 2000, 9000), false, "B holds it until 5000")
    }

    func testAFreeLockIsAcquired() async throws {
        try await assertEq(try await take("A", 1000, 2000), true)
        try await assertEq(try await take("A", 1000, 2000, "callback-delivery"), true)
    }

    /// Until its lease ends — including the instant it ends (expired means before `now`) — a lock is refused.
    func testASecondHolderIsRefusedWhileTheLeaseRuns() async throws {
        try await assertEq(try await take("A", 1000, 2000), true)
        try await assertEq(try await take("B", 1001, 9000), false)
        try await assertEq(try await take("B", 2000, 9000), false, "the lease runs until 2000 inclusive")
        try await store.releaseJobLock(name: "batching", holder: "B")
        try await assertEq(try await take("B", 1999, 9000), false, "B's release freed nothing")
    }

    /// The holder renews its lease at any time, even after it expired, and the renewed lease counts.
    func testTheHolderRenewsItsLease() async throws {
        try await assertEq(try await take("A", 1000, 2000), true)
        try await assertEq(try await take("A", 1500, 5000), true)
        try await assertEq(try await take("B", 4000, 9000), false, "renewed until 5000")
        try await assertEq(try await take("A", 6000, 7000), true, "renewal after expiry")
        try await assertEq(try await take("B", 6500, 9000), false)
    }

    func testAnExpiredLeaseIsTakenOver() async throws {
        try await assertEq(try await take("A", 1000, 2000), true)
        try await assertEq(try await take("B", 2001, 4000), true)
        try await assertEq(try await take("A", 2002, 5000), false, "A lost the lock")
        try await assertEq(try await take("A", 4001, 5000), true, "and takes it back when B's lease expired")
    }

    func testOnlyTheHolderReleases() async throws {
        try await assertEq(try await take("A", 1000, 9000), true)
        try await store.releaseJobLock(name: "batching", holder: "B")
        try await assertEq(try await take("B", 1000, 9000), false)
        try await store.releaseJobLock(name: "batching", holder: "A")
        try await assertEq(try await take("B", 1000, 9000), true, "released by its holder, the lock is free")
        try await store.releaseJobLock(name: "no-such-lock", holder: "B")
    }
}
