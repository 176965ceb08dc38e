// SPDX-License-Identifier: EUPL-1.2

import EFGSTestSupport
import Foundation
import Synchronization
import XCTest

@testable import EFGSGateway
@testable import EFGSStore

/// Download statistics written behind the responses (``DownloadStatisticsWriter``): a download is answered without
/// waiting for a commit, the statistics of a window share one transaction, a full queue makes downloads wait for their
/// commit, ``DownloadStatisticsWriter/flush(within:)`` returns once everything queued before it is written, and a failed
/// write is counted and logged without failing the downloads that did not wait for it.
final class DownloadStatisticsWriterTests: XCTestCase {
    /// The fixture's store, with each write of download statistics slowed down, counted, and failing on demand.
    final class SlowStatistics: StatisticsStore {
        let store: SQLGatewayStore
        let groups = Mutex([Int]())
        let failNext = Mutex(false)
        /// While set, each write waits until it is cleared.
        let held = Mutex(false)

        init(_ store: SQLGatewayStore) { self.store = store }

        func recordDownloadStatistics(_ downloads: [DownloadStatistic]) async throws {
            groups.withLock { $0.append(downloads.count) }
            try await Task.sleep(for: .milliseconds(100))
            while held.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
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

    final class Flag: Sendable {
        let value = Mutex(false)
    }

    func rows(_ f: Fixture) async throws -> Int {
        try await f.store.backend.read { db in
            let row = try await db.raw("SELECT COUNT(*) AS n FROM statistics_downloads").first()
            return try row!.decode(column: "n", as: Int.self)
        }
    }

    static func statistic(_ n: Int, _ country: String = "FR") -> DownloadStatistic {
        DownloadStatistic(time: Int64(n), country: country, batchTag: "20261201-1", keyCount: n)
    }

    /// On the writer of 404c1fa, whose `record` returned only after the commit, the first record waited for the
    /// held write.
    func testADownloadIsAnsweredWithoutWaitingForTheCommit() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let slow = SlowStatistics(f.store)
        slow.held.withLock { $0 = true }
        let writer = DownloadStatisticsWriter(store: slow, window: .zero, log: nil)
        let clock = ContinuousClock()
        let start = clock.now
        for n in 0..<10 { try await writer.record(Self.statistic(n)) }
        XCTAssertLessThan(clock.now - start, .milliseconds(90), "no record waited for the held write")
        try await assertEq(try await rows(f), 0, "nothing is committed yet")
        slow.held.withLock { $0 = false }
        await writer.flush(within: .seconds(10))
        try await assertEq(try await rows(f), 10, "flush returns once every queued statistic is written")
    }

    func testTheStatisticsOfAWindowShareOneTransaction() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let slow = SlowStatistics(f.store)
        let writer = DownloadStatisticsWriter(store: slow, window: .milliseconds(300), log: nil)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<50 {
                let statistic = Self.statistic(n)
                group.addTask { try await writer.record(statistic) }
            }
            try await group.waitForAll()
        }
        await writer.flush(within: .seconds(10))
        try await assertEq(try await rows(f), 50)
        let groups = slow.groups.withLock { $0 }
        XCTAssertEqual(groups.reduce(0, +), 50)
        XCTAssertLessThanOrEqual(groups.count, 2, "grouped: \(groups)")
        // nothing queued: flush returns at once
        await writer.flush(within: .seconds(10))
        try await assertEq(try await rows(f), 50)
    }

    func testAFullQueueMakesADownloadWaitForItsCommit() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let slow = SlowStatistics(f.store)
        slow.held.withLock { $0 = true }
        let writer = DownloadStatisticsWriter(store: slow, window: .zero, maxQueued: 3, log: nil)
        // the first is taken by the held write; three more fill the queue
        try await writer.record(Self.statistic(0))
        while slow.groups.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(5)) }
        for n in 1...3 { try await writer.record(Self.statistic(n)) }
        let returned = Flag()
        let fifth = Self.statistic(4)
        let waiting = Task { [writer] in
            try await writer.record(fifth)
            returned.value.withLock { $0 = true }
        }
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertFalse(returned.value.withLock { $0 }, "with the queue full, the download waits for its commit")
        slow.held.withLock { $0 = false }
        try await waiting.value
        try await assertEq(try await rows(f), 5, "it returned once its own statistic was committed")
    }

    func testAFailedWriteIsCountedAndLoggedAndTheWriterGoesOn() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let slow = SlowStatistics(f.store)
        let lines = Mutex([String]())
        let log = EventLog(minimumLevel: .info, sink: { line in lines.withLock { $0.append(line) } })
        let writer = DownloadStatisticsWriter(store: slow, window: .zero, log: log.scope("DownloadStatistics"))
        slow.failNext.withLock { $0 = true }
        try await writer.record(Self.statistic(1))
        await writer.flush(within: .seconds(10))
        try await writer.record(Self.statistic(2))
        await writer.flush(within: .seconds(10))
        try await assertEq(try await rows(f), 1, "the writer goes on after a failure")
        let errors = lines.withLock { $0 }.filter { $0.contains("Download statistics could not be recorded") }
        XCTAssertEqual(errors.count, 1, "\(lines.withLock { $0 })")
        XCTAssertTrue(errors.first?.contains("count=\"1\"") ?? false, errors.first ?? "")
    }

    func testAFlushGivesUpAfterItsTimeoutAndAnswersAtOnceWhenNothingIsQueued() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let slow = SlowStatistics(f.store)
        let writer = DownloadStatisticsWriter(store: slow, window: .zero, log: nil)
        let idle = await writer.flush(within: .seconds(10))
        XCTAssertTrue(idle, "nothing queued: written")
        slow.held.withLock { $0 = true }
        try await writer.record(Self.statistic(1))
        let held = await writer.flush(within: .milliseconds(200))
        XCTAssertFalse(held, "a store that does not answer cannot hold a flush")
        slow.held.withLock { $0 = false }
        let written = await writer.flush(within: .seconds(10))
        XCTAssertTrue(written)
        try await assertEq(try await rows(f), 1)
    }
}
