// SPDX-License-Identifier: EUPL-1.2

import EFGSStore
import EFGSTestSupport
import Synchronization
import XCTest

@testable import EFGSGateway

/// Reads shared by concurrent callers (``SharedFreshReads``): a caller is answered only by a query that began after
/// it asked — never by the one running when it arrived — and the callers that arrive during one query share the
/// next one.
final class SharedFreshReadsTests: XCTestCase {
    /// Queries numbered from 1, each held until the test lets it answer (its number), or fail.
    final class HeldQueries: Sendable {
        let started = Mutex(0)
        let allowed = Mutex(0)
        let failing = Mutex(Set<Int>())

        let unavailable = Mutex(Set<Int>())

        struct Failure: Error {}
        struct NeverAllowed: Error {}

        /// The next query: waits up to 10 s to be allowed (then throws `NeverAllowed`).
        func run() async throws -> Int {
            let n = started.withLock { count in
                count += 1
                return count
            }
            let deadline = ContinuousClock.now + .seconds(10)
            while allowed.withLock({ $0 }) < n {
                guard ContinuousClock.now < deadline else { throw NeverAllowed() }
                try await Task.sleep(for: .milliseconds(1))
            }
            if failing.withLock({ $0.contains(n) }) { throw Failure() }
            if unavailable.withLock({ $0.contains(n) }) { throw StoreError.unavailable("test") }
            return n
        }

        func allow(_ n: Int) { allowed.withLock { $0 = n } }
    }

    /// Waits up to 10 s for `condition`.
    func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else { return XCTFail("waited 10 s for \(what)") }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    func testCallersArrivingDuringAQueryShareTheNextOneAndNeverGetTheRunningOnesAnswer() async throws {
        let reads = SharedFreshReads<String, Int>()
        let queries = HeldQueries()
        let first = Task { try await reads.read("FR") { try await queries.run() } }
        try await waitUntil("the first query") { queries.started.withLock { $0 } == 1 }
        let later = (0..<10).map { _ in Task { try await reads.read("FR") { try await queries.run() } } }
        try await waitUntil("ten callers waiting") { reads.rounds.withLock { $0["FR"]?.next.count } == 10 }
        queries.allow(1)
        try await assertEq(try await first.value, 1)
        try await waitUntil("the second query") { queries.started.withLock { $0 } == 2 }
        queries.allow(2)
        for caller in later {
            try await assertEq(try await caller.value, 2, "answered by a query that began after it asked")
        }
        XCTAssertEqual(queries.started.withLock { $0 }, 2, "one query for the ten")
        try await waitUntil("nothing left running") { reads.rounds.withLock { $0["FR"] == nil } }
        // alone, a caller queries at once
        queries.allow(3)
        try await assertEq(try await reads.read("FR") { try await queries.run() }, 3)
    }

    func testAFailedQueryFailsOnlyTheCallersItServed() async throws {
        let reads = SharedFreshReads<String, Int>()
        let queries = HeldQueries()
        queries.failing.withLock { $0 = [1] }
        let first = Task { try await reads.read("FR") { try await queries.run() } }
        try await waitUntil("the first query") { queries.started.withLock { $0 } == 1 }
        let second = Task { try await reads.read("FR") { try await queries.run() } }
        try await waitUntil("a caller waiting") { reads.rounds.withLock { $0["FR"]?.next.count } == 1 }
        queries.allow(2)
        do {
            _ = try await first.value
            XCTFail("the failed query's caller must see the failure")
        } catch is HeldQueries.Failure {}
        try await assertEq(try await second.value, 2, "the next round queried again")
    }

