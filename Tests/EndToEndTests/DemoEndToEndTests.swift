// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

/// Drives the real `efgs` executable: the demo starts a gateway on loopback (SQLite), three national backends
/// upload over HTTP, batching runs, every backend downloads and verifies every key through the audit.
final class DemoEndToEndTests: XCTestCase {
    func run(_ args: [String], in dir: URL) throws -> (status: Int32, output: String) { try EFGS.run(args, in: dir) }

    func testDemoPassesEndToEnd() throws {
        try EFGS.requireBinary()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("efgs-e2e-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (status, output) = try run(["demo", "--work-dir", dir.appendingPathComponent("work").path], in: dir)
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("DEMO PASSED"), output)
        XCTAssertTrue(output.contains("→ HTTP 207 {\"500\":[],\"201\":[],\"409\":[0,1]}"), output)
        XCTAssertTrue(output.contains("keys verified through the audit: 390"), output)
        // PL subscribed: one callback per batch over mutual TLS, in batch order, and it downloads on callback
        XCTAssertTrue(output.contains("PUT /diagnosiskeys/callback/pl-demo?url=https://localhost:"), output)
        XCTAssertTrue(output.contains("delivered 6 callback(s) over mutual TLS"), output)
        XCTAssertTrue(
            output.contains(
                "batchTag=\(UTCDay(Date()).compact)-1 date=\(UTCDay(Date()).description), batchTag=\(UTCDay(Date()).compact)-2"
            ), output)
        XCTAssertTrue(
            output.contains("PL downloaded the notified batches: 130 keys (expected 130), no polling"), output)

        // the operator commands work on the database the demo left behind
        let config = dir.appendingPathComponent("work/efgs.yaml").path
        let verify = try run(["cert", "verify", "--config", config], in: dir)
        XCTAssertEqual(verify.status, 0, verify.output)
        XCTAssertTrue(verify.output.contains("7 of 7 row(s) pass the integrity check"), verify.output)
        let migrate = try run(["migrate", "--config", config], in: dir)
        XCTAssertTrue(migrate.output.contains("schema version 4 (applied now: none)"), migrate.output)
        let batch = try run(["batch", "--config", config], in: dir)
        XCTAssertTrue(batch.output.contains("created 0 download batch(es)"), batch.output)
    }

