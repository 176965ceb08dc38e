// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import Logging
import XCTest

@testable import EFGSGateway

/// Job locks (§7.8).
final class JobLockTests: XCTestCase {
    /// A job guarded by its job lock runs on one holder at a time; the lock is released afterwards.
    func testJobLockSkipsAConcurrentRun() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let first = f.services.jobLock(JobLock.batching, holder: "instance-1")
        let second = f.services.jobLock(JobLock.batching, holder: "instance-2")
        async let slow: Int? = first.run {
            try await Task.sleep(nanoseconds: 400_000_000)
            return 1
        }
        try await Task.sleep(nanoseconds: 100_000_000)
        let skipped = try await second.run { 2 }
        XCTAssertNil(skipped, "the second instance does not run the job while the first holds the lock")
        let firstResult = try await slow
        XCTAssertEqual(firstResult, 1)
        let afterwards = try await second.run { 3 }
        XCTAssertEqual(afterwards, 3, "released after the first run")
        struct Boom: Error {}
        do {
            _ = try await first.run { () async throws -> Int in throw Boom() }
            XCTFail("rethrows")
        } catch is Boom {}
        let afterFailure = try await second.run { 4 }
        XCTAssertEqual(afterFailure, 4, "released after a failed run too")
    }

    /// A lock left by a killed process of this host (`kill -9` of `efgs batch` mid-run) is taken over at once; a
    /// lock of a live process, or of another host, waits for its lease (at most `jobs.lockLease`, 30 s by default).
    /// A completed run records `efgs_job_last_success_timestamp_seconds{job}`; a failed or skipped run does not.
    func testACompletedRunRecordsItsTime() async throws {
        let metrics = CallbackDeliveryTests.metrics
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let lock = f.services.jobLock(JobLock.statisticsRetention, holder: "instance-1")
        let dims = [("job", JobLock.statisticsRetention)]
        let before = try? metrics.expectGauge("efgs_job_last_success_timestamp_seconds", dims).lastValue
        struct Boom: Error {}
        _ = try? await lock.run { () async throws -> Int in throw Boom() }
        let afterFailure = try? metrics.expectGauge("efgs_job_last_success_timestamp_seconds", dims).lastValue
        XCTAssertEqual(afterFailure, before, "a failed run is no success")
        _ = try await lock.run { 1 }
        let recorded = try XCTUnwrap(
            try metrics.expectGauge("efgs_job_last_success_timestamp_seconds", dims).lastValue)
        XCTAssertEqual(recorded, Date().timeIntervalSince1970, accuracy: 5)
    }

    func testALockOfAGoneProcessIsTakenOverAtOnce() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        XCTAssertEqual(f.services.config.jobs.lockLease, 30, "the default lease is short")
        let killed = Process()
        killed.executableURL = URL(fileURLWithPath: "/bin/sleep")
        killed.arguments = ["60"]
        try killed.run()
        let pid = killed.processIdentifier
        kill(pid, SIGKILL)
        killed.waitUntilExit()
        let host = ProcessInfo.processInfo.hostName
        let now = UTCTimestamp.millis(Date())
        let hour: Int64 = 3_600_000
        try await assertEq(
            try await f.store.acquireJobLock(
                name: JobLock.batching, holder: "\(host):\(pid):7", now: now, leaseUntil: now + hour),
            true)
        try await assertEq(try await f.upload(f.keys(2, origin: "DE")).status, 201)
        let created = try await f.services.jobLock(JobLock.batching).run { try await f.services.batching.run() }
        XCTAssertEqual(created?.count, 1, "the dead holder's lock was taken over and the batching ran")
        XCTAssertTrue(f.lines.contains { $0.contains("Job lock taken over from a process that no longer exists") })

        for holder in ["\(host):\(ProcessInfo.processInfo.processIdentifier):8", "other-host:\(pid):9", "instance-3"] {
            try await assertEq(
                try await f.store.acquireJobLock(
                    name: JobLock.keyRetention, holder: holder, now: now, leaseUntil: now + hour),
                true)
            let skipped = try await f.services.jobLock(JobLock.keyRetention).run { 1 }
            XCTAssertNil(skipped, "\(holder) is alive or elsewhere: its lease is honoured")
            try await f.store.releaseJobLock(name: JobLock.keyRetention, holder: holder)
        }
    }
}
