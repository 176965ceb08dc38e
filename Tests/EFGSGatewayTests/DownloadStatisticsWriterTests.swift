// SPDX-License-Identifier: EUPL-1.2

import EFGSTestSupport
import Foundation
import Synchronization
import XCTest

@testable import EFGSGateway
@testable import EFGSStore

/// Download statistics with group commit (``DownloadStatisticsWriter``): every download's statistic is committed
/// before its download returns, downloads arriving during a write share the next transaction, and a failed write
/// fails exactly its group.
final class DownloadStatisticsWriterTests: XCTestCase {
    /// The fixture's store, with each write of download statistics slowed down, counted, and failing on demand.
    final class SlowStatistics: StatisticsStore {
        let store: SQLGatewayStore
        let groups = Mutex([Int]())
        let failNext = Mutex(false)

        init(_ store: SQLGatewayStore) { self.store = store }

        func recordDownloadStatistics(_ downloads: [DownloadStatistic]) async throws {
            groups.withLock { $0.append(downloads.count) }
            try await Task.sleep(for: .milliseconds(100))
            let fail = failNext.withLock { fail in
                defer { fail = false }
                return fail
            }
            if fail { throw StoreError.unavailable("test") }
            try await store.recordDownloadStatistics(downloads)
        }
        func purgeKeys(_ cutoffs: KeyRetentionCutoffs, chunkSize: Int) async throws -> CleanupResult {
            try await store.purgeKeys(cutoffs, chunkSize: chunkSize)
        }
        func purgeStatistics(before cutoff: Int64) async throws -> Int {
            try await store.purgeStatistics(before: cutoff)
        }
        func countryActivity() async throws -> [CountryActivity] { try await store.countryActivity() }
        func storedKeyCount() async throws -> Int { try await store.storedKeyCount() }
        func storeFigures() async throws -> StoreFigures { try await store.storeFigures() }
    }

    func rows(_ f: Fixture) async throws -> Int {
        try await f.store.backend.read { db in
            let row = try await db.raw("SELECT COUNT(*) AS n FROM statistics_downloads").first()
            return try row!.decode(column: "n", as: Int.self)
        }
    }

    func testDownloadsArrivingDuringAWriteShareTheNextTransaction() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let slow = SlowStatistics(f.store)
        let writer = DownloadStatisticsWriter(store: slow)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<50 {
                group.addTask {
                    try await writer.record(
                        DownloadStatistic(time: Int64(n), country: "FR", batchTag: "20261201-1", keyCount: n))
                }
            }
            try await group.waitForAll()
        }
        try await assertEq(try await rows(f), 50, "every statistic is committed when record returns")
        let groups = slow.groups.withLock { $0 }
        XCTAssertEqual(groups.reduce(0, +), 50)
        XCTAssertLessThanOrEqual(groups.count, 5, "grouped: \(groups)")
        // alone, a statistic is written at once
        try await writer.record(DownloadStatistic(time: 99, country: "DE", batchTag: "20261201-1", keyCount: 1))
        try await assertEq(try await rows(f), 51)
    }

    func testAFailedWriteFailsItsGroupOnly() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let slow = SlowStatistics(f.store)
        let writer = DownloadStatisticsWriter(store: slow)
        slow.failNext.withLock { $0 = true }
        do {
            try await writer.record(DownloadStatistic(time: 1, country: "FR", batchTag: "20261201-1", keyCount: 1))
            XCTFail("the failed write must fail its download")
        } catch let error as StoreError {
            XCTAssertEqual("\(error)", "\(StoreError.unavailable("test"))")
        }
        try await writer.record(DownloadStatistic(time: 2, country: "FR", batchTag: "20261201-1", keyCount: 1))
        try await assertEq(try await rows(f), 1, "the writer goes on after a failure")
    }
}
