// SPDX-License-Identifier: EUPL-1.2

import CoreMetrics
import EFGSTestSupport
import Foundation
import MetricsTestKit
import XCTest

@testable import EFGSStore

/// Database pool use in swift-metrics: connections in use, the limit, and the wait for a connection — on SQLite
/// (a writing and a reading connection, each serialised) and, when EFGS_TEST_POSTGRES_URL is set, on PostgreSQL's pool.
final class ConnectionUseMetricsTests: XCTestCase {
    func testLeasesAreCountedAndWaitsMeasured() async throws {
        let metrics = CallbackDeliveryTests.metrics
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let store = f.store.backend.dialect == .postgres ? "postgres" : "sqlite"
        let dims = [("store", store)]
        // five reads at once, each holding its connection for 300 ms
        let peak = ManagedPeak()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    try await f.store.backend.read { db in
                        if let g = try? metrics.expectGauge("efgs_db_connections_in_use", dims) {
                            peak.see(Int(g.lastValue ?? 0))
                        }
                        try await Task.sleep(for: .milliseconds(300))
                        return ()
                    }
                }
            }
            try await group.waitForAll()
        }
        let inUse = try metrics.expectGauge("efgs_db_connections_in_use", dims)
        XCTAssertEqual(inUse.lastValue, 0, "every connection given back")
        let max = try metrics.expectGauge("efgs_db_connections_max", dims)
        let waits = try metrics.expectTimer("efgs_db_connection_wait_seconds", dims).values
        let longest = Double(waits.suffix(5).max() ?? 0) / 1e9
        if store == "sqlite" {
            XCTAssertEqual(max.lastValue, 2, "the writing and the reading connection")
            XCTAssertEqual(peak.value, 1, "SQLite serialises the reads on its reading connection")
            XCTAssertGreaterThan(longest, 1.0, "the fifth read waited for the four before it (≥ 1.2 s)")
        } else {
            XCTAssertEqual(max.lastValue, 20)
            XCTAssertGreaterThan(peak.value, 1, "the pool serves reads in parallel")
            XCTAssertLessThan(longest, 1.0, "no read waited for the others")
        }
    }
}

final class ManagedPeak: @unchecked Sendable {
    private let lock = NSLock()
    private var peak = 0
    func see(_ v: Int) {
        lock.lock()
        peak = Swift.max(peak, v)
        lock.unlock()
    }
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return peak
    }
}
