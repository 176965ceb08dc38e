// SPDX-License-Identifier: EUPL-1.2

import EFGSClient
import EFGSCrypto
import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

/// `efgs readiness` against a real `efgs serve` over mutual TLS: a healthy gateway passes every step (callback
/// included, received by the tool's own HTTPS endpoint); a gateway on which the country's authentication row is
/// revoked fails at the first step, and the report says so.
final class ReadinessTests: XCTestCase {
    struct Setup {
        var fed: Federation
        var server: ServeProcess
        var serverPEM: String
        var args: [String]
    }

    func setUp(name: String) throws -> Setup {
        let dir = try temporaryFolder(self, name)
        let (fed, serverPEM, _) = try Federation.mutualTLS(
            dir: dir, extra: ["callback.allowLoopback": "true", "batching.interval": "1"])
        try fed.writeConfig()
        try fed.addMember("DE")
        try fed.addMember("FR", key: .rsa3072)
        let server = try ServeProcess(config: fed.configPath, in: dir)
        func path(_ c: String, _ t: String, _ i: CertificateFactory.Issued) -> String {
            dir.appendingPathComponent("\(c.lowercased())-\(t.lowercased())-\(i.thumbprint.prefix(8))").path
        }
        let auth = path("FR", "AUTHENTICATION", fed.member("FR").auth)
        let sign = path("FR", "SIGNING", fed.member("FR").sign)
        let args = [
            "readiness", "--gateway", "https://localhost:\(server.port)", "--cert", auth + ".pem", "--key",
            auth + ".key",
            "--gateway-ca", serverPEM, "--signing-cert", sign + ".pem", "--signing-key", sign + ".key",
            "--trust-anchor", dir.appendingPathComponent("ta.pem").path, "--report-dir",
            dir.appendingPathComponent("reports").path,
        ]
        return Setup(fed: fed, server: server, serverPEM: serverPEM, args: args)
    }

    func report(_ s: Setup, _ ext: String) throws -> String {
        let reports = s.fed.dir.appendingPathComponent("reports")
        let name = try XCTUnwrap(
            try FileManager.default.contentsOfDirectory(atPath: reports.path).first {
                $0.hasPrefix("readiness-FR-") && $0.hasSuffix(ext)
            })
        return try String(contentsOf: reports.appendingPathComponent(name), encoding: .utf8)
    }

    func testHealthyGatewayPassesEveryStep() async throws {
        try EFGS.requireBinary()
        let s = try setUp(name: "readiness-ok")
        defer { s.server.stop() }
        // another country's upload, so the audit has something to verify
        let de = try GatewayClient(
            baseURL: "https://localhost:\(s.server.port)",
            identity: .mutualTLS(
                certificatePEM: s.fed.member("DE").auth.certificatePEM,
                privateKeyPEM: s.fed.member("DE").auth.privateKeyPEM),
            serverTrust: .certificates(pem: try String(contentsOfFile: s.serverPEM, encoding: .utf8)))
        try await assertStatus(
            await de.upload(
                keys: freshKeys(4, origin: "DE"), batchTag: "de-1",
                signer: s.fed.signer("DE")),
            201)
        try await de.shutdown()
        // FR's callback endpoint: the tool listens itself, with FR's registered CALLBACK certificate
        let callback = try CertificateFactory.selfSigned(
            country: "FR", commonName: "localhost", key: .p256, dnsNames: ["localhost"])
        XCTAssertEqual(try s.fed.onboard(callback, country: "FR", type: "CALLBACK", host: "localhost").status, 0)
        let cbPEM = try s.fed.write(callback, as: "fr-callback-endpoint")
        let cbPort = try freeLoopbackPort()
        let run = try EFGS.run(
            s.args + [
                "--callback-url", "https://localhost:\(cbPort)/efgs/callback", "--callback-listen",
                "127.0.0.1:\(cbPort)",
                "--callback-cert", cbPEM, "--callback-key",
                s.fed.dir.appendingPathComponent("fr-callback-endpoint.key").path,
                "--callback-wait", "30",
            ], in: s.fed.dir)
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.contains("PASSED: 10 passed, 0 failed, 0 skipped"), run.output)
        for (i, name) in [
            "Authenticate", "Subscribe", "Upload a signed test batch (protobuf)", "Upload a signed test batch (JSON)",
            "Duplicate batch tag is refused (409)",
            "Tampered signature is refused (400)", "Receive the callback", "Download", "Audit and verify",
            "Unsubscribe",
        ].enumerated() {
            XCTAssertTrue(run.output.contains("[\(i + 1)/10] \(name)"), "progress line \(i + 1) \(name): \(run.output)")
        }
        XCTAssertTrue(run.output.contains("verified with the trust anchor"), run.output)

        let md = try report(s, ".md")
        XCTAssertTrue(md.hasPrefix("# EFGS readiness report: FR\n\n**Result: PASSED**"), md)
        XCTAssertTrue(md.contains("| Gateway software | efgs-swift/\(EFGSVersion.current) |"), md)
        XCTAssertTrue(md.contains("`\(s.fed.member("FR").auth.thumbprint)` | RSA 3072 |"), md)
        XCTAssertTrue(md.contains("`\(s.fed.member("FR").sign.thumbprint)` | RSA 3072 |"), md)
        XCTAssertTrue(md.contains("days left"), md)
        XCTAssertTrue(md.contains("batch tags start with `readiness-"), md)
        XCTAssertEqual(md.components(separatedBy: "| passed |").count - 1, 10, md)
        let html = try report(s, ".html")
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.contains("Result: PASSED"))
        XCTAssertFalse(html.contains("<script") || html.contains("<link") || html.contains("src="), "self-contained")
        XCTAssertEqual(html.components(separatedBy: "<tr class=\"passed\">").count - 1, 10)
        // the test data is recognisable in the gateway's log: readiness- batch tags
        XCTAssertTrue(s.server.events("successfull batch upload").contains { $0.contains("batchTag=\"readiness-") })
    }

    func testGatewayWithTheCountryRevokedFailsAtAuthentication() async throws {
        try EFGS.requireBinary()
        let s = try setUp(name: "readiness-revoked")
        defer { s.server.stop() }
        let revoke = try EFGS.run(
            [
                "cert", "revoke", "--config", s.fed.configPath, "--thumbprint", s.fed.member("FR").auth.thumbprint,
                "--type", "AUTHENTICATION",
            ], in: s.fed.dir)
        XCTAssertEqual(revoke.status, 0, revoke.output)
        let run = try EFGS.run(s.args, in: s.fed.dir)
        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertTrue(run.output.contains("[1/10] Authenticate (GET /diagnosiskeys/callback): FAILED"), run.output)
        XCTAssertTrue(run.output.contains("expected 200, got 403: Client certificate is revoked"), run.output)
        XCTAssertTrue(run.output.contains("FAILED: 0 passed, 1 failed, 9 skipped"), run.output)
        let md = try report(s, ".md")
        XCTAssertTrue(md.contains("**Result: FAILED**"), md)
        XCTAssertTrue(md.contains("| 1 | Authenticate (GET /diagnosiskeys/callback) | **FAILED** |"), md)
        XCTAssertTrue(md.contains("not run: authentication failed"), md)
        XCTAssertTrue(try report(s, ".html").contains("<tr class=\"failed\"><td>1</td>"))
        XCTAssertEqual(
            s.server.events("successfull batch upload").count, 0, "nothing uploaded after the failed authentication")
    }
}
