import EFGSCrypto
import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import Logging
import XCTest

@testable import EFGSGateway

/// The admin listener's readiness checks.
final class AdminServerTests: XCTestCase {
    /// `/readyz`: database reachable, migrations current, trust anchor loaded; an unmigrated or closed database is
    /// not ready.
    func testReadinessChecks() async throws {
        let f = try await Fixture()
        let ready = await AdminServer.readiness(f.services)
        XCTAssertTrue(ready.allSatisfy(\.ok), "\(ready)")
        XCTAssertTrue(
            AdminServer.readinessJSON(ready).hasPrefix(
                #"{"status":"ready","checks":{"database":"ok: reachable","migrations":"ok: schema version 2 of 2""#))
        // a database without the schema
        let bare = try await SQLGatewayStore.open(
            url: "sqlite:" + f.dir.appendingPathComponent("bare.sqlite").path, logger: Logger(label: "t"))
        let unmigrated = try GatewayServices(
            config: f.services.config, store: bare, trustAnchor: f.services.trustAnchor, log: f.services.log)
        let checks = await AdminServer.readiness(unmigrated)
        XCTAssertEqual(checks.map(\.name), ["database", "migrations", "trustAnchor", "storageKeys"])
        XCTAssertEqual(checks.map(\.ok), [true, false, false, false], "no tables: nothing can be checked")
        XCTAssertTrue(AdminServer.readinessJSON(checks).contains(#""status":"not ready""#))
        try await bare.close()
        // the database gone
        try await f.store.close()
        let gone = await AdminServer.readiness(f.services)
        XCTAssertFalse(gone[0].ok, "\(gone)")
    }
}
