// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import Logging
import XCTest

@testable import EFGSGateway

/// Routing, OPTIONS and 405 with `Allow` (§5.1, §5.2).
final class RouteTableTests: XCTestCase {
    func testRoutingOptionsAndMethods() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let o = await f.api.handle(
            method: "OPTIONS", path: "/diagnosiskeys", request: f.request("OPTIONS", country: nil))
        XCTAssertEqual(o.status, 200)
        XCTAssertEqual(o.header("Allow"), "POST,GET,OPTIONS")
        XCTAssertEqual(o.header("Accept"), "application/json; version=1.0, application/protobuf; version=1.0")
        let m = await f.api.handle(method: "GET", path: "/diagnosiskeys/upload", request: f.request("GET"))
        XCTAssertEqual(m.status, 405)
        XCTAssertEqual(m.header("Allow"), "POST,OPTIONS")
        let n = await f.api.handle(method: "GET", path: "/nothing", request: f.request("GET"))
        XCTAssertEqual(n.status, 404)
        XCTAssertEqual(n.bodyText, #"{"message":"Not Found"}"#)
        await assertEq(
            await f.api.handle(method: "GET", path: "/Diagnosiskeys/callback", request: f.request("GET")).status, 404)
        // OPTIONS on another known path: 200 with that path's methods, no authentication
        for (path, allow) in [
            ("/diagnosiskeys/upload", "POST,OPTIONS"), ("/diagnosiskeys/callback/x1", "PUT,DELETE,OPTIONS"),
            ("/diagnosiskeys/download/2024-01-01", "GET,OPTIONS"),
            ("/diagnosiskeys/audit/download/2024-01-01/20240101-1", "GET,OPTIONS"),
        ] {
            let r = await f.api.handle(method: "OPTIONS", path: path, request: f.request("OPTIONS", country: nil))
            XCTAssertEqual(r.status, 200, path)
            XCTAssertEqual(r.header("Allow"), allow, path)
        }
        let put = await f.api.handle(method: "POST", path: "/diagnosiskeys/callback/x1", request: f.request("POST"))
        XCTAssertEqual(put.status, 405)
        XCTAssertEqual(put.header("Allow"), "PUT,DELETE,OPTIONS")
        XCTAssertEqual(put.bodyText, #"{"message":"Method Not Allowed"}"#)
    }

    /// `GET /diagnosiskeys` is a known path with OPTIONS only: 405 naming OPTIONS once (it was listed twice).
    func testMethodNotAllowedOnTheRootListsOptionsOnce() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        for method in ["GET", "POST", "DELETE"] {
            let r = await f.api.handle(method: method, path: "/diagnosiskeys", request: f.request(method, country: nil))
            XCTAssertEqual(r.status, 405, method)
            XCTAssertEqual(r.header("Allow"), "OPTIONS", method)
            XCTAssertEqual(r.bodyText, #"{"message":"Method Not Allowed"}"#)
        }
    }

    /// The table itself: per-segment decoding, the trailing slash, the base path, unknown paths.
    func testRouteTable() {
        let table = RouteTable(basePath: "/efgs")
        XCTAssertEqual(table.route(path: "/efgs/diagnosiskeys/upload/")?.endpoint, .upload)
        XCTAssertEqual(
            table.route(path: "/efgs/diagnosiskeys/audit/download/2024-01-01/a%2Fb")?.endpoint,
            .audit(date: "2024-01-01", batchTag: "a/b"))
        XCTAssertEqual(table.route(path: "/efgs/diagnosiskeys/callback/x1")?.allow, "PUT,DELETE,OPTIONS")
        XCTAssertNil(table.route(path: "/diagnosiskeys/upload"), "outside the base path")
        XCTAssertNil(table.route(path: "/efgs/diagnosiskeys//upload"), "empty segment")
        XCTAssertNil(table.route(path: "/efgs/diagnosiskeys/download/%FF"), "not UTF-8")
        XCTAssertNil(table.route(path: "/efgs/%64iagnosiskeys/upload"), "the first segment is matched as sent")
        XCTAssertEqual(RouteTable().route(path: "/diagnosiskeys")?.allow, "OPTIONS")
    }
}
