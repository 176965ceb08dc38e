// SPDX-License-Identifier: EUPL-1.2

import EFGSClient
import EFGSCrypto
import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

/// `efgs client …` (the national-backend reference client) against a real `efgs serve`: directly over mutual TLS,
/// and as the trusted proxy in modes a and b. Through nginx: `NginxFrontTests`.
final class ClientCommandsTests: XCTestCase {
    /// Files of a member made by `Federation.onboard`.
    func files(_ fed: Federation, _ country: String, _ type: String, _ issued: CertificateFactory.Issued) -> (
        pem: String, key: String
    ) {
        let base = fed.dir.appendingPathComponent(
            "\(country.lowercased())-\(type.lowercased())-\(issued.thumbprint.prefix(8))"
        ).path
        return (base + ".pem", base + ".key")
    }

    func testEveryClientCommandOverMutualTLS() async throws {
        try EFGS.requireBinary()
        let dir = try temporaryFolder(self, "client-mtls")
        let (fed, serverPEM, _) = try Federation.mutualTLS(dir: dir, extra: ["callback.allowLoopback": "true"])
        try fed.writeConfig()
        try fed.addMember("DE", key: .rsa3072)
        try fed.addMember("FR")
        let callbackCert = try CertificateFactory.selfSigned(
            country: "FR", commonName: "localhost", key: .p256, dnsNames: ["localhost"])
        XCTAssertEqual(try fed.onboard(callbackCert, country: "FR", type: "CALLBACK", host: "localhost").status, 0)
        let server = try ServeProcess(config: fed.configPath, in: dir)
        defer { server.stop() }
        func connection(_ c: String) -> [String] {
            let auth = files(fed, c, "AUTHENTICATION", fed.member(c).auth)
            return [
                "--gateway", "https://localhost:\(server.port)", "--cert", auth.pem, "--key", auth.key, "--gateway-ca",
                serverPEM,
            ]
        }
        let deSign = files(fed, "DE", "SIGNING", fed.member("DE").sign)
        func client(_ args: [String]) throws -> (status: Int32, output: String) {
            try EFGS.run(["client"] + args, in: dir)
        }

        // batch files: protobuf and JSON
        let pbKeys = freshKeys(5, origin: "DE")
        let jsonKeys = freshKeys(3, origin: "DE")
        var pb = DiagnosisKeyBatch()
        pb.keys = pbKeys
        let pbFile = dir.appendingPathComponent("de.pb").path
        let jsonFile = dir.appendingPathComponent("de.json").path
        try Data(pb.protobufBytes()).write(to: URL(fileURLWithPath: pbFile))
        try Data(DiagnosisKeyJSONEncoder.encode(jsonKeys)).write(to: URL(fileURLWithPath: jsonFile))

        // sign: the printed batchSignature verifies over the canonical stream with DE's signing certificate
        let signed = try client(["sign", "--batch", pbFile, "--signing-cert", deSign.pem, "--signing-key", deSign.key])
        XCTAssertEqual(signed.status, 0, signed.output)
        let signature = signed.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let verified = try BatchSignatureVerifier(allowLegacySha1: false).verify(
            batchSignature: signature, stream: BatchStream.bytes(of: pbKeys), now: Date())
        XCTAssertEqual(verified.signer.thumbprint, fed.member("DE").sign.thumbprint)

        // upload: 201 with a prepared signature (protobuf) and signing on the fly (JSON), then 409, 207, 400 in words
        let up = try client(
            ["upload"] + connection("DE") + ["--batch", pbFile, "--batch-tag", "cli-1", "--signature", signature])
        XCTAssertEqual(up.status, 0, up.output)
        XCTAssertTrue(up.output.contains("201 Created: upload batch cli-1 accepted (5 keys)"), up.output)
        let upJSON = try client(
            ["upload"] + connection("DE") + [
                "--batch", jsonFile, "--batch-tag", "cli-2", "--signing-cert", deSign.pem, "--signing-key", deSign.key,
            ])
        XCTAssertEqual(upJSON.status, 0, upJSON.output)
        let again = try client(
            ["upload"] + connection("DE") + ["--batch", pbFile, "--batch-tag", "cli-1", "--signature", signature])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.output.contains("409 Conflict: your country has used batch tag cli-1 before"), again.output)
        let dup = try client(
            ["upload"] + connection("DE") + ["--batch", pbFile, "--batch-tag", "cli-3", "--signature", signature])
        XCTAssertEqual(dup.status, 1)
        XCTAssertTrue(
            dup.output.contains(
                "207 Multi-Status: nothing was stored: keys at positions 0, 1, 2, 3, 4 are already stored"), dup.output)
        let wrongSig = try client(
            ["upload"] + connection("DE") + ["--batch", jsonFile, "--batch-tag", "cli-4", "--signature", signature])
        XCTAssertEqual(wrongSig.status, 1)
        XCTAssertTrue(wrongSig.output.contains("400 Bad Request: Invalid signature"), wrongSig.output)
        let stranger = try CertificateFactory.selfSigned(country: "DE", commonName: "stranger", key: .p256)
        let strangerPEM = try fed.write(stranger, as: "stranger")
        let forbidden = try client([
            "upload", "--gateway", "https://localhost:\(server.port)", "--cert", strangerPEM, "--key",
            dir.appendingPathComponent("stranger.key").path,
            "--gateway-ca", serverPEM, "--batch", pbFile, "--batch-tag", "cli-5", "--signature", signature,
        ])
        XCTAssertEqual(forbidden.status, 1)
        XCTAssertTrue(forbidden.output.contains("403 Forbidden"), forbidden.output)

