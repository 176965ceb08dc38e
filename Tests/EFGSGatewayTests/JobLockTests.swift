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
}
