// SPDX-License-Identifier: EUPL-1.2

import EFGSGateway
import EFGSProtocol
import EFGSTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import XCTest

/// The composed HTTP server in process (HummingbirdTesting's live mode): what only spawned-binary tests reached
/// before — header limits (431), body limits (413), the peer address and the route table behind a real socket.
final class GatewayServerTests: XCTestCase {
    func application(_ f: Fixture) throws -> some ApplicationProtocol {
        var logger = Logger(label: "efgs.test")
        logger.logLevel = .critical
        return try GatewayServer.application(api: f.api, services: [], logger: logger)
    }

    static func identity(_ f: Fixture, _ country: String) -> HTTPFields {
        var fields = HTTPFields()
        fields[HTTPField.Name("X-SSL-Client-SHA256")!] = f.countries[country]!.auth.thumbprint
        fields[HTTPField.Name("X-SSL-Client-DN")!] = "C=\(country)"
        return fields
    }

    func testHeaderLimitsAnswer431() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        try await application(f).test(.live) { client in
            var large = Self.identity(f, "DE")
            large[HTTPField.Name("X-Padding")!] = String(repeating: "a", count: 16 * 1024 + 1)
            try await client.execute(uri: "/diagnosiskeys/callback", method: .get, headers: large) { response in
                XCTAssertEqual(response.status.code, 431)
                XCTAssertEqual(String(buffer: response.body), #"{"message":"Request Header Fields Too Large"}"#)
            }
            var section = Self.identity(f, "DE")
            for i in 0..<3 { section[HTTPField.Name("X-Padding-\(i)")!] = String(repeating: "b", count: 12 * 1024) }
            try await client.execute(uri: "/diagnosiskeys/callback", method: .get, headers: section) { response in
                XCTAssertEqual(response.status.code, 431, "the header section is over 32 KiB")
            }
            try await client.execute(uri: "/diagnosiskeys/callback", method: .get, headers: Self.identity(f, "DE")) {
                XCTAssertEqual($0.status.code, 200, "the peer (loopback) is a trusted proxy")
            }
        }
    }

    func testBodyOverTheLimitAnswers413() async throws {
        let f = try await Fixture { $0["UPLOAD_MAX_BODY_BYTES"] = "1000" }
        addTeardownBlock { [store = f.store] in try await store.close() }
        try await application(f).test(.live) { client in
            var headers = Self.identity(f, "DE")
            headers[.contentType] = WireFormat.protobuf.requestContentType()
            headers[HTTPField.Name("batchTag")!] = "big"
            headers[HTTPField.Name("batchSignature")!] = "MIA="
            let body = ByteBuffer(repeating: 0x0A, count: 1001)
            try await client.execute(uri: "/diagnosiskeys/upload", method: .post, headers: headers, body: body) {
                XCTAssertEqual($0.status.code, 413)
                XCTAssertEqual(String(buffer: $0.body), #"{"message":"Request body too large"}"#)
            }
        }
    }

    func testUntrustedPeerIsRefused() async throws {
        let f = try await Fixture { $0["AUTH_TRUSTED_PROXIES"] = "10.0.0.0/8" }
        addTeardownBlock { [store = f.store] in try await store.close() }
        try await application(f).test(.live) { client in
            try await client.execute(uri: "/diagnosiskeys/callback", method: .get, headers: Self.identity(f, "DE")) {
                XCTAssertEqual($0.status.code, 403)
                XCTAssertEqual(
                    String(buffer: $0.body), #"{"message":"Client is not authorized to access the service"}"#)
            }
        }
        XCTAssertTrue(f.lines.contains { $0.contains(#"message="Untrusted proxy address""#) })
    }

    /// A trusted proxy's request without the identity headers: 403 with the §4.4 message, and the event names the
    /// peer (the address text is built only for a refusal).
    func testRequestWithoutIdentityHeadersIsRefusedNamingThePeer() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        try await application(f).test(.live) { client in
            try await client.execute(uri: "/diagnosiskeys/callback", method: .get, headers: [:]) {
                XCTAssertEqual($0.status.code, 403)
                XCTAssertEqual(
                    String(buffer: $0.body), #"{"message":"Client is not authorized to access the service"}"#)
            }
        }
        let refusal = f.lines.first { $0.contains(#"message="No thumbprint or distinguish name""#) }
        XCTAssertTrue(refusal?.contains(#"peer="127.0.0.1""#) ?? false, f.lines.joined(separator: "\n"))
    }

    func testMethodNotAllowedThroughTheServer() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        try await application(f).test(.live) { client in
            try await client.execute(uri: "/diagnosiskeys", method: .get) {
                XCTAssertEqual($0.status.code, 405)
                XCTAssertEqual($0.headers[.allow], "OPTIONS")
            }
            try await client.execute(uri: "/diagnosiskeys/nothing", method: .get) {
                XCTAssertEqual($0.status.code, 404)
            }
        }
    }
}