        // download --follow and audit --verify as FR
        XCTAssertEqual(try EFGS.run(["batch", "--config", fed.configPath], in: dir).status, 0)
        let today = UTCDay(Date()).description
        let out = dir.appendingPathComponent("downloads").path
        let down = try client(["download"] + connection("FR") + ["--date", today, "--follow", "--out", out])
        XCTAssertEqual(down.status, 0, down.output)
        XCTAssertTrue(down.output.contains("2 batch(es), 8 keys"), down.output)
        let compact = today.replacingOccurrences(of: "-", with: "")
        let written = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        XCTAssertEqual(written, ["\(compact)-1.pb", "\(compact)-2.pb"])
        let stored = try written.flatMap {
            try DiagnosisKeyBatch.parseProtobuf(Array(try Data(contentsOf: URL(fileURLWithPath: out + "/" + $0)))).keys
        }
        XCTAssertEqual(Set(stored.map(\.keyData)), Set((pbKeys + jsonKeys).map(\.keyData)))
        let none = try client(["download"] + connection("FR") + ["--date", "2020-01-01"])
        XCTAssertNotEqual(none.status, 0, none.output)

        let audit = try client(
            ["audit"] + connection("FR") + [
                "--date", today, "--verify", "--trust-anchor", dir.appendingPathComponent("ta.pem").path,
            ])
        XCTAssertEqual(audit.status, 0, audit.output)
        XCTAssertTrue(audit.output.contains("all 2 upload batch(es) in 2 batch(es) verified"), audit.output)
        XCTAssertEqual(audit.output.components(separatedBy: "  ok      DE upload of ").count - 1, 2, audit.output)
        // with another trust anchor every upload batch fails, each named with its country and time
        let otherTA = try CertificateFactory.selfSigned(country: nil, commonName: "other TA", key: .p256)
        let otherTAPath = try fed.write(otherTA, as: "other-ta")
        let badAudit = try client(
            ["audit"] + connection("FR") + ["--date", today, "--verify", "--trust-anchor", otherTAPath])
        XCTAssertEqual(badAudit.status, 1)
        XCTAssertEqual(badAudit.output.components(separatedBy: "FAILED  DE upload of ").count - 1, 2, badAudit.output)
        XCTAssertTrue(
            badAudit.output.contains("operator signature of the authentication certificate does not verify"),
            badAudit.output)

        // callback subscriptions as FR
        let sub = try client(
            ["subscribe"] + connection("FR") + ["--id", "cb-1", "--url", "https://localhost:9443/efgs/callback"])
        XCTAssertEqual(sub.status, 0, sub.output)
        let list = try client(["subscriptions"] + connection("FR"))
        XCTAssertEqual(list.status, 0, list.output)
        XCTAssertTrue(list.output.contains("cb-1  https://localhost:9443/efgs/callback"), list.output)
        let refused = try client(
            ["subscribe"] + connection("FR") + ["--id", "cb-2", "--url", "https://localhost:9443/cb?with=query"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.output.contains("400: Callback URL is invalid"), refused.output)
        XCTAssertEqual(try client(["unsubscribe"] + connection("FR") + ["--id", "cb-1"]).status, 0)
        let gone = try client(["unsubscribe"] + connection("FR") + ["--id", "cb-1"])
        XCTAssertEqual(gone.status, 1)
        XCTAssertTrue(
            gone.output.contains("404: Could not find any callback subscription for the given callbackId."), gone.output
        )
        XCTAssertTrue(try client(["subscriptions"] + connection("FR")).output.contains("no callback subscriptions"))

        // the gateway's certificate is checked: another CA, or none (system roots), refuses the connection
        let wary = try client([
            "subscriptions", "--gateway", "https://localhost:\(server.port)", "--cert",
            files(fed, "FR", "AUTHENTICATION", fed.member("FR").auth).pem,
            "--key", files(fed, "FR", "AUTHENTICATION", fed.member("FR").auth).key,
        ])
        XCTAssertNotEqual(wary.status, 0, wary.output)
    }

