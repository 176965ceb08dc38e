// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

/// Real nginx (Debian's) on loopback in front of `efgs serve`, configured with the shipped files —
/// `deploy/nginx/efgs.conf` (mode b, auth.mode proxyCertificate) and `deploy/nginx/efgs-mode-a.conf` (mode a,
/// auth.mode proxyHeaders, SHA-256 by nginx's perl module); curl connects with real client certificates.
final class NginxFrontTests: XCTestCase {
    static let nginx = "/usr/sbin/nginx"

    static let perlModule = "/usr/lib/nginx/modules/ngx_http_perl_module.so"

    /// A file of the repository's `deploy/nginx/` (this file is Tests/EndToEndTests/NginxFrontTests.swift).
    static func shippedConfig(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("deploy/nginx/\(name)")
    }

    func testModeBRefusesUnknownRevokedMissingAndSelfAssertedIdentities() async throws {
        try await checkFront(config: "efgs.conf", authMode: "proxyCertificate")
    }

    func testModeARefusesUnknownRevokedMissingAndSelfAssertedIdentities() async throws {
        guard FileManager.default.fileExists(atPath: Self.perlModule) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                return XCTFail("CI installs libnginx-mod-http-perl (.ci/run)")
            }
            throw XCTSkip("nginx perl module not installed (apt-get install libnginx-mod-http-perl)")
        }
        try await checkFront(
            config: "efgs-mode-a.conf", authMode: "proxyHeaders", mainContext: "load_module \(Self.perlModule);")
    }

    func checkFront(config: String, authMode: String, mainContext: String = "") async throws {
        try EFGS.requireBinary()
        guard FileManager.default.isExecutableFile(atPath: Self.nginx) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { return XCTFail("CI installs nginx (.ci/run)") }
            throw XCTSkip("nginx not installed (apt-get install nginx)")
        }
        let dir = try temporaryFolder(self, "nginx")
        let fed = try Federation(dir: dir, settings: ["auth.mode": authMode])
        try fed.addMember("DE")
        try fed.addMember("FR")
        let gateway = try ServeProcess(config: fed.configPath, in: dir)
        defer { gateway.stop() }

        // nginx with the shipped server block
        let tls = try CertificateFactory.selfSigned(
            country: nil, commonName: "localhost", key: .p256, dnsNames: ["localhost"])
        let serverPEM = try fed.write(tls, as: "nginx-server")
        let port = try freeLoopbackPort()
        let site = try String(contentsOf: Self.shippedConfig(config), encoding: .utf8)
            .replacingOccurrences(of: "__LISTEN__", with: "127.0.0.1:\(port)")
            .replacingOccurrences(of: "__SERVER_CERT__", with: serverPEM)
            .replacingOccurrences(of: "__SERVER_KEY__", with: dir.appendingPathComponent("nginx-server.key").path)
            .replacingOccurrences(of: "__GATEWAY__", with: "127.0.0.1:\(gateway.port)")
        try site.write(to: dir.appendingPathComponent("efgs-site.conf"), atomically: true, encoding: .utf8)
        let p = dir.path
        try """
        \(mainContext)
        \(getuid() == 0 ? "user root;" : "")
        daemon off;
        master_process off;   # one process: stopping it leaves no worker behind
        worker_processes 1;
        pid \(p)/nginx.pid;
        error_log \(p)/nginx-error.log info;
        events { worker_connections 64; }
        http {
            access_log \(p)/nginx-access.log;
            client_body_temp_path \(p)/nginx-body; proxy_temp_path \(p)/nginx-proxy; fastcgi_temp_path \(p)/nginx-fcgi;
            uwsgi_temp_path \(p)/nginx-uwsgi; scgi_temp_path \(p)/nginx-scgi;
            include \(p)/efgs-site.conf;
        }
        """.write(to: dir.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
        let check = try runProcess(URL(fileURLWithPath: Self.nginx), ["-t", "-p", p, "-c", "\(p)/nginx.conf"])
        XCTAssertEqual(check.status, 0, "nginx -t: \(check.output)")
        let nginx = Process()
        nginx.executableURL = URL(fileURLWithPath: Self.nginx)
        nginx.arguments = ["-p", p, "-c", "\(p)/nginx.conf"]
        nginx.standardOutput = FileHandle.nullDevice
        nginx.standardError = FileHandle.nullDevice
        try nginx.run()
        defer {
            kill(nginx.processIdentifier, SIGKILL)
            nginx.waitUntilExit()
        }
        for _ in 0..<100 where !isAcceptingConnections(port: port) { try await Task.sleep(nanoseconds: 50_000_000) }

        let base = "https://127.0.0.1:\(port)"
        func pem(_ c: String) -> String {
            dir.appendingPathComponent("\(c.lowercased())-authentication-\(fed.member(c).auth.thumbprint.prefix(8))")
                .path
        }
        func curl(_ path: String, cert: String? = nil, key: String? = nil, _ extra: [String] = []) throws -> Curl.Result
        {
            var args = ["-k"]
            if let cert {
                args += ["--cert", cert, "--key", key ?? cert.replacingOccurrences(of: ".pem", with: ".key")]
            }
            return try Curl.request(base + path, args + extra)
        }
        let notAuthorized = #"{"message":"Client is not authorized to access the service"}"#

        // a registered certificate: authenticated through nginx, upload included
        let fr = try curl("/diagnosiskeys/callback", cert: pem("FR") + ".pem")
        XCTAssertEqual(fr.status, 200, fr.body)
        XCTAssertEqual(fr.body, "[]")
        let keys = freshKeys(4, origin: "DE")
        var batch = DiagnosisKeyBatch()
        batch.keys = keys
        let body = dir.appendingPathComponent("upload.bin")
        try Data(batch.protobufBytes()).write(to: body)
        let signature = try fed.signer("DE").sign(keys: keys)
        let up = try curl(
            "/diagnosiskeys/upload", cert: pem("DE") + ".pem",
            [
                "-H", "Content-Type: application/protobuf; version=1.0",
                "-H", "batchTag: via-nginx", "-H", "batchSignature: \(signature)",
                "--data-binary", "@\(body.path)",
            ])
        XCTAssertEqual(up.status, 201, up.body)
        XCTAssertTrue(up.headerLines.contains("batchTag: via-nginx"), "\(up.headerLines)")

        // the reference client (efgs client) through nginx, with mutual TLS to nginx and nginx's certificate trusted
        let cli = try EFGS.run(
            [
                "client", "subscriptions", "--gateway", "https://localhost:\(port)", "--cert", pem("FR") + ".pem",
                "--key", pem("FR") + ".key", "--gateway-ca", serverPEM,
            ], in: dir)
        XCTAssertEqual(cli.status, 0, cli.output)
        XCTAssertTrue(cli.output.contains("no callback subscriptions"), cli.output)
        // … and a whole round: DE uploads with efgs client, batching, FR downloads the chain and verifies the audit
        let signPEM = dir.appendingPathComponent("de-signing-\(fed.member("DE").sign.thumbprint.prefix(8))").path
        func client(_ c: String, _ args: [String]) throws -> (status: Int32, output: String) {
            try EFGS.run(
                ["client"] + args + [
                    "--gateway", "https://localhost:\(port)", "--cert", pem(c) + ".pem", "--key", pem(c) + ".key",
                    "--gateway-ca", serverPEM,
                ], in: dir)
        }
        let cliUpload = try client(
            "DE",
            [
                "upload", "--batch", body.path, "--batch-tag", "cli-via-nginx", "--signing-cert", signPEM + ".pem",
                "--signing-key", signPEM + ".key",
            ])
        XCTAssertEqual(cliUpload.status, 1, "the same keys again: " + cliUpload.output)
        XCTAssertTrue(cliUpload.output.contains("207 Multi-Status: nothing was stored"), cliUpload.output)
        var fresh = DiagnosisKeyBatch()
        fresh.keys = freshKeys(3, origin: "DE")
        let freshBody = dir.appendingPathComponent("fresh.bin")
        try Data(fresh.protobufBytes()).write(to: freshBody)
        let cliFresh = try client(
            "DE",
            [
                "upload", "--batch", freshBody.path, "--batch-tag", "cli-via-nginx", "--signing-cert", signPEM + ".pem",
                "--signing-key", signPEM + ".key",
            ])
        XCTAssertEqual(cliFresh.status, 0, cliFresh.output)
        XCTAssertEqual(try EFGS.run(["batch", "--config", fed.configPath], in: dir).status, 0)
        let today = UTCDay(Date()).description
        let cliDownload = try client(
            "FR", ["download", "--date", today, "--follow", "--out", dir.appendingPathComponent("fr-downloads").path])
        XCTAssertEqual(cliDownload.status, 0, cliDownload.output)
        XCTAssertTrue(cliDownload.output.contains("7 keys"), cliDownload.output)
        let cliAudit = try client(
            "FR", ["audit", "--date", today, "--verify", "--trust-anchor", dir.appendingPathComponent("ta.pem").path])
        XCTAssertEqual(cliAudit.status, 0, cliAudit.output)
        XCTAssertTrue(cliAudit.output.contains("all 2 upload batch(es)"), cliAudit.output)

        // missing certificate
        let none = try curl("/diagnosiskeys/callback")
        XCTAssertEqual(none.status, 403)
        XCTAssertEqual(none.body, notAuthorized)
        // unknown certificate
        let stranger = try CertificateFactory.selfSigned(country: "DE", commonName: "stranger", key: .p256)
        let strangerPEM = try fed.write(stranger, as: "stranger")
        let unknown = try curl("/diagnosiskeys/callback", cert: strangerPEM)
        XCTAssertEqual(unknown.status, 403)
        XCTAssertEqual(unknown.body, notAuthorized)
        // headers a client sends itself are never believed: FR's certificate as a header (mode b), FR's thumbprint and
        // DN (mode a) — in both modes
        for headers in [
            ["-H", "X-SSL-Client-Cert: \(nginxEscaped(fed.member("FR").auth.certificatePEM))"],
            ["-H", "X-SSL-Client-SHA256: \(fed.member("FR").auth.thumbprint)", "-H", "X-SSL-Client-DN: C=FR"],
        ] {
            let spoofNoCert = try curl("/diagnosiskeys/callback", headers)
            XCTAssertEqual(spoofNoCert.status, 403, "\(headers)")
            let spoofStranger = try curl("/diagnosiskeys/callback", cert: strangerPEM, headers)
            XCTAssertEqual(spoofStranger.status, 403, "\(headers)")
        }
        // revoked certificate, while nginx and the gateway keep running
        let revoke = try EFGS.run(
            [
                "cert", "revoke", "--config", fed.configPath, "--thumbprint", fed.member("FR").auth.thumbprint,
                "--type", "AUTHENTICATION",
            ], in: dir)
        XCTAssertEqual(revoke.status, 0, revoke.output)
        let revoked = try curl("/diagnosiskeys/callback", cert: pem("FR") + ".pem")
        XCTAssertEqual(revoked.status, 403)
        XCTAssertEqual(revoked.body, #"{"message":"Client certificate is revoked"}"#)
        XCTAssertEqual(gateway.events("Untrusted proxy address").count, 0, "nginx on loopback is a trusted proxy")
    }
}
