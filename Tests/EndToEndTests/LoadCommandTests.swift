// SPDX-License-Identifier: EUPL-1.2

import Foundation
import XCTest

/// `efgs load` (issue 14, part 5) against a real `efgs serve` in mutual-TLS mode: `load prepare` makes and onboards
/// the simulated countries, `load run` drives them — uploads, downloads following `nextBatchTag`, audits verified
/// against the trust anchor, callbacks on each country's own endpoint — and reports; a short run, as CI's smoke run.
final class LoadCommandTests: XCTestCase {
    struct Gateway {
        var dir: URL
        var serve: ServeProcess
        var serverPEM: String
        var federation: String { dir.appendingPathComponent("load-federation").path }
    }

    /// A gateway (batching every 2 s, loopback callbacks allowed) with three simulated countries onboarded.
    func gateway() throws -> Gateway {
        try EFGS.requireBinary()
        let dir = try temporaryFolder(self, "load")
        let (fed, serverPEM, _) = try Federation.mutualTLS(
            dir: dir, extra: ["batching.interval": "2", "callback.allowLoopback": "true"])
        try fed.writeConfig()
        let prepare = try EFGS.run(
            [
                "load", "prepare", "--config", fed.configPath, "--ta-key", dir.appendingPathComponent("ta.key").path,
                "--countries", "3", "--federation", dir.appendingPathComponent("load-federation").path,
            ], in: dir)
        XCTAssertEqual(prepare.status, 0, prepare.output)
        XCTAssertTrue(prepare.output.contains("made 3 countries in "), prepare.output)
        XCTAssertTrue(prepare.output.contains("registered 9 certificate rows"), prepare.output)
        let serve = try ServeProcess(config: fed.configPath, in: dir)
        addTeardownBlock { serve.stop() }
        return Gateway(dir: dir, serve: serve, serverPEM: serverPEM)
    }

    func testLoadRunDrivesTheFederationAndReports() throws {
        let g = try gateway()
        let report = g.dir.appendingPathComponent("load-report.html")
        let r = try EFGS.run(
            [
                "load", "run", "--gateway", "https://localhost:\(g.serve.port)", "--gateway-ca", g.serverPEM,
                "--federation", g.federation, "--seconds", "8", "--uploads-per-minute", "90", "--min-keys", "10",
                "--max-keys", "200", "--poll-seconds", "1", "--progress-seconds", "2", "--report", report.path,
            ], in: g.dir)
        print(r.output)
        XCTAssertEqual(r.status, 0, r.output)
        let lines = r.output.split(separator: "\n").map(String.init)
        func row(_ endpoint: String) throws -> [String] {
            let line = try XCTUnwrap(lines.first { $0.hasPrefix("  \(endpoint) ") }, "no \(endpoint) row")
            return line.split(separator: " ").map(String.init)
        }
        // live progress, then a row per endpoint: name, requests, errors, p50, p95, p99, max, statuses
        XCTAssertGreaterThanOrEqual(lines.filter { $0.hasSuffix("errors 0") && $0.contains(" s: ") }.count, 3, r.output)
        for endpoint in ["upload", "download", "audit", "subscribe", "unsubscribe"] {
            let cells = try row(endpoint)
            XCTAssertGreaterThan(Int(cells[1]) ?? 0, 0, "\(endpoint): \(cells)")
            XCTAssertEqual(cells[2], "0", "\(endpoint) errors: \(cells)")
        }
        XCTAssertEqual(try row("subscribe")[1], "3")
        XCTAssertTrue(try row("upload").contains { $0.hasPrefix("201×") })
        // every new batch was checked and its keys verified against the audit; callbacks arrived
        let downloads = try XCTUnwrap(lines.first { $0.hasPrefix("  downloads: ") })
        XCTAssertFalse(downloads.hasPrefix("  downloads: 0 batches"), downloads)
        // "downloads: B batches new to their country, K keys; V keys verified against their audit"
        func count(before suffix: String) throws -> Int {
            let head = try XCTUnwrap(downloads.range(of: suffix), downloads)
            let digits = downloads[..<head.lowerBound].split { $0 == "," || $0 == ";" }.last ?? ""
            return Int(digits.filter(\.isNumber)) ?? 0
        }
        let downloaded = try count(before: " keys; ")
        XCTAssertGreaterThan(downloaded, 0, downloads)
        XCTAssertEqual(try count(before: " keys verified against their audit"), downloaded, downloads)
        let callbacks = try XCTUnwrap(lines.first { $0.hasPrefix("  callbacks: ") })
        XCTAssertFalse(callbacks.hasPrefix("  callbacks: 0 "), callbacks)
        XCTAssertTrue(r.output.contains("  RESULT: PASSED"), r.output)
        let html = try String(contentsOf: report, encoding: .utf8)
        XCTAssertTrue(html.contains("<p class=\"verdict ok\">PASSED</p>"), html)
        XCTAssertEqual(html.components(separatedBy: "<svg ").count - 1, 4, "latency of 3 endpoints and throughput")
        XCTAssertFalse(html.contains("<script"), "self-contained, no script")
    }

