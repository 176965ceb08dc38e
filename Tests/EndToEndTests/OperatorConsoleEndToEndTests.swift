// SPDX-License-Identifier: EUPL-1.2

import EFGSClient
import EFGSCrypto
import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

/// The operator console of a real `efgs serve`, opened in headless Chromium (`tools/console-check.py` drives it
/// over the DevTools protocol), the reports of `efgs report`, and the admin listener with TLS and a password.
final class OperatorConsoleEndToEndTests: XCTestCase {
    /// The repository's root (this file is `Tests/EndToEndTests/…`).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A page as Chromium rendered it (`tools/console-check.py`'s JSON).
    struct RenderedPage: Decodable {
        var path: String
        var status: Int?
        var title: String
        var html: String
        var requests: [String]
        var outsideRequests: [String]
        var consoleErrors: [String]
        var screenshot: String
    }

    /// Opens `paths` of `base` in Chromium; screenshots go to `.build/test-artefacts/console`.
    func openInChromium(base: String, paths: [String]) throws -> [String: RenderedPage] {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { throw HarnessError("chromium is not installed") }
            throw XCTSkip("chromium is not installed (apt-get install chromium; CI installs it)")
        }
        let artefacts = Self.root.appendingPathComponent(".build/test-artefacts/console")
        try FileManager.default.createDirectory(at: artefacts, withIntermediateDirectories: true)
        let run = try runProcess(
            URL(fileURLWithPath: "/usr/bin/env"),
            [
                "python3", Self.root.appendingPathComponent("tools/console-check.py").path, "--base", base,
                "--screenshots", artefacts.path, "--timeout", "60",
            ] + paths)
        guard run.status == 0, let start = run.output.firstIndex(of: "{") else {
            throw HarnessError("console-check failed: \(run.output)")
        }
        struct Output: Decodable { var pages: [RenderedPage] }
        let output = try JSONDecoder().decode(Output.self, from: Data(run.output[start...].utf8))
        return Dictionary(uniqueKeysWithValues: output.pages.map { ($0.path, $0) })
    }

    /// Three countries upload, one downloads, one has a callback that fails, one has a certificate expiring in five
    /// days: every console page renders in Chromium with that content, loads nothing but itself, logs no console
    /// error, and is saved as a screenshot; `efgs report` agrees with what happened.
    func testConsoleInChromium() async throws {
        try EFGS.requireBinary()
        let fed = try Federation(
            dir: try temporaryFolder(self, "console"),
            settings: [
                "admin.port": "0", "callback.allowLoopback": "true", "batching.interval": "2",
                "callback.executeInterval": "3600", "callback.retryWait": "3600",
            ])
        for country in ["DE", "FR", "PL"] { try fed.addMember(country) }
        let expiring = try CertificateFactory.selfSigned(
            country: "IT", commonName: "efgs-auth.it", key: .p256, notAfter: Date().addingTimeInterval(5 * 86_400))
        XCTAssertEqual(try fed.onboard(expiring, country: "IT", type: "AUTHENTICATION").status, 0)
        let plCallback = try CertificateFactory.selfSigned(
            country: "PL", commonName: "localhost", key: .p256, dnsNames: ["localhost"])
        XCTAssertEqual(try fed.onboard(plCallback, country: "PL", type: "CALLBACK", host: "localhost").status, 0)
        let server = try ServeProcess(config: fed.configPath, in: fed.dir)
        defer { server.stop() }
        let admin = "http://127.0.0.1:\(try XCTUnwrap(server.port(ofEvent: "Admin listening"), server.output))"
        let base = "http://127.0.0.1:\(server.port)"
        func client(_ country: String) throws -> GatewayClient {
            try fed.client(country, baseURL: base)
        }
        // PL subscribes to an endpoint where nothing listens: its callbacks fail
        let pl = try client("PL")
        try await assertStatus(await pl.subscribe(callbackId: "pl-broken", url: "https://localhost:9/efgs/cb"), 200)
        try await pl.shutdown()
        for (country, n) in [("DE", 3), ("FR", 2)] {
            let c = try client(country)
            let signer = try fed.signer(country)
            try await assertStatus(
                await c.upload(keys: freshKeys(n, origin: country), batchTag: "\(country)-1", signer: signer), 201)
            try await c.shutdown()
        }
        // batching (every 2 s) and the failed callback attempt right after it
        let deadline = Date().addingTimeInterval(30)
        var failing = false
        while !failing, Date() < deadline {
            try await Task.sleep(nanoseconds: 500_000_000)
            failing = try Curl.request(admin + "/metrics").body.contains(
                #"efgs_callback_subscription_tasks_failing{country="PL",callback_id="pl-broken"} 1"#)
        }
        XCTAssertTrue(failing, "PL's callback failed once")
        let fr = try client("FR")
        let download = try await fr.send(
            method: .GET, path: "/diagnosiskeys/download/\(UTCDay(Date()).description)",
            headers: [("Accept", "application/json; version=1.0")])
        XCTAssertEqual(download.status, 200)
        try await fr.shutdown()

        let pages = try openInChromium(base: admin, paths: ["/", "/certificates", "/batches", "/traffic", "/events"])
        for (path, page) in pages {
            XCTAssertEqual(page.status, 200, path)
            XCTAssertEqual(page.requests, [admin + (path == "/" ? "/" : path)], "\(path) loads nothing but itself")
            XCTAssertEqual(page.outsideRequests, [], path)
            XCTAssertEqual(page.consoleErrors, [], path)
            let attributes = try FileManager.default.attributesOfItem(atPath: page.screenshot)
            XCTAssertGreaterThan((attributes[.size] as? Int) ?? 0, 10_000, "a screenshot of \(path)")
        }
        let federation = try XCTUnwrap(pages["/"]).html
        XCTAssertEqual(try XCTUnwrap(pages["/"]).title, "EFGS · Federation")
        for country in ["DE", "FR", "PL", "IT"] {
            XCTAssertTrue(htmlElement(federation, id: "country-\(country)").contains("class=\"connected\""), country)
        }
        let uploaded = htmlElement(federation, id: "uploaded-DE")
        XCTAssertTrue(uploaded.contains("data-points=\"14\""), uploaded)
        XCTAssertEqual(uploaded.components(separatedBy: "<rect class=\"bar\"").count - 1, 14, uploaded)
        XCTAssertTrue(uploaded.contains("<title>3</title></rect></svg>"), "today's bar: 3 keys: \(uploaded)")
        XCTAssertTrue(htmlElement(federation, id: "downloaded-FR").contains("<title>3</title></rect></svg>"))
        XCTAssertTrue(htmlElement(federation, id: "country-PL").contains("1 pending, 1 failing"), federation)

        let certificates = try XCTUnwrap(pages["/certificates"]).html
        let it = htmlElement(certificates, id: "cert-authentication-\(expiring.thumbprint.prefix(16))")
        XCTAssertTrue(it.contains("class=\"expiry-critical\""), "the expiring certificate is highlighted: \(it)")
        XCTAssertTrue(
            htmlElement(certificates, id: "cert-authentication-\(fed.member("DE").auth.thumbprint.prefix(16))")
                .contains("class=\"expiry-ok\""))

        let batches = try XCTUnwrap(pages["/batches"]).html
        XCTAssertTrue(batches.contains("id=\"batch-\(UTCDay(Date()).compact)-1\""), batches)
        XCTAssertTrue(htmlElement(batches, id: "job-runs").contains("<td>batching</td>"))

        let traffic = try XCTUnwrap(pages["/traffic"]).html
        XCTAssertTrue(htmlElement(traffic, id: "requests-per-minute").contains("data-points=\"60\""))
        let latency = htmlElement(traffic, id: "latency")
        let minutesWithTraffic = latency.components(separatedBy: "<circle class=\"p50\"").count - 1
        XCTAssertTrue((1...2).contains(minutesWithTraffic), "one point per minute with requests: \(latency)")
        XCTAssertTrue(latency.contains("data-series=\"p50\" data-points=\"\(minutesWithTraffic)\""), latency)
        XCTAssertTrue(htmlElement(traffic, id: "requests-by-endpoint").contains("<td>upload</td>"))

        let events = try XCTUnwrap(pages["/events"]).html
        XCTAssertTrue(htmlElement(events, id: "recent-events").contains("Callback"), events)

        // the reports from the same database (another process: it sees FR's download statistic because the console's
        // federation page above made the gateway write its queued statistics first)
        let usage = try EFGS.run(["report", "usage", "--config", fed.configPath, "--format", "csv"], in: fed.dir)
        XCTAssertEqual(usage.status, 0, usage.output)
        let today = UTCDay(Date()).description
        XCTAssertTrue(usage.output.contains("\"\(today)\",\"DE\",\"1\",\"3\",\"0\",\"0\"\r\n"), usage.output)
        XCTAssertTrue(usage.output.contains("\"\(today)\",\"FR\",\"1\",\"2\",\"1\",\"3\"\r\n"), usage.output)
        let retention = try EFGS.run(["report", "retention", "--config", fed.configPath], in: fed.dir)
        XCTAssertEqual(retention.status, 0, retention.output)
        XCTAssertTrue(retention.output.contains("stored now: 5 keys in 2 upload batches"), retention.output)
        XCTAssertTrue(retention.output.contains("every stored key is younger than the 14-day legal limit"))
        let bad = try EFGS.run(["report", "usage", "--config", fed.configPath, "--from", "2026-02-30"], in: fed.dir)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("--from: a day as yyyy-MM-dd"), bad.output)
    }

    /// The admin listener with `admin.tlsCertificatePath` and `admin.passwordHash` (made by
    /// `efgs config hash-password`): HTTPS only, 401 without the password, the probes open; bound off loopback
    /// without them, `efgs serve` refuses to start, naming `admin.host`.
    func testAdminListenerWithTLSAndPassword() throws {
        try EFGS.requireBinary()
        let dir = try temporaryFolder(self, "admin-tls")
        let hashed = try runProcess(
            EFGS.binary, ["config", "hash-password", "--rounds", "210000"], stdin: Data("a long admin password\n".utf8))
        XCTAssertEqual(hashed.status, 0, hashed.output)
        let hash = hashed.output.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(hash.hasPrefix("pbkdf2-sha256$210000$"), hash)
        let short = try runProcess(EFGS.binary, ["config", "hash-password"], stdin: Data("short\n".utf8))
        XCTAssertNotEqual(short.status, 0)

        let fed = try Federation(dir: dir)
        let adminCert = try CertificateFactory.selfSigned(
            country: nil, commonName: "localhost", key: .p256, dnsNames: ["localhost"])
        let adminPEM = try fed.write(adminCert, as: "admin")
        fed.settings = [
            "admin.port": "0", "admin.user": "ops", "admin.passwordHash": hash,
            "admin.tlsCertificatePath": adminPEM,
            "admin.tlsPrivateKeyPath": dir.appendingPathComponent("admin.key").path,
        ]
        try fed.writeConfig()
        let server = try ServeProcess(config: fed.configPath, in: dir)
        defer { server.stop() }
        let port = try XCTUnwrap(server.port(ofEvent: "Admin listening"), server.output)
        let tls = ["--cacert", adminPEM, "--resolve", "localhost:\(port):127.0.0.1"]
        let admin = "https://localhost:\(port)"
        let refused = try Curl.request(admin + "/", tls)
        XCTAssertEqual(refused.status, 401)
        XCTAssertEqual(refused.header("WWW-Authenticate"), "Basic realm=\"efgs admin\", charset=\"UTF-8\"")
        XCTAssertEqual(try Curl.request(admin + "/", tls + ["-u", "ops:wrong"]).status, 401)
        let page = try Curl.request(admin + "/", tls + ["-u", "ops:a long admin password"])
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.body.contains("<title>EFGS · Federation</title>"))
        XCTAssertEqual(try Curl.request(admin + "/metrics", tls + ["-u", "ops:a long admin password"]).status, 200)
        XCTAssertEqual(try Curl.request(admin + "/readyz", tls).status, 200, "probes need no password")
        XCTAssertNotEqual(
            try Curl.request("http://127.0.0.1:\(port)/").status, 200, "plain HTTP is not served on the TLS listener")

        // off loopback without authentication: refused before anything is written
        fed.settings = ["admin.port": "0", "admin.host": "0.0.0.0"]
        try fed.writeConfig()
        let open = try EFGS.run(["serve", "--config", fed.configPath], in: dir)
        XCTAssertNotEqual(open.status, 0)
        XCTAssertTrue(open.output.contains("admin.host: '0.0.0.0' is not loopback"), open.output)
    }
}
