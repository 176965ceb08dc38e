// SPDX-License-Identifier: EUPL-1.2

import EFGSClient
import EFGSCrypto
import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

/// Starts the real `efgs serve` process and speaks HTTP (and TLS) to it with AsyncHTTPClient and curl.
final class ServeProcessTests: XCTestCase {
    /// Mode (a) over real HTTP: upload (protobuf, JSON), 409, batching by the CLI beside the running server,
    /// download by chain, audit verification, exact response header spelling, trusted-proxy rule.
    func testProxyHeadersModeEndToEnd() async throws {
        try EFGS.requireBinary()
        let fed = try Federation(dir: try temporaryFolder(self, "mode-a"))
        try fed.addMember("DE", key: .rsa3072)
        try fed.addMember("FR")
        let server = try ServeProcess(config: fed.configPath, in: fed.dir)
        defer { XCTAssertEqual(server.stop(), 0, "graceful shutdown on SIGTERM exits 0") }
        let base = "http://127.0.0.1:\(server.port)"
        func client(_ c: String) throws -> GatewayClient {
            try fed.client(c, baseURL: base)
        }
        let de = try client("DE")
        let fr = try client("FR")
        let deSigner = try fed.signer("DE")
        let frSigner = try fed.signer("FR")
        let deKeys = freshKeys(30, origin: "DE")
        let deJSON = freshKeys(7, origin: "DE")
        let frKeys = freshKeys(5, origin: "FR")

        let up = try await de.upload(keys: deKeys, batchTag: "2020-9-8-AbCd1A==-0", signer: deSigner)
        XCTAssertEqual(up.status, 201, up.text)
        XCTAssertEqual(up.header("batchTag"), "2020-9-8-AbCd1A==-0")
        XCTAssertEqual(up.body, [])
        try await assertStatus(await de.upload(keys: deJSON, batchTag: "123456", signer: deSigner, format: .json), 201)
        try await assertStatus(
            await fr.upload(keys: frKeys, batchTag: "123456", signer: frSigner), 201, "tags are unique per country only"
        )
        let again = try await de.upload(keys: freshKeys(1, origin: "DE"), batchTag: "123456", signer: deSigner)
        XCTAssertEqual(again.status, 409)
        XCTAssertEqual(again.text, #"{"message":"BatchTag already exists."}"#)
        XCTAssertEqual(server.events("successfull batch upload").count, 3)

        let batch = try EFGS.run(["batch", "--config", fed.configPath], in: fed.dir)
        XCTAssertEqual(batch.status, 0, batch.output)
        XCTAssertTrue(batch.output.contains("created 3 download batch(es)"), batch.output)

        let today = UTCDay(Date()).description
        let frDay = try await fr.downloadDay(date: today)
        XCTAssertEqual(frDay.map(\.keys.count), [30, 7, 0])
        XCTAssertEqual(frDay.flatMap(\.keys), deKeys + deJSON)
        let anchor = try TrustAnchor(pem: String(contentsOf: fed.dir.appendingPathComponent("ta.pem"), encoding: .utf8))
        var verified = 0
        for (tag, keys) in frDay {
            let (resp, entries) = try await fr.audit(date: today, batchTag: tag)
            XCTAssertEqual(resp.status, 200)
            verified += try AuditVerifier(trustAnchor: anchor).verify(keys: keys, entries: entries ?? [])
        }
        XCTAssertEqual(verified, 37)
        let deDay = try await de.downloadDay(date: today, format: .json)
        XCTAssertEqual(deDay.flatMap(\.keys), frKeys)

        // §8.2, §8.8, §8.9: the exact response bytes, read by curl
        let firstTag = frDay[0].tag
        let lastTag = frDay[2].tag
        let fpr = fed.member("FR").auth.thumbprint
        let raw = try Curl.request(
            "\(base)/diagnosiskeys/download/\(today)",
            [
                "-H", "Accept: application/protobuf;version=1.0", "-H", "X-SSL-Client-SHA256: \(fpr)", "-H",
                "X-SSL-Client-DN: C=FR",
                "-H", "batchTag: \(lastTag)",
            ])
        XCTAssertEqual(raw.status, 200)
        XCTAssertTrue(raw.headerLines.contains("batchTag: \(lastTag)"), "\(raw.headerLines)")
        XCTAssertTrue(raw.headerLines.contains("nextBatchTag: null"), "\(raw.headerLines)")
        XCTAssertTrue(raw.headerLines.contains("Content-Type: application/protobuf;version=1.0"), "\(raw.headerLines)")
        XCTAssertTrue(raw.headerLines.contains("X-Protobuf-Schema: Efgs.proto"), "\(raw.headerLines)")
        XCTAssertTrue(
            raw.headerLines.contains("X-Protobuf-Message: eu.interop.DiagnosisKeyBatch"), "\(raw.headerLines)")
        XCTAssertNotEqual(firstTag, lastTag)

        // headers the client sends itself are believed only from a trusted proxy: loopback is trusted here, so
        // a gateway that trusts only 10.0.0.0/8 must refuse the same request from 127.0.0.1
        fed.settings["auth.trustedProxies"] = "10.0.0.0/8"
        try fed.writeConfig()
        let strict = try ServeProcess(config: fed.configPath, in: fed.dir)
        defer { strict.stop() }
        let refused = try Curl.request(
            "http://127.0.0.1:\(strict.port)/diagnosiskeys/callback",
            [
                "-H", "X-SSL-Client-SHA256: \(fpr)", "-H", "X-SSL-Client-DN: C=FR", "-H", "X-Forwarded-For: 10.1.2.3",
            ])
        XCTAssertEqual(refused.status, 403)
        XCTAssertEqual(refused.body, #"{"message":"Client is not authorized to access the service"}"#)
        XCTAssertEqual(strict.events("Untrusted proxy address").count, 1)
        for c in [de, fr] { try await c.shutdown() }
    }

    /// §5.1 limits over real HTTP: 16 KiB header values and 32 KiB header sections are accepted, larger → 431;
    /// bodies over `upload.maxBodyBytes` → 413 with Content-Length or chunked; a chunked body under the limit works.
    func testHeaderAndBodyLimitsOverHTTP() async throws {
        try EFGS.requireBinary()
        let dir = try temporaryFolder(self, "limits")
        let fed = try Federation(dir: dir, settings: ["upload.maxBodyBytes": "4096"])
        try fed.addMember("DE")
        let server = try ServeProcess(config: fed.configPath, in: dir)
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/diagnosiskeys/callback"
        let auth = ["-H", "X-SSL-Client-SHA256: \(fed.member("DE").auth.thumbprint)", "-H", "X-SSL-Client-DN: C=DE"]
        let v16k = String(repeating: "a", count: 16 * 1024)
        try XCTAssertEqual(
            Curl.request(url, auth + ["-H", "X-Padding: \(v16k)"]).status, 200, "a 16 KiB header value is accepted")
        let big = try Curl.request(url, auth + ["-H", "X-Padding: \(v16k)b"])
        XCTAssertEqual(big.status, 431)
        XCTAssertEqual(big.header("Content-Type"), "application/json")
        let v10k = String(repeating: "c", count: 10 * 1024)
        try XCTAssertEqual(
            Curl.request(url, auth + ["-H", "X-A: \(v10k)", "-H", "X-B: \(v10k)", "-H", "X-C: \(v10k)"]).status, 200,
            "a 30 KiB header section is accepted")
        try XCTAssertEqual(
            Curl.request(
                url, auth + ["-H", "X-A: \(v10k)", "-H", "X-B: \(v10k)", "-H", "X-C: \(v10k)", "-H", "X-D: \(v10k)"]
            ).status, 431)

        // bodies
        let keys = freshKeys(3, origin: "DE")
        let signature = try fed.signer("DE").sign(keys: keys)
        var batch = DiagnosisKeyBatch()
        batch.keys = keys
        let small = dir.appendingPathComponent("small.bin")
        let large = dir.appendingPathComponent("large.bin")
        try Data(batch.protobufBytes()).write(to: small)
        try Data(repeating: 0x0A, count: 8192).write(to: large)
        let upload = "http://127.0.0.1:\(server.port)/diagnosiskeys/upload"
        let headers =
            auth + ["-H", "Content-Type: application/protobuf; version=1.0", "-H", "batchSignature: \(signature)"]
        for chunked in [false, true] {
            let te = chunked ? ["-H", "Transfer-Encoding: chunked"] : []
            let r = try Curl.request(
                upload, headers + te + ["-H", "batchTag: big-\(chunked)", "--data-binary", "@\(large.path)"])
            XCTAssertEqual(r.status, 413, "chunked \(chunked)")
            XCTAssertEqual(r.body, #"{"message":"Request body too large"}"#)
        }
        let ok = try Curl.request(
            upload,
            headers + [
                "-H", "Transfer-Encoding: chunked", "-H", "batchTag: chunked-ok", "--data-binary", "@\(small.path)",
            ])
        XCTAssertEqual(ok.status, 201, ok.body)
        XCTAssertTrue(ok.headerLines.contains("batchTag: chunked-ok"), "\(ok.headerLines)")
        XCTAssertTrue(ok.headerLines.contains("Content-Length: 0"), "\(ok.headerLines)")
        // garbage never gives a 500
        for body in [Data([0xFF, 0xFF, 0xFF]), Data("{\"keys\": [".utf8)] {
            try body.write(to: small)
            let r = try Curl.request(upload, headers + ["-H", "batchTag: garbage", "--data-binary", "@\(small.path)"])
            XCTAssertEqual(r.status, 400)
            XCTAssertEqual(r.body, #"{"message":"Failed to read request"}"#)
        }
        XCTAssertTrue(server.events("Internal Server Error").isEmpty)
    }

    /// Mode (b): the proxy forwards the client certificate as URL-encoded PEM (nginx `$ssl_client_escaped_cert`).
    func testProxyCertificateMode() async throws {
        try EFGS.requireBinary()
        let fed = try Federation(dir: try temporaryFolder(self, "mode-b"), settings: ["auth.mode": "proxyCertificate"])
        try fed.addMember("DE")
        let server = try ServeProcess(config: fed.configPath, in: fed.dir)
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/diagnosiskeys/callback"
        func get(_ headers: [String]) throws -> Curl.Result { try Curl.request(url, headers.flatMap { ["-H", $0] }) }
        let pem = fed.member("DE").auth.certificatePEM
        XCTAssertEqual(try get(["X-SSL-Client-Cert: \(nginxEscaped(pem))"]).body, "[]")
        XCTAssertEqual(try get(["x-ssl-client-cert: \(nginxEscaped(pem))"]).status, 200, "header names in any case")
        let bareDER = Base64.encodeString(fed.member("DE").auth.der)
        XCTAssertEqual(try get(["X-SSL-Client-Cert: \(nginxEscaped(bareDER))"]).status, 200, "bare Base64 DER accepted")
        // mode (a) headers mean nothing in mode (b)
        let tpOnly = try get(["X-SSL-Client-SHA256: \(fed.member("DE").auth.thumbprint)", "X-SSL-Client-DN: C=DE"])
        XCTAssertEqual(tpOnly.status, 403)
        XCTAssertEqual(tpOnly.body, #"{"message":"Client is not authorized to access the service"}"#)
        XCTAssertEqual(try get(["X-SSL-Client-Cert: not%20a%20certificate"]).status, 403)
        let expired = try CertificateFactory.selfSigned(
            country: "DE", commonName: "old", key: .p256,
            notBefore: Date().addingTimeInterval(-90 * 86_400), notAfter: Date().addingTimeInterval(-86_400))
        XCTAssertEqual(try get(["X-SSL-Client-Cert: \(nginxEscaped(expired.certificatePEM))"]).status, 403)
        XCTAssertEqual(server.events("Client certificate is not valid now").count, 1)
        let unknown = try CertificateFactory.selfSigned(country: "DE", commonName: "unknown", key: .p256)
        XCTAssertEqual(try get(["X-SSL-Client-Cert: \(nginxEscaped(unknown.certificatePEM))"]).status, 403)
        XCTAssertEqual(server.events("Unknown client certificate").count, 1)
        let noCountry = try CertificateFactory.selfSigned(country: nil, commonName: "nobody", key: .p256)
        XCTAssertEqual(
            try get(["X-SSL-Client-Cert: \(nginxEscaped(noCountry.certificatePEM))"]).body,
            #"{"message":"Client Certificate must contain country property"}"#)
    }

    /// Mode (c): the gateway terminates TLS and requires a client certificate; AsyncHTTPClient and curl are the
    /// real TLS clients. Unknown and expired certificates get 403; no certificate fails the handshake; identity
    /// headers are ignored.
    func testMutualTLSMode() async throws {
        try EFGS.requireBinary()
        let dir = try temporaryFolder(self, "mode-c")
        let (fed, _, serverCert) = try Federation.mutualTLS(dir: dir)
        try fed.writeConfig()
        try fed.addMember("DE")
        try fed.addMember("FR", key: .rsa3072)
        let server = try ServeProcess(config: fed.configPath, in: dir)
        defer { server.stop() }
        let base = "https://127.0.0.1:\(server.port)"

        // AsyncHTTPClient with the registered client certificate, trusting exactly the gateway's certificate for the
        // host name: a whole upload/download round
        func client(_ c: String, trusting pem: String = serverCert.certificatePEM) throws -> GatewayClient {
            try GatewayClient(
                baseURL: "https://localhost:\(server.port)",
                identity: .mutualTLS(
                    certificatePEM: fed.member(c).auth.certificatePEM, privateKeyPEM: fed.member(c).auth.privateKeyPEM),
                serverTrust: .certificates(pem: pem))
        }
        // a client that trusts another certificate does not talk to this gateway
        let wary = try client(
            "DE",
            trusting: try CertificateFactory.selfSigned(
                country: nil, commonName: "localhost", key: .p256, dnsNames: ["localhost"]
            ).certificatePEM)
        do {
            _ = try await wary.subscriptions()
            XCTFail("the gateway's certificate was not checked")
        } catch {}
        try await wary.shutdown()
        let de = try client("DE")
        let fr = try client("FR")
        let keys = freshKeys(4, origin: "DE")
        try await assertStatus(
            await de.upload(
                keys: keys, batchTag: "mtls-1",
                signer: fed.signer("DE")), 201)
        XCTAssertEqual(try EFGS.run(["batch", "--config", fed.configPath], in: dir).status, 0)
        let day = try await fr.downloadDay(date: UTCDay(Date()).description)
        XCTAssertEqual(day.flatMap(\.keys), keys)
        try await de.shutdown()
        try await fr.shutdown()

        // curl as a second TLS client
        let url = base + "/diagnosiskeys/callback"
        func curl(cert: String?, key: String?, headers: [String] = []) throws -> Curl.Result {
            var args = ["-k"]
            if let cert, let key { args += ["--cert", cert, "--key", key] }
            return try Curl.request(url, args + headers.flatMap { ["-H", $0] })
        }
        let dePEM = dir.appendingPathComponent("de-authentication-\(fed.member("DE").auth.thumbprint.prefix(8))")
        let registered = try curl(cert: dePEM.path + ".pem", key: dePEM.path + ".key")
        XCTAssertEqual(registered.status, 200)
        XCTAssertEqual(registered.body, "[]")
        let noCert = try curl(cert: nil, key: nil)
        XCTAssertNotEqual(noCert.exitCode, 0, "the handshake requires a client certificate")
        XCTAssertEqual(noCert.status, 0)
        let unknown = try CertificateFactory.selfSigned(country: "DE", commonName: "unknown", key: .p256)
        let unknownPEM = try fed.write(unknown, as: "unknown")
        // identity headers naming a registered certificate are ignored in this mode
        let spoof = try curl(
            cert: unknownPEM, key: dir.appendingPathComponent("unknown.key").path,
            headers: ["X-SSL-Client-SHA256: \(fed.member("DE").auth.thumbprint)", "X-SSL-Client-DN: C=DE"])
        XCTAssertEqual(spoof.status, 403)
        XCTAssertEqual(spoof.body, #"{"message":"Client is not authorized to access the service"}"#)
        let expired = try CertificateFactory.selfSigned(
            country: "DE", commonName: "old", key: .p256,
            notBefore: Date().addingTimeInterval(-90 * 86_400), notAfter: Date().addingTimeInterval(-86_400))
        let expiredPEM = try fed.write(expired, as: "expired")
        XCTAssertEqual(try curl(cert: expiredPEM, key: dir.appendingPathComponent("expired.key").path).status, 403)
        XCTAssertEqual(server.events("Client certificate is not valid now").count, 1)
        // a revoked row is refused with its own message, with no restart
        let revoke = try EFGS.run(
            [
                "cert", "revoke", "--config", fed.configPath, "--thumbprint", fed.member("DE").auth.thumbprint,
                "--type", "AUTHENTICATION",
            ], in: dir)
        XCTAssertEqual(revoke.status, 0, revoke.output)
        let revoked = try curl(cert: dePEM.path + ".pem", key: dePEM.path + ".key")
        XCTAssertEqual(revoked.status, 403)
        XCTAssertEqual(revoked.body, #"{"message":"Client certificate is revoked"}"#)
    }

    /// Issue 12, finding 1: in mutual-TLS mode a connection that never starts its TLS handshake, and one that stalls
    /// in the middle of its first record, are closed at `server.tlsHandshakeTimeout` (here 1 s; the request-head
    /// and idle deadlines are far later, so only the handshake's can close them); a registered client is served as
    /// before, and `/metrics` counts both with the reason `tls_handshake_timeout`. Before, such a connection was
    /// held for as long as the peer liked: enough of them took every file descriptor.
    func testAStalledTLSHandshakeIsDisconnectedAtTheHandshakeDeadline() async throws {
        try EFGS.requireBinary()
        let dir = try temporaryFolder(self, "tls-handshake")
        let (fed, _, serverCert) = try Federation.mutualTLS(
            dir: dir,
            extra: [
                "server.tlsHandshakeTimeout": "1", "server.requestHeadTimeout": "30", "server.idleTimeout": "60",
                "admin.port": "0",
            ])
        try fed.writeConfig()
        try fed.addMember("DE")
        let server = try ServeProcess(config: fed.configPath, in: dir)
        defer { server.stop() }
        let silent = try RawConnection(port: server.port)
        let stalled = try RawConnection(port: server.port)
        // a TLS record header (handshake, TLS 1.0 record version) announcing 512 bytes that never come
        XCTAssertTrue(stalled.send("\u{16}\u{03}\u{01}\u{02}\u{00}"))
        let start = Date()
        XCTAssertFalse(silent.waitForClose(seconds: 0.5), "not closed before the deadline")
        XCTAssertTrue(silent.waitForClose(seconds: 3), "the silent connection was closed")
        XCTAssertTrue(stalled.waitForClose(seconds: 1), "the stalled handshake was closed")
        XCTAssertLessThan(Date().timeIntervalSince(start), 3.5, "at the 1 s handshake deadline, not later")
        let de = try GatewayClient(
            baseURL: "https://localhost:\(server.port)",
            identity: .mutualTLS(
                certificatePEM: fed.member("DE").auth.certificatePEM, privateKeyPEM: fed.member("DE").auth.privateKeyPEM
            ),
            serverTrust: .certificates(pem: serverCert.certificatePEM))
        let served = try await de.subscriptions()
        try await de.shutdown()
        XCTAssertEqual(served.response.status, 200, "a registered client is served as before")
        let admin = "http://127.0.0.1:\(try XCTUnwrap(server.port(ofEvent: "Admin listening"), server.output))"
        let metrics = try Curl.request(admin + "/metrics").body
        XCTAssertTrue(
            metrics.contains(#"efgs_http_connections_closed_total{reason="tls_handshake_timeout"} 2"#), metrics)
    }

    /// `efgs serve` notifies a subscriber within seconds of a batching run that created a batch (the executor runs
    /// right after batching, not only every `callback.executeInterval`), over mutual TLS, pinned to the CALLBACK row
    /// onboarded with `cert import`.
    func testServeDeliversCallbacksRightAfterBatching() async throws {
        try EFGS.requireBinary()
        let fed = try Federation(
            dir: try temporaryFolder(self, "callbacks"),
            settings: ["callback.allowLoopback": "true", "batching.interval": "2", "callback.executeInterval": "3600"])
        try fed.addMember("DE")
        try fed.addMember("FR")
        let endpointCert = try CertificateFactory.selfSigned(
            country: "FR", commonName: "callback.fr", key: .p256, dnsNames: ["localhost"],
            ipAddresses: [[127, 0, 0, 1]])
        let imported = try fed.onboard(endpointCert, country: "FR", type: "CALLBACK")
        XCTAssertEqual(imported.status, 0, imported.output)
        let endpoint = try TestCallbackServer(identity: endpointCert)
        defer { endpoint.stop() }
        let server = try ServeProcess(config: fed.configPath, in: fed.dir)
        defer { server.stop() }
        XCTAssertEqual(
            server.events("Loopback callback targets are allowed").count, 1, "the development switch is loud")
        let base = "http://127.0.0.1:\(server.port)"
        let fr = ["-H", "X-SSL-Client-SHA256: \(fed.member("FR").auth.thumbprint)", "-H", "X-SSL-Client-DN: C=FR"]
        // MT style: the url parameter unencoded
        let put = try Curl.request(
            "\(base)/diagnosiskeys/callback/fr-1?url=https://127.0.0.1:\(endpoint.port)/efgs/cb", ["-X", "PUT"] + fr)
        XCTAssertEqual(put.status, 200, put.body)
        let de = try fed.client("DE", baseURL: base)
        try await assertStatus(
            await de.upload(
                keys: freshKeys(3, origin: "DE"), batchTag: "cb-1",
                signer: fed.signer("DE")), 201)
        try await de.shutdown()
        let uploaded = Date()
        while endpoint.requests.isEmpty && Date().timeIntervalSince(uploaded) < 20 {
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        XCTAssertLessThan(
            Date().timeIntervalSince(uploaded), 10, "within seconds of batching, not callback.executeInterval (3600 s)")
        XCTAssertEqual(endpoint.requests.count, 1, String(server.output.suffix(3000)))
        XCTAssertEqual(endpoint.requests.first?.query["batchTag"], "\(UTCDay(Date()).compact)-1")
        XCTAssertEqual(endpoint.requests.first?.query["date"], UTCDay(Date()).description)
        XCTAssertEqual(endpoint.requests.first?.clientCertificateThumbprint, fed.callbackClientThumbprint)
        for _ in 0..<20
        where server.events("Successfully executed callback. Deleting callback task from database").isEmpty {
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        XCTAssertEqual(server.events("Successfully executed callback. Deleting callback task from database").count, 1)
        // the one-shot commands on the same database
        let deliver = try EFGS.run(["deliver-callbacks", "--config", fed.configPath], in: fed.dir)
        XCTAssertEqual(deliver.status, 0, deliver.output)
        XCTAssertTrue(
            deliver.output.contains("delivered 0, failed 0 (dropped after the last retry: 0); 0 task(s) pending"),
            deliver.output)
        let release = try EFGS.run(["release-callback-locks", "--config", fed.configPath], in: fed.dir)
        XCTAssertTrue(release.output.contains("released 0 lock(s)"), release.output)
        // serve and deliver-callbacks refuse to start without the callback client identity, naming the setting
        fed.settings["callback.clientCertificatePath"] = fed.dir.appendingPathComponent("missing.pem").path
        try fed.writeConfig()
        let refused = try EFGS.run(["deliver-callbacks", "--config", fed.configPath], in: fed.dir)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.output.contains("callback.clientCertificatePath"), refused.output)
    }

    /// A restart right after serving keep-alive clients: the connections the stopping gateway closed leave its port
    /// in TIME_WAIT, which the start-up check of a busy port must not take for a listener. Before, the second start
    /// failed with `server.port: cannot listen on …: Address already in use` (found by tools/package-check.sh), so
    /// `systemctl restart efgs` failed on a gateway that had served traffic.
    func testRestartRightAfterServingKeepAliveClients() async throws {
        try EFGS.requireBinary()
        let port = try freeLoopbackPort()
        let fed = try Federation(dir: try temporaryFolder(self, "restart"), settings: ["server.port": String(port)])
        try fed.addMember("DE")
        let first = try ServeProcess(config: fed.configPath, in: fed.dir)
        let de = try fed.client("DE", baseURL: "http://127.0.0.1:\(port)")
        do {
            for _ in 0..<3 { _ = try await de.download(date: UTCDay(Date()).description) }
            // the client keeps its connection open: the gateway closes it when it stops
            XCTAssertEqual(first.stop(), 0, "graceful stop, closing the idle keep-alive connection")
        } catch {
            first.stop()
            try? await de.shutdown()
            throw error
        }
        try await de.shutdown()
        let second = try ServeProcess(config: fed.configPath, in: fed.dir)
        defer { second.stop() }
        XCTAssertEqual(second.port, port)
    }

    /// Version tracking (issue 15): `efgs --version` names the version and the commit (unknown in a developer build),
    /// every response carries `Server: efgs-swift/VERSION` unless `server.serverHeader` is false, and `/readyz` and
    /// the `Gateway listening` event name the version.
    func testVersionInEveryPlaceAndTheServerHeaderSwitch() async throws {
        try EFGS.requireBinary()
        let shown = try EFGS.run(["--version"], in: try temporaryFolder(self, "version"))
        XCTAssertEqual(shown.status, 0)
        XCTAssertTrue(shown.output.hasPrefix("efgs-swift \(EFGSVersion.current) (commit "), shown.output)
        for header in [true, false] {
            let fed = try Federation(
                dir: try temporaryFolder(self, "server-header-\(header)"),
                settings: ["admin.port": "0", "server.serverHeader": header ? "true" : "false"])
            try fed.addMember("DE")
            let server = try ServeProcess(config: fed.configPath, in: fed.dir)
            defer { server.stop() }
            let answer = try Curl.request("http://127.0.0.1:\(server.port)/diagnosiskeys/download/2026-01-01")
            XCTAssertEqual(answer.status, 406, "no Accept: refused, with or without the header")
            XCTAssertEqual(answer.header("Server"), header ? "efgs-swift/\(EFGSVersion.current)" : nil)
            let admin = try XCTUnwrap(server.port(ofEvent: "Admin listening"), server.output)
            let ready = try Curl.request("http://127.0.0.1:\(admin)/readyz")
            XCTAssertTrue(
                ready.body.hasSuffix(#","version":"\#(EFGSVersion.current)","commit":"unknown"}"#), ready.body)
            let listening = try XCTUnwrap(server.events("Gateway listening").first)
            XCTAssertTrue(listening.contains(#"version="\#(EFGSVersion.current)""#), String(listening))
        }
    }

    /// The admin listener (`admin.port`): `/healthz`, `/readyz` and Prometheus `/metrics`, separate from the public
    /// port (which does not serve them, as the admin port does not serve the API).
    func testAdminListenerHealthReadinessAndMetrics() async throws {
        try EFGS.requireBinary()
        let fed = try Federation(dir: try temporaryFolder(self, "admin"), settings: ["admin.port": "0"])
        try fed.addMember("DE")
        let server = try ServeProcess(config: fed.configPath, in: fed.dir)
        defer { server.stop() }
        let adminPort = server.port(ofEvent: "Admin listening")
        let admin = "http://127.0.0.1:\(try XCTUnwrap(adminPort, server.output))"
        let health = try Curl.request(admin + "/healthz")
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(health.body, #"{"status":"up"}"#)
        let ready = try Curl.request(admin + "/readyz")
        XCTAssertEqual(ready.status, 200)
        XCTAssertTrue(
            ready.body.hasPrefix(
                #"{"status":"ready","checks":{"database":"ok: reachable","migrations":"ok: schema version 4 of 4","trustAnchor":"ok: loaded"#
            ), ready.body)

        let base = "http://127.0.0.1:\(server.port)"
        let de = try fed.client("DE", baseURL: base)
        let signer = try fed.signer("DE")
        try await assertStatus(await de.upload(keys: freshKeys(3, origin: "DE"), batchTag: "m-1", signer: signer), 201)
        let bad = try await de.send(
            method: .POST, path: "/diagnosiskeys/upload",
            headers: [
                ("Content-Type", "application/protobuf; version=1.0"), ("batchTag", "m-2"), ("batchSignature", "AAAA"),
            ],
            body: {
                var b = DiagnosisKeyBatch()
                b.keys = freshKeys(1, origin: "DE")
                return b.protobufBytes()
            }())
        XCTAssertEqual(bad.status, 400)
        try await de.shutdown()

        let metrics = try Curl.request(admin + "/metrics")
        XCTAssertEqual(metrics.status, 200)
        XCTAssertTrue(metrics.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") ?? false)
        for expected in [
            #"efgs_http_requests_total{endpoint="upload",status="201"} 1"#,
            #"efgs_http_requests_total{endpoint="upload",status="400"} 1"#,
            #"efgs_uploads_total{country="DE"} 1"#, #"efgs_uploaded_keys_total{country="DE"} 3"#,
            #"efgs_signature_failures_total{reason="error verifying batch signature"} 1"#, "efgs_unbatched_keys 3",
            "efgs_callback_tasks_pending 0", #"efgs_http_request_duration_seconds_count{endpoint="upload"} 2"#,
            #"efgs_db_connections_max{store="sqlite"} 2"#, #"efgs_db_connections_in_use{store="sqlite"} 0"#,
            #"efgs_db_connection_wait_seconds_count{store="sqlite"} "#,
            #"efgs_db_transactions_per_commit_count{store="sqlite"} "#,
            #"efgs_db_transactions_per_commit_bucket{store="sqlite",le="4.0"} "#,
            // the federation-health gauges read at the scrape (docs/metrics.md)
            "efgs_keys_stored 3", #"efgs_country_last_upload_age_seconds{country="DE"} "#,
            #"efgs_certificate_expiry_seconds{country="DE",type="AUTHENTICATION",thumbprint=""#
                + fed.member("DE").auth.thumbprint.prefix(16) + #""} "#,
            "efgs_trust_anchor_expiry_seconds{thumbprint=", "efgs_database_size_bytes ",
            "efgs_oldest_unbatched_upload_age_seconds ", "efgs_ready 1",
            // the jobs ran at start
            #"efgs_job_last_success_timestamp_seconds{job="batching"} "#,
            #"efgs_job_last_success_timestamp_seconds{job="key-retention"} "#,
        ] {
            XCTAssertTrue(metrics.body.contains(expected), "\(expected) in:\n\(metrics.body)")
        }
        // Prometheus's own linter finds nothing but the missing HELP texts (swift-metrics has no help strings)
        let lint = try runProcess(
            URL(fileURLWithPath: "/usr/bin/promtool"), ["check", "metrics"], stdin: Data(metrics.body.utf8))
        let problems = lint.output.split(separator: "\n").filter { !$0.hasSuffix(" no help text") }
        XCTAssertEqual(problems, [], lint.output)
        // the ports do not serve each other's paths
        XCTAssertEqual(try Curl.request(base + "/metrics").status, 404)
        XCTAssertEqual(try Curl.request(base + "/healthz").status, 404)
        XCTAssertEqual(try Curl.request(admin + "/diagnosiskeys/callback").status, 404)
    }

    /// `efgs country list` / `efgs country disconnect XX` (offboarding) on a running gateway's database.
    func testCountryListAndDisconnect() async throws {
        try EFGS.requireBinary()
        let fed = try Federation(dir: try temporaryFolder(self, "country"))
        try fed.addMember("DE")
        try fed.addMember("FR")
        let server = try ServeProcess(config: fed.configPath, in: fed.dir)
        defer { server.stop() }
        let base = "http://127.0.0.1:\(server.port)"
        let fr = try fed.client("FR", baseURL: base)
        let signer = try fed.signer("FR")
        try await assertStatus(await fr.upload(keys: freshKeys(2, origin: "FR"), batchTag: "c-1", signer: signer), 201)

        let list = try EFGS.run(["country", "list", "--config", fed.configPath], in: fed.dir)
        XCTAssertEqual(list.status, 0, list.output)
        let lines = list.output.split(separator: "\n").map(String.init)
        XCTAssertTrue(
            lines.contains {
                $0.hasPrefix("DE  connected  last upload never  last download never  callback subscriptions 0")
            }, list.output)
        XCTAssertTrue(lines.contains { $0.hasPrefix("FR  connected  last upload 20") }, list.output)
        XCTAssertEqual(
            lines.filter { $0.contains("active") && $0.contains(fed.member("FR").auth.thumbprint) }.count, 1,
            list.output)

        let bad = try EFGS.run(["country", "disconnect", "fr", "--config", fed.configPath], in: fed.dir)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("two upper-case letters"), bad.output)
        let off = try EFGS.run(
            ["country", "disconnect", "FR", "--reason", "test offboarding", "--config", fed.configPath], in: fed.dir)
        XCTAssertEqual(off.status, 0, off.output)
        XCTAssertTrue(
            off.output.contains("FR disconnected: 2 certificate row(s) revoked, 0 callback subscription(s) deleted"),
            off.output)
        // the running gateway refuses FR at once; DE still works
        let refused = try await fr.upload(keys: freshKeys(1, origin: "FR"), batchTag: "c-2", signer: signer)
        XCTAssertEqual(refused.status, 403)
        XCTAssertEqual(refused.text, #"{"message":"Client certificate is revoked"}"#)
        try await fr.shutdown()
        let after = try EFGS.run(["country", "list", "--config", fed.configPath], in: fed.dir)
        XCTAssertTrue(after.output.contains("FR  DISCONNECTED"), after.output)
        XCTAssertTrue(after.output.contains("DE  connected"), after.output)
        XCTAssertEqual(after.output.split(separator: "\n").filter { $0.contains(" revoked ") }.count, 2, after.output)
        let again = try EFGS.run(["country", "disconnect", "FR", "--config", fed.configPath], in: fed.dir)
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.output.contains("nothing was active for FR"), again.output)
    }

    /// `cert import` applies the onboarding review and the integrity check.
    func testCertImportOnboardingReview() throws {
        try EFGS.requireBinary()
        let fed = try Federation(dir: try temporaryFolder(self, "import"))
        let good = try CertificateFactory.selfSigned(country: "DE", commonName: "ok", key: .p256)
        let ok = try fed.onboard(good, country: "DE", type: "AUTHENTICATION")
        XCTAssertEqual(ok.status, 0, ok.output)
        XCTAssertTrue(ok.output.contains("thumbprint \(good.thumbprint)"), ok.output)
        XCTAssertNotEqual(
            try fed.onboard(good, country: "DE", type: "AUTHENTICATION").status, 0, "duplicate row refused")
        let wrongCountry = try fed.onboard(
            try CertificateFactory.selfSigned(country: "FR", commonName: "fr", key: .p256), country: "DE",
            type: "SIGNING")
        XCTAssertNotEqual(wrongCountry.status, 0)
        XCTAssertTrue(wrongCountry.output.contains("exactly one C equal to DE"), wrongCountry.output)
        let rsa2048 = try CertificateFactory.selfSigned(country: "DE", commonName: "weak", key: .rsa2048)
        let refused = try fed.onboard(rsa2048, country: "DE", type: "SIGNING")
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.output.contains("3072"), refused.output)
        let overridden = try fed.onboard(rsa2048, country: "DE", type: "SIGNING", extra: ["--allow-rsa2048"])
        XCTAssertEqual(overridden.status, 0, overridden.output)
        XCTAssertTrue(overridden.output.contains("WARNING: RSA-2048"), overridden.output)
        let soon = try CertificateFactory.selfSigned(
            country: "DE", commonName: "soon", key: .p256, notAfter: Date().addingTimeInterval(30 * 86_400))
        let warned = try fed.onboard(soon, country: "DE", type: "SIGNING")
        XCTAssertEqual(warned.status, 0, warned.output)
        XCTAssertTrue(warned.output.contains("WARNING: certificate expires within 3 months"), warned.output)
        // a signature made for another certificate fails the integrity check
        let other = try CertificateFactory.selfSigned(country: "DE", commonName: "other", key: .p256)
        let otherPEM = try fed.write(other, as: "other")
        let wrongSig = try EFGS.run(
            [
                "cert", "sign", "--ta-key", fed.dir.appendingPathComponent("ta.key").path, "--pem",
                try fed.write(good, as: "good"),
            ], in: fed.dir)
        let bad = try EFGS.run(
            [
                "cert", "import", "--config", fed.configPath, "--type", "CALLBACK", "--country", "DE", "--pem",
                otherPEM,
                "--signature", String(wrongSig.output.split(separator: "\n").last ?? ""),
            ], in: fed.dir)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("integrity check"), bad.output)
        let list = try EFGS.run(["cert", "verify", "--config", fed.configPath], in: fed.dir)
        XCTAssertTrue(list.output.contains("3 of 3 row(s) pass the integrity check"), list.output)
        // the operator audit trail: every import and refusal after the store opened, with operator and ticket
        let revoke = try EFGS.run(
            [
                "cert", "revoke", "--config", fed.configPath, "--thumbprint", soon.thumbprint, "--type", "SIGNING",
                "--operator", "alice", "--ticket", "CHG-42",
            ], in: fed.dir)
        XCTAssertEqual(revoke.status, 0, revoke.output)
        XCTAssertTrue(revoke.output.contains("class=\"OperatorAudit\""), "an event line: \(revoke.output)")
        let csv = try EFGS.run(["operator-events", "--config", fed.configPath, "--format", "csv"], in: fed.dir)
        XCTAssertEqual(csv.status, 0, csv.output)
        let rows = csv.output.split(separator: "\n").filter { $0.hasPrefix("\"") }
        XCTAssertEqual(rows.filter { $0.contains("\"cert import\"") }.count, 5, csv.output)
        XCTAssertEqual(rows.filter { $0.contains("\"imported") }.count, 3, csv.output)
        XCTAssertTrue(rows.contains { $0.contains("\"cert revoke\",\"alice\",\"CHG-42\",\"DE\"") }, csv.output)
        let json = try EFGS.run(
            ["operator-events", "--config", fed.configPath, "--format", "json", "--country", "FR"], in: fed.dir)
        XCTAssertEqual(json.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").last, "[]")
    }

    /// A certificate submitted as PKCS#12 (made here by the OpenSSL CLI) is signed and imported like a PEM one; a
    /// wrong password and a file holding a private key are refused with their reason.
    func testCertSignAndImportFromPKCS12() throws {
        try EFGS.requireBinary()
        let fed = try Federation(dir: try temporaryFolder(self, "pkcs12"))
        let cert = try CertificateFactory.selfSigned(country: "NL", commonName: "efgs-auth.nl", key: .p256)
        let pem = try fed.write(cert, as: "nl-auth")
        let p12 = fed.dir.appendingPathComponent("nl-auth.p12").path
        let withKey = fed.dir.appendingPathComponent("nl-auth-key.p12").path
        let openssl = URL(fileURLWithPath: "/usr/bin/openssl")
        XCTAssertEqual(
            try runProcess(
                openssl, ["pkcs12", "-export", "-nokeys", "-in", pem, "-out", p12, "-passout", "pass:nl secret"]
            ).status, 0)
        XCTAssertEqual(
            try runProcess(
                openssl,
                [
                    "pkcs12", "-export", "-in", pem, "-inkey", fed.dir.appendingPathComponent("nl-auth.key").path,
                    "-out", withKey, "-passout", "pass:nl secret",
                ]
            ).status, 0)
        let passwordFile = fed.dir.appendingPathComponent("p12-password").path
        try "nl secret\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)

        let sign = try EFGS.run(
            [
                "cert", "sign", "--ta-key", fed.dir.appendingPathComponent("ta.key").path, "--pkcs12", p12,
                "--pkcs12-password-file", passwordFile,
            ], in: fed.dir)
        XCTAssertEqual(sign.status, 0, sign.output)
        XCTAssertTrue(sign.output.contains("SHA-256 thumbprint \(cert.thumbprint)"), sign.output)
        let signature = String(sign.output.split(separator: "\n").last ?? "")
        let imported = try EFGS.run(
            [
                "cert", "import", "--config", fed.configPath, "--type", "AUTHENTICATION", "--country", "NL",
                "--pkcs12", p12, "--signature", signature,
            ], in: fed.dir, environment: ["EFGS_PKCS12_PASSWORD": "nl secret"])
        XCTAssertEqual(imported.status, 0, imported.output)
        XCTAssertTrue(
            imported.output.contains("imported AUTHENTICATION certificate for NL: thumbprint \(cert.thumbprint)"),
            imported.output)
        XCTAssertTrue(
            try EFGS.run(["cert", "verify", "--config", fed.configPath], in: fed.dir).output.contains(
                "1 of 1 row(s) pass"))

        let wrong = try EFGS.run(
            [
                "cert", "import", "--config", fed.configPath, "--type", "SIGNING", "--country", "NL", "--pkcs12", p12,
                "--signature", signature,
            ], in: fed.dir, environment: ["EFGS_PKCS12_PASSWORD": "guess"])
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.output.contains("wrong password"), wrong.output)
        let keyed = try EFGS.run(
            [
                "cert", "sign", "--ta-key", fed.dir.appendingPathComponent("ta.key").path, "--pkcs12", withKey,
                "--pkcs12-password-file", passwordFile,
            ], in: fed.dir)
        XCTAssertNotEqual(keyed.status, 0)
        XCTAssertTrue(keyed.output.contains("holds a private key"), keyed.output)
        let both = try EFGS.run(["cert", "sign", "--ta-key", "x", "--pem", pem, "--pkcs12", p12], in: fed.dir)
        XCTAssertTrue(both.output.contains("give exactly one of --pem and --pkcs12"), both.output)
    }

    /// A stdout nobody reads (a stalled journald) fills its pipe, after which every write to it blocks. `efgs serve`
    /// writes its event lines from a thread of their own, so it goes on answering; once stdout is read again, every
    /// line arrives. Before, the download that logged the line after the pipe was full never answered, and neither
    /// did any request after it.
    func testAStdoutNobodyReadsStopsNoRequest() async throws {
        try EFGS.requireBinary()
        let fed = try Federation(dir: try temporaryFolder(self, "stalled-stdout"))
        try fed.addMember("DE")
        try fed.addMember("FR")
        let server = try ServeProcess(config: fed.configPath, in: fed.dir)
        defer { XCTAssertEqual(server.stop(), 0) }
        let base = "http://127.0.0.1:\(server.port)"
        let de = try fed.client("DE", baseURL: base)
        let fr = try fed.client("FR", baseURL: base)
        let signer = try fed.signer("DE")
        try await assertStatus(await de.upload(keys: freshKeys(3, origin: "DE"), batchTag: "t1", signer: signer), 201)
        try await de.shutdown()
        let batch = try EFGS.run(["batch", "--config", fed.configPath], in: fed.dir)
        XCTAssertEqual(batch.status, 0, batch.output)
        let today = UTCDay(Date()).description

        server.pauseOutput()
        // each download logs `Successful Batch Download` (about 300 bytes): 1000 of them are 300 KB, well past the
        // pipe's 64 KiB
        let downloads = 1000
        let start = Date()
        var failure: String?
        for n in 0..<downloads {
            let asked = Date()
            let status = try? await fr.download(date: today).response.status
            let seconds = Date().timeIntervalSince(asked)
            if status != 200 || seconds > 5 {
                failure = "download \(n) answered \(status.map(String.init) ?? "nothing") after \(seconds) s"
            } else if Date().timeIntervalSince(start) > 120 {
                failure = "only \(n) downloads in 120 s"
            }
            if failure != nil { break }
        }
        server.resumeOutput()
        try await fr.shutdown()
        if let failure { return XCTFail(failure + " with stdout stalled") }
        let deadline = Date().addingTimeInterval(20)
        while server.events("Successful Batch Download").count < downloads && Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTAssertEqual(server.events("Successful Batch Download").count, downloads, "every line once stdout is read")
        XCTAssertTrue(server.events("event lines dropped").isEmpty, "none dropped below the queue's capacity")
    }
}

func assertStatus(
    _ response: @autoclosure () async throws -> GatewayResponse, _ status: Int, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) async throws {
    let r = try await response()
    XCTAssertEqual(r.status, status, "\(message) \(r.text)", file: file, line: line)
}