    func testRoundsFollowEachOtherWhileCallersKeepArriving() async throws {
        let reads = SharedFreshReads<String, Int>()
        let queries = HeldQueries()
        let first = Task { try await reads.read("FR") { try await queries.run() } }
        try await waitUntil("the first query") { queries.started.withLock { $0 } == 1 }
        let second = Task { try await reads.read("FR") { try await queries.run() } }
        try await waitUntil("a caller waiting") { reads.rounds.withLock { $0["FR"]?.next.count } == 1 }
        queries.allow(1)
        try await waitUntil("the second query") { queries.started.withLock { $0 } == 2 }
        let third = (0..<3).map { _ in Task { try await reads.read("FR") { try await queries.run() } } }
        try await waitUntil("three callers waiting") { reads.rounds.withLock { $0["FR"]?.next.count } == 3 }
        queries.allow(3)
        try await assertEq(try await first.value, 1)
        try await assertEq(try await second.value, 2)
        for caller in third { try await assertEq(try await caller.value, 3, "the round after the second") }
        XCTAssertEqual(queries.started.withLock { $0 }, 3)
    }

    /// A leader whose request is cancelled fails alone: the callers waiting for the next round are served by it.
    func testACancelledLeaderFailsAlone() async throws {
        let reads = SharedFreshReads<String, Int>()
        let queries = HeldQueries()
        let first = Task { try await reads.read("FR") { try await queries.run() } }
        try await waitUntil("the first query") { queries.started.withLock { $0 } == 1 }
        let waiting = Task { try await reads.read("FR") { try await queries.run() } }
        try await waitUntil("a caller waiting") { reads.rounds.withLock { $0["FR"]?.next.count } == 1 }
        first.cancel()
        do {
            _ = try await first.value
            XCTFail("the cancelled leader's query fails")
        } catch is CancellationError {}
        queries.allow(2)
        try await assertEq(try await waiting.value, 2, "not the leader's cancellation")
    }

    /// The database away (`StoreError.unavailable`): the callers already waiting get the failure at once, not after
    /// a second attempt of their own (a 503 within `database.leaseTimeout`, as without sharing); later callers query.
    func testAnUnavailableDatabaseFailsTheWaitingCallersAtOnce() async throws {
        let reads = SharedFreshReads<String, Int>(sharesFailure: StoreError.isUnavailable)
        let queries = HeldQueries()
        queries.unavailable.withLock { $0 = [1] }
        let first = Task { try await reads.read("FR") { try await queries.run() } }
        try await waitUntil("the first query") { queries.started.withLock { $0 } == 1 }
        let waiting = (0..<3).map { _ in Task { try await reads.read("FR") { try await queries.run() } } }
        try await waitUntil("three callers waiting") { reads.rounds.withLock { $0["FR"]?.next.count } == 3 }
        queries.allow(1)
        for caller in [first] + waiting {
            do {
                _ = try await caller.value
                XCTFail("the database is away")
            } catch let error as StoreError where error.code == .unavailable {}
        }
        XCTAssertEqual(queries.started.withLock { $0 }, 1, "no second attempt for the waiting callers")
        queries.allow(2)
        try await assertEq(try await reads.read("FR") { try await queries.run() }, 2, "a later caller queries")
    }

    /// A query running longer than the patience (hung on a half-open connection) holds only the callers that came
    /// within it: a caller after that runs its own query.
    func testAQueryRunningPastThePatienceIsNotWaitedFor() async throws {
        let reads = SharedFreshReads<String, Int>(patience: .milliseconds(50))
        let queries = HeldQueries()
        let hung = Task { try await reads.read("FR") { try await queries.run() } }
        try await waitUntil("the first query") { queries.started.withLock { $0 } == 1 }
        try await Task.sleep(for: .milliseconds(100))
        let alone = Task { try await reads.read("FR") { try await queries.run() } }
        try await waitUntil("a query of its own") { queries.started.withLock { $0 } == 2 }
        XCTAssertNil(reads.rounds.withLock { $0["FR"]?.next.first }, "it did not wait")
        queries.allow(2)  // both may answer now
        try await assertEq(try await alone.value, 2)
        try await assertEq(try await hung.value, 1)
    }

    func testKeysDoNotWaitForEachOther() async throws {
        let reads = SharedFreshReads<String, Int>()
        let held = HeldQueries()
        let blocked = Task { try await reads.read("FR") { try await held.run() } }
        try await waitUntil("the held query") { held.started.withLock { $0 } == 1 }
        try await assertEq(try await reads.read("DE") { 7 }, 7, "another key's query runs meanwhile")
        held.allow(1)
        try await assertEq(try await blocked.value, 1)
    }
}