    func testInvalidConfigurationNamesTheSetting() throws {
        try EFGS.requireBinary()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("efgs-e2e-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "trustAnchor:\n  certificatePath: /nonexistent/ta.pem\n".write(
            to: dir.appendingPathComponent("c.yaml"), atomically: true, encoding: .utf8)
        let r = try run(["serve", "--config", dir.appendingPathComponent("c.yaml").path], in: dir)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.output.contains("storage.keys"), r.output)
    }

    /// `--work-dir` never deletes a folder the command did not make; its own folder is recreated.
    func testWorkFolderOfAnotherOwnerIsRefusedAndKept() throws {
        try EFGS.requireBinary()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("efgs-e2e-\(UUID())")
        let precious = dir.appendingPathComponent("precious.txt")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "keep me".write(to: precious, atomically: true, encoding: .utf8)
        for command in [["demo"], ["benchmark", "--batches", "1", "--keys-per-batch", "1", "--downloads", "1"]] {
            let r = try run(command + ["--work-dir", dir.path], in: FileManager.default.temporaryDirectory)
            XCTAssertNotEqual(r.status, 0, r.output)
            XCTAssertTrue(r.output.contains("--work-dir \(dir.path) is not empty and was not made by efgs"), r.output)
            XCTAssertEqual(try String(contentsOf: precious, encoding: .utf8), "keep me")
        }
        let own = dir.appendingPathComponent("bench")
        let args = [
            "benchmark", "--batches", "1", "--keys-per-batch", "10", "--downloads", "1", "--work-dir", own.path,
        ]
        XCTAssertEqual(try run(args, in: dir).status, 0)
        let again = try run(args, in: dir)
        XCTAssertEqual(again.status, 0, "its own folder is recreated: \(again.output)")
    }

    /// `efgs benchmark --http-load` (a smoke run): both raw baselines of the ingest, wrk against nginx serving the
    /// download's bytes and against the gateway, every download answered 200, the 404 and 405 runs answered as such,
    /// and the ratios printed.
    func testBenchmarkHTTPLoadComparesTheGatewayWithNginx() throws {
        try EFGS.requireBinary()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("efgs-e2e-load-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try run(
            [
                "benchmark", "--batches", "1", "--keys-per-batch", "50", "--downloads", "2", "--http-load",
                "--load-seconds", "1", "--load-connections", "2", "--work-dir", dir.path,
            ], in: FileManager.default.temporaryDirectory)
        XCTAssertEqual(r.status, 0, r.output)
        let lines = r.output.split(separator: "\n").map(String.init)
        func line(_ prefix: String) -> String { lines.first { $0.hasPrefix("    " + prefix) } ?? "" }
        for name in [
            "nginx, the same", "gateway download, protobuf", "nginx, the JSON download's", "gateway download, JSON",
        ] {
            XCTAssertTrue(line(name).contains(" requests/s, p50 "), r.output)
            XCTAssertFalse(line(name).contains("non-2xx"), "every request answered 200: \(line(name))")
            XCTAssertFalse(line(name).contains(": 0 requests/s"), line(name))
        }
        // (b′): the raw insert again, committing (durably) after every batch, and (a) against it
        XCTAssertTrue(
            lines.contains { $0.hasPrefix("(b′) the same, a durable commit per 1 batch: 50 rows in ") }, r.output)
        XCTAssertTrue(lines.contains { $0.hasPrefix("    ratio a/b = ") && $0.contains("; a/b′ = ") }, r.output)
        XCTAssertTrue(line("gateway authenticated 404").contains("non-2xx"), r.output)
        XCTAssertTrue(line("gateway unauthenticated 405").contains("non-2xx"), r.output)
        for ratio in [
            "download protobuf / nginx = ", "download JSON / protobuf = ", "from nginx: JSON / protobuf = ",
            "download JSON / nginx = ", "authenticated 404 / unauth",
        ] {
            XCTAssertTrue(lines.contains { $0.contains(ratio) }, r.output)
        }
    }

    /// `efgs benchmark-scale` (a smoke run with small batches): a real `efgs serve` measured at two store sizes, the
    /// store filled the fast way in between, then a second gateway whose key retention deletes exactly the fill
    /// (accepted 20 days ago) and keeps every measured upload. On SQLite, and on PostgreSQL when
    /// `EFGS_TEST_POSTGRES_URL` is set.
    func testBenchmarkScaleFillsMeasuresAndRetentionDeletesTheFill() throws {
        try EFGS.requireBinary()
        for database in [nil] + (TestDatabase.postgresURL.map { [$0] } ?? []) {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("efgs-e2e-scale-\(UUID())")
            defer { try? FileManager.default.removeItem(at: dir) }
            let r = try run(
                [
                    "benchmark-scale", "--levels", "200,1000", "--keys-per-batch", "50", "--uploads", "2",
                    "--downloads", "3", "--retention-seconds", "120", "--work-dir", dir.path,
                ] + (database.map { ["--database-url", $0, "--reset-database"] } ?? []),
                in: FileManager.default.temporaryDirectory)
            XCTAssertEqual(r.status, 0, r.output)
            let lines = r.output.split(separator: "\n").map(String.init)
            // one warm-up upload of 50 keys; each level fills up to its size, then uploads 2 × 50 keys
            XCTAssertTrue(lines.contains { $0.hasPrefix("  200 stored keys (filled 150 in ") }, r.output)
            XCTAssertTrue(lines.contains { $0.hasPrefix("  1000 stored keys (filled 700 in ") }, r.output)
            XCTAssertTrue(lines.contains { $0.contains("largest / smallest across levels: ingest p50 ×") }, r.output)
            XCTAssertTrue(
                lines.contains { $0.hasPrefix("  retention: 850 keys deleted in ") && $0.contains("(250 left)") },
                "the fill goes, the 5 measured uploads stay: \(r.output)")
            XCTAssertTrue(lines.contains { $0.contains("on the empty store → peak / idle = ") }, r.output)
            let log = try String(contentsOf: dir.appendingPathComponent("serve-retention.log"), encoding: .utf8)
            XCTAssertFalse(log.contains("level=\"ERROR\""), "no error in the retention gateway's log")
            XCTAssertFalse(log.contains("never batched"), "the fill was batched when it was written")
        }
    }
}