    /// `--identity headers` (mode a) and `--identity certificate-header` (mode b): the client speaking as the trusted
    /// proxy (loopback is in auth.trustedProxies by default).
    func testProxyIdentities() async throws {
        try EFGS.requireBinary()
        for (mode, identity) in [("proxyHeaders", "headers"), ("proxyCertificate", "certificate-header")] {
            let dir = try temporaryFolder(self, "client-\(identity)")
            let fed = try Federation(dir: dir, settings: ["auth.mode": mode])
            try fed.addMember("DE")
            let server = try ServeProcess(config: fed.configPath, in: dir)
            defer { server.stop() }
            let auth = files(fed, "DE", "AUTHENTICATION", fed.member("DE").auth)
            let sign = files(fed, "DE", "SIGNING", fed.member("DE").sign)
            let list = try EFGS.run(
                [
                    "client", "subscriptions", "--gateway", "http://127.0.0.1:\(server.port)", "--cert", auth.pem,
                    "--identity", identity,
                ], in: dir)
            XCTAssertEqual(list.status, 0, "\(mode): \(list.output)")
            XCTAssertTrue(list.output.contains("no callback subscriptions"), list.output)
            var batch = DiagnosisKeyBatch()
            batch.keys = freshKeys(2, origin: "DE")
            let file = dir.appendingPathComponent("b.pb").path
            try Data(batch.protobufBytes()).write(to: URL(fileURLWithPath: file))
            let up = try EFGS.run(
                [
                    "client", "upload", "--gateway", "http://127.0.0.1:\(server.port)", "--cert", auth.pem,
                    "--identity", identity,
                    "--batch", file, "--batch-tag", "p-1", "--signing-cert", sign.pem, "--signing-key", sign.key,
                ], in: dir)
            XCTAssertEqual(up.status, 0, "\(mode): \(up.output)")
            // mtls identity without a key is refused before any request
            let noKey = try EFGS.run(
                ["client", "subscriptions", "--gateway", "http://127.0.0.1:\(server.port)", "--cert", auth.pem], in: dir
            )
            XCTAssertNotEqual(noKey.status, 0)
            XCTAssertTrue(noKey.output.contains("--key: required with --identity mtls"), noKey.output)
        }
    }

    /// `efgs client download` against a hostile gateway whose `batchTag` is a path (`../escaped`): refused with one
    /// line, exit 1, and no file written — not outside `--out`, not inside it.
    func testDownloadRefusesABatchTagThatIsNotADownloadBatchTag() async throws {
        try EFGS.requireBinary()
        let dir = try temporaryFolder(self, "client-hostile")
        let out = dir.appendingPathComponent("batches")
        let cert = try CertificateFactory.selfSigned(country: "DE", commonName: "auth-DE", key: .p256)
        let certPath = dir.appendingPathComponent("de-auth.pem").path
        try cert.certificatePEM.write(toFile: certPath, atomically: true, encoding: .utf8)
        for (served, next) in [("../escaped", "null"), ("20260101-1", "../escaped")] {
            let answer: @Sendable (String?) -> (batchTag: String, nextBatchTag: String) = { requested in
                requested == nil ? (served, next) : (requested ?? "", "null")
            }
            let result = try await withHostileGateway(headers: answer) { port in
                try EFGS.run(
                    [
                        "client", "download", "--gateway", "http://127.0.0.1:\(port)", "--cert", certPath,
                        "--identity", "headers", "--date", "2026-01-01", "--follow", "--out", out.path,
                    ], in: dir)
            }
            XCTAssertEqual(result.status, 1, result.output)
            XCTAssertTrue(
                result.output.contains(
                    "the gateway answered \(served == "../escaped" ? "batchTag" : "nextBatchTag") \"../escaped\", "
                        + "which is not a download batch tag (yyyyMMdd-N); refused"), result.output)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("escaped.pb").path))
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), [], "nothing written")
        }
    }
}
