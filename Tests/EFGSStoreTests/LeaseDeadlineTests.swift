// SPDX-License-Identifier: EUPL-1.2

import Foundation
import Synchronization
import XCTest

@testable import EFGSStore

/// The watch around every PostgreSQL operation (`withLeaseDeadline`): no connection within the lease timeout, or a
/// connection that closed under work that never ends, gives ``StoreError/unavailable(_:)`` instead of a request that
/// hangs; work on an open connection runs to its end however long it takes.
final class LeaseDeadlineTests: XCTestCase {
    /// A continuation nobody resumes until the test does: PostgresNIO's lost query (never completed, deaf to
    /// cancellation).
    final class Hang: Sendable {
        private let waiting = Mutex<[CheckedContinuation<Void, Never>]>([])
        func wait() async { await withCheckedContinuation { c in waiting.withLock { $0.append(c) } } }
        func release() {
            let all = waiting.withLock { w in
                defer { w = [] }
                return w
            }
            for c in all { c.resume() }
        }
    }

    func testWorkOnAnOpenConnectionRunsPastTheLeaseTimeout() async throws {
        let start = Date()
        let value = try await withLeaseDeadline(.milliseconds(200), interval: .milliseconds(20)) { leased in
            leased { false }
            try await Task.sleep(for: .milliseconds(600))
            return 42
        }
        XCTAssertEqual(value, 42)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.6)
    }

    func testNoConnectionWithinTheTimeoutIsUnavailableAndTheRequestIsWithdrawn() async throws {
        let withdrawn = Mutex(false)
        let start = Date()
        do {
            _ = try await withLeaseDeadline(.milliseconds(300), interval: .milliseconds(20)) { _ -> Int in
                do {
                    try await Task.sleep(for: .seconds(30))
                } catch {
                    withdrawn.withLock { $0 = true }
                    throw error
                }
                return 1
            }
            XCTFail("no connection came: unavailable expected")
        } catch let error as StoreError where error.code == .unavailable {
            XCTAssertTrue(error.reason.contains("database.leaseTimeout"), error.reason)
        }
        let seconds = Date().timeIntervalSince(start)
        XCTAssertGreaterThanOrEqual(seconds, 0.3)
        XCTAssertLessThan(seconds, 5)
        try await Task.sleep(for: .milliseconds(100))
        XCTAssertTrue(withdrawn.withLock { $0 }, "the pending lease request is cancelled")
    }

    /// The defect: PostgresNIO 1.33 never completes a query written to a connection whose channel has just closed;
    /// before the watch, the API request waited for ever (DatabaseOutageTests: an upload unanswered after 60 s).
    func testConnectionClosedUnderWorkThatNeverEndsIsUnavailable() async throws {
        let hang = Hang()
        let closed = Mutex(false)
        let start = Date()
        do {
            _ = try await withLeaseDeadline(
                .milliseconds(200), closedGrace: .milliseconds(300), interval: .milliseconds(20)
            ) { leased -> Int in
                leased { closed.withLock { $0 } }
                try await Task.sleep(for: .milliseconds(400))  // past the lease timeout: the work was running
                closed.withLock { $0 = true }
                await hang.wait()
                return 1
            }
            XCTFail("the connection closed under work that never ended: unavailable expected")
        } catch let error as StoreError where error.code == .unavailable {
            XCTAssertTrue(error.reason.contains("closed"), error.reason)
        }
        let seconds = Date().timeIntervalSince(start)
        XCTAssertGreaterThanOrEqual(seconds, 0.7, "the grace is waited out")
        XCTAssertLessThan(seconds, 5)
        hang.release()
    }

    func testAnErrorOfTheWorkWithinTheGraceIsTheAnswer() async throws {
        struct Failed: Error {}
        do {
            _ = try await withLeaseDeadline(.milliseconds(200), closedGrace: .seconds(2), interval: .milliseconds(20)) {
                leased -> Int in
                leased { true }
                try await Task.sleep(for: .milliseconds(100))
                throw Failed()
            }
            XCTFail("the work's own error expected")
        } catch is Failed {
        }
    }

    func testCancellingTheCallerCancelsTheWork() async throws {
        let cancelled = Mutex(false)
        let task = Task {
            try await withLeaseDeadline(.seconds(10), interval: .milliseconds(20)) { leased -> Int in
                leased { false }
                do {
                    try await Task.sleep(for: .seconds(30))
                } catch {
                    cancelled.withLock { $0 = true }
                    throw error
                }
                return 1
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        let result = await task.result
        XCTAssertThrowsError(try result.get()) { XCTAssertTrue($0 is CancellationError, "\($0)") }
        XCTAssertTrue(cancelled.withLock { $0 })
    }

    func testManyShortOperationsEachAnswerOnce() async throws {
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for n in 0..<200 {
                group.addTask {
                    try await withLeaseDeadline(.seconds(5)) { leased in
                        leased { false }
                        return n
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        XCTAssertEqual(total, (0..<200).reduce(0, +))
    }
}
