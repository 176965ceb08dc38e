// SPDX-License-Identifier: EUPL-1.2

import EFGSClient
import EFGSCrypto
import EFGSGateway
import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

/// `GatewayClient` against the gateway served in process: every call of a national backend, as the trusted proxy
/// (mode a) and over mutual TLS (mode c) with certificates the test makes.
final class GatewayClientTests: XCTestCase {
    func testUploadDownloadAuditAndSubscriptionsAsTheTrustedProxy() async throws {
        let f = try await Fixture { $0["CALLBACK_ALLOW_LOOPBACK"] = "true" }
        addTeardownBlock { [store = f.store] in try await store.close() }
        let de = f.countries["DE"]!
        let fr = f.countries["FR"]!
        let keys = f.keys(3, origin: "DE")
        try await withRunningGateway(f.api) { port in
            let base = "http://127.0.0.1:\(port)"
            let upload = try GatewayClient(
                baseURL: base, identity: .proxyHeaders(thumbprint: de.auth.thumbprint, dn: "C=DE"))
            let download = try GatewayClient(
                baseURL: base, identity: .proxyHeaders(thumbprint: fr.auth.thumbprint, dn: "C=FR"))
            do {
                let signer = try BatchSigner(certificate: de.sign.certificate, privateKey: de.sign.privateKey)
                let stored = try await upload.upload(keys: keys, batchTag: "client-1", signer: signer, format: .json)
                XCTAssertEqual(stored.status, 201)
                XCTAssertEqual(stored.header("batchTag"), "client-1")
                let again = try await upload.upload(keys: keys, batchTag: "client-2", signer: signer)
                XCTAssertEqual(again.status, 207)
                XCTAssertEqual(
                    UploadMultiStatus.decode(again.body), UploadMultiStatus(keyCount: 3, conflicts: [0, 1, 2]))
                _ = try await f.services.batching.run()

                let today = UTCDay(Date()).description
                let chain = try await download.downloadDay(date: today)
                XCTAssertEqual(chain.map(\.keys), [keys])
                let tag = try XCTUnwrap(chain.first?.tag)
                let audit = try await download.audit(date: today, batchTag: tag)
                XCTAssertEqual(audit.response.status, 200)
                let entries = try XCTUnwrap(audit.entries)
                XCTAssertEqual(entries.map(\.amount), [3])
                let verifier = AuditVerifier(trustAnchor: f.services.trustAnchor)
                XCTAssertEqual(try verifier.verify(keys: keys, entries: entries), 3)

                let listed = try await download.subscriptions()
                XCTAssertEqual(listed.response.status, 200)
                XCTAssertEqual(listed.subscriptions, [])
                let missing = try await download.unsubscribe(callbackId: "none")
                XCTAssertEqual(missing.status, 404)
                XCTAssertEqual(
                    ErrorBody.decode(missing.body)?.message,
                    "Could not find any callback subscription for the given callbackId.")
            } catch {
                try? await upload.shutdown()
                try? await download.shutdown()
                throw error
            }
            try await upload.shutdown()
            try await download.shutdown()
        }
    }

    func testMutualTLSPresentsTheClientCertificate() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("efgs-client-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let server = try CertificateFactory.selfSigned(country: nil, commonName: "localhost", key: .p256)
        try server.certificatePEM.write(to: dir.appendingPathComponent("tls.pem"), atomically: true, encoding: .utf8)
        try server.privateKeyPEM.write(to: dir.appendingPathComponent("tls.key"), atomically: true, encoding: .utf8)
        let f = try await Fixture {
            $0["AUTH_MODE"] = "mutualTLS"
            $0["TLS_CERTIFICATE_PATH"] = dir.appendingPathComponent("tls.pem").path
            $0["TLS_PRIVATE_KEY_PATH"] = dir.appendingPathComponent("tls.key").path
        }
        addTeardownBlock { [store = f.store] in try await store.close() }
        let de = f.countries["DE"]!
        try await withRunningGateway(f.api) { port in
            let base = "https://127.0.0.1:\(port)"
            let client = try GatewayClient(
                baseURL: base,
                identity: .mutualTLS(certificatePEM: de.auth.certificatePEM, privateKeyPEM: de.auth.privateKeyPEM),
                serverTrust: .noVerification)
            let stranger = try CertificateFactory.selfSigned(country: "DE", commonName: "stranger", key: .p256)
            let unknown = try GatewayClient(
                baseURL: base,
                identity: .mutualTLS(certificatePEM: stranger.certificatePEM, privateKeyPEM: stranger.privateKeyPEM),
                serverTrust: .noVerification)
            do {
                let listed = try await client.subscriptions()
                XCTAssertEqual(listed.response.status, 200, listed.response.text)
                let refused = try await unknown.subscriptions()
                XCTAssertEqual(refused.response.status, 403)
                XCTAssertEqual(
                    ErrorBody.decode(refused.response.body)?.message, "Client is not authorized to access the service")
            } catch {
                try? await client.shutdown()
                try? await unknown.shutdown()
                throw error
            }
            try await client.shutdown()
            try await unknown.shutdown()
        }
        XCTAssertTrue(f.lines.contains { $0.contains(#"message="Successful Authentication""#) && $0.contains("C=DE") })
    }
}

/// A hostile or compromised gateway: tags that are not `yyyyMMdd-N` never reach the caller of a chain walk (where
/// `efgs client download` would turn them into file names).
final class HostileGatewayTests: XCTestCase {
    static let hostileTags = [
        "../../escaped", "/etc/passwd", "20260101-1/../../x", "..", "20260101-1\0", "20260101-1\n", "20260101-01",
        "20260101-+1", "2026-01-01-1", "20261301-1", "20260101-1.pb", "20260101-١", "", " 20260101-1",
    ]

    func testAChainWalkRefusesATagThatIsNotADownloadBatchTag() async throws {
        for hostile in Self.hostileTags {
            for header in ["batchTag", "nextBatchTag"] {
                let answer: @Sendable (String?) -> (batchTag: String, nextBatchTag: String) = { requested in
                    if header == "batchTag" { return (hostile, "null") }
                    return (requested ?? "20260101-1", requested == nil ? hostile : "null")
                }
                try await withHostileGateway(headers: answer) { port in
                    let client = try GatewayClient(
                        baseURL: "http://127.0.0.1:\(port)", identity: .proxyHeaders(thumbprint: "00", dn: "C=DE"))
                    var visited: [String] = []
                    do {
                        try await client.followChain(date: "2026-01-01") { visited.append($0.tag) }
                        // a header the HTTP layer dropped or trimmed (empty, leading space) leaves a valid chain
                        XCTAssertTrue(
                            visited.allSatisfy { BatchTag($0) != nil },
                            "\(header) \(hostile.debugDescription): \(visited)")
                    } catch {
                        XCTAssertTrue(
                            String(describing: error).contains("not a download batch tag (yyyyMMdd-N)"),
                            "\(header) \(hostile.debugDescription): \(error)")
                        XCTAssertEqual(visited, [], "\(header) \(hostile.debugDescription): refused before the visit")
                    }
                    try await client.shutdown()
                }
            }
        }
    }
}
