// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSTestSupport
import Foundation
import HummingbirdTesting
import Logging
import Prometheus
import SQLKit
import XCTest

@testable import EFGSGateway
@testable import EFGSStore

/// The admin listener: readiness checks and the OpenAPI document.
final class AdminServerTests: XCTestCase {
    /// `/readyz`: database reachable, migrations current, trust anchor loaded; an unmigrated or closed database is
    /// not ready.
    func testReadinessChecks() async throws {
        let f = try await Fixture()
        let ready = await AdminServer.readiness(f.services)
        XCTAssertTrue(ready.allSatisfy(\.ok), "\(ready)")
        XCTAssertTrue(
            AdminServer.readinessJSON(ready).hasPrefix(
                #"{"status":"ready","checks":{"database":"ok: reachable","migrations":"ok: schema version 4 of 4""#))
        // a database without the schema
        let bare = try await SQLGatewayStore.open(
            url: "sqlite:" + f.dir.appendingPathComponent("bare.sqlite").path, logger: Logger(label: "t"))
        let unmigrated = try GatewayServices(
            config: f.services.config, store: bare, trustAnchor: f.services.trustAnchor, log: f.services.log)
        let checks = await AdminServer.readiness(unmigrated)
        XCTAssertEqual(checks.map(\.name), ["database", "migrations", "trustAnchor", "storageKeys"])
        XCTAssertEqual(checks.map(\.ok), [true, false, false, false], "no tables: nothing can be checked")
        XCTAssertTrue(AdminServer.readinessJSON(checks).contains(#""status":"not ready""#))
        XCTAssertTrue(
            AdminServer.readinessJSON(checks, commit: "0123abc").hasSuffix(
                #"},"version":"\#(EFGSVersion.current)","commit":"0123abc"}"#))
        XCTAssertTrue(AdminServer.readinessJSON(checks).hasSuffix(#","commit":"unknown"}"#))
        try await bare.close()
        // the database gone
        try await f.store.close()
        let gone = await AdminServer.readiness(f.services)
        XCTAssertFalse(gone[0].ok, "\(gone)")
    }

    /// A schema a newer release migrated (migrations only add, docs/deployment.md) keeps this instance ready: during
    /// a rolling upgrade the instances not yet upgraded stay in the load balancer, and a rollback is ready too.
    func testASchemaNewerThanThisReleaseIsReady() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let next = f.store.latestSchemaVersion + 1
        try await f.store.backend.transaction { db in
            try await db.raw("INSERT INTO schema_migrations (version, applied_at) VALUES (\(bind: next), 0)").run()
        }
        let checks = await AdminServer.readiness(f.services)
        let migrations = try XCTUnwrap(checks.first { $0.name == "migrations" })
        XCTAssertTrue(migrations.ok, migrations.detail)
        XCTAssertTrue(migrations.detail.contains("newer than this release's"), migrations.detail)
        XCTAssertTrue(checks.allSatisfy(\.ok), "\(checks)")
    }

    /// `GET /openapi.yaml` answers `docs/openapi.yaml` byte for byte as `application/yaml`: the document compiled
    /// into the binary (`OpenAPIDocument`, made by `tools/gen-openapi.sh`) is the committed one.
    func testServesTheOpenAPIDocument() async throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml")
        let committed = try Data(contentsOf: docs)
        XCTAssertEqual(
            Array(OpenAPIDocument.yaml.utf8), Array(committed),
            "OpenAPIDocument.swift is out of date: run tools/gen-openapi.sh")
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        var logger = Logger(label: "efgs.test")
        logger.logLevel = .critical
        let app = try AdminServer.application(
            services: f.services, registry: PrometheusCollectorRegistry(), port: 0, logger: logger)
        try await app.test(.router) { client in
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                XCTAssertEqual(response.status.code, 200)
                XCTAssertEqual(response.headers[.contentType], "application/yaml")
                XCTAssertEqual(Array(response.body.readableBytesView), Array(committed))
            }
        }
    }
}