    /// Without a configuration, `load prepare` writes `onboard.sh`: the operator commands that onboard the countries
    /// where the gateway is. A `cert sign` that fails stops it with the option named (it went on to `cert import`
    /// with an empty signature); run right, it onboards every row and the countries authenticate.
    func testOnboardingScriptOnboardsWithTheOperatorCommands() throws {
        try EFGS.requireBinary()
        let dir = try temporaryFolder(self, "load-onboard")
        let fed = try Federation(dir: dir)
        let folder = dir.appendingPathComponent("load-federation").path
        let prepare = try EFGS.run(["load", "prepare", "--countries", "2", "--federation", folder], in: dir)
        XCTAssertEqual(prepare.status, 0, prepare.output)
        XCTAssertTrue(prepare.output.contains("onboard.sh"), prepare.output)
        let path =
            EFGS.binary.deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "")
        let wrongKey = try runProcess(
            URL(fileURLWithPath: "/bin/sh"), [folder + "/onboard.sh"], in: dir,
            environment: [
                "PATH": path, "TA_KEY": dir.appendingPathComponent("missing.key").path, "CONFIG": fed.configPath,
            ])
        XCTAssertNotEqual(wrongKey.status, 0, wrongKey.output)
        // the script stops at the failed `cert sign`: nothing but its usage hint follows its message (a `cert import`
        // with an empty signature ran after it before)
        let lines = wrongKey.output.split(separator: "\n").map(String.init)
        let failed = try XCTUnwrap(lines.firstIndex { $0.contains("--ta-key: cannot read ") }, wrongKey.output)
        let after = lines[(failed + 1)...].filter {
            !$0.trimmingCharacters(in: .whitespaces).isEmpty && !$0.hasPrefix("Usage: ") && !$0.contains("efgs --help")
        }
        XCTAssertEqual(after, [], wrongKey.output)
        XCTAssertFalse(wrongKey.output.contains("imported "), wrongKey.output)
        let onboard = try runProcess(
            URL(fileURLWithPath: "/bin/sh"), [folder + "/onboard.sh"], in: dir,
            environment: ["PATH": path, "TA_KEY": dir.appendingPathComponent("ta.key").path, "CONFIG": fed.configPath])
        XCTAssertEqual(onboard.status, 0, onboard.output)
        for type in ["AUTHENTICATION", "SIGNING", "CALLBACK"] {
            XCTAssertEqual(onboard.output.components(separatedBy: "imported \(type) certificate for ").count - 1, 2)
        }
        let list = try EFGS.run(["cert", "list", "--config", fed.configPath], in: dir)
        XCTAssertEqual(list.status, 0, list.output)
        let rows = list.output.split(separator: "\n").filter { $0.hasPrefix("DE ") || $0.hasPrefix("FR ") }
        XCTAssertEqual(rows.count, 6, list.output)
    }

    /// Countries the gateway does not accept (identity headers from an address that is no trusted proxy, on a
    /// mutual-TLS listener) fail the run: exit 1, the errors by status, FAILED in the summary and the page.
    func testErrorsFailTheRun() throws {
        let g = try gateway()
        let report = g.dir.appendingPathComponent("failed.html")
        let r = try EFGS.run(
            [
                "load", "run", "--gateway", "https://localhost:\(g.serve.port)", "--gateway-ca", g.serverPEM,
                "--federation", g.federation, "--identity", "headers", "--seconds", "3", "--uploads-per-minute", "120",
                "--max-keys", "20", "--poll-seconds", "1", "--no-callbacks", "--report", report.path,
            ], in: g.dir)
        XCTAssertEqual(r.status, 1, r.output)
        XCTAssertTrue(r.output.contains("  RESULT: FAILED: "), r.output)
        XCTAssertTrue(r.output.contains(" upload errors ("), r.output)
        XCTAssertTrue(try String(contentsOf: report, encoding: .utf8).contains("FAILED: "))

        // a schedule no gateway keeps: 3 333 uploads a second per country, one at a time
        let behind = try EFGS.run(
            [
                "load", "run", "--gateway", "https://localhost:\(g.serve.port)", "--gateway-ca", g.serverPEM,
                "--federation", g.federation, "--seconds", "2", "--uploads-per-minute", "600000", "--max-keys", "20",
                "--poll-seconds", "5", "--no-callbacks",
            ], in: g.dir)
        XCTAssertEqual(behind.status, 1, behind.output)
        XCTAssertTrue(behind.output.contains("uploads behind the schedule: "), behind.output)
        XCTAssertFalse(behind.output.contains(" upload errors ("), behind.output)
    }
}
