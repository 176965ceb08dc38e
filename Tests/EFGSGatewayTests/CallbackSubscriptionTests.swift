// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import Logging
import XCTest

@testable import EFGSGateway

/// Callback subscriptions (§5.6).
final class CallbackSubscriptionTests: XCTestCase {
    func testCallbackSubscriptionChecks() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        func put(_ id: String, _ query: String?) async -> APIResponse {
            await f.api.handle(
                method: "PUT", path: "/diagnosiskeys/callback/\(id)", request: f.request("PUT", query: query))
        }
        await assertEq(
            await put(String(repeating: "a", count: 33), "url=https://example.com").bodyText,
            #"{"message":"Callback ID is invalid"}"#)
        await assertEq(await put("a1", nil).bodyText, #"{"message":"Required parameter 'url' is not present."}"#)
        await assertEq(await put("a1", "url=http://example.com/cb").bodyText, #"{"message":"Callback URL is invalid"}"#)
        await assertEq(await put("a1", "url=https://127.0.0.1/cb").bodyText, #"{"message":"Callback URL is invalid"}"#)
        XCTAssertTrue(
            f.lines.contains {
                $0.contains("message=\"IP Address of callback host is from private IP range.\"")
                    && $0.contains("hostname=\"127.0.0.1\"") && $0.contains("address=\"127.0.0.1\"")
            }, "the event names host and address")
        await assertEq(
            await put("a1", "url=https://[::ffff:10.0.0.1]/cb").bodyText, #"{"message":"Callback URL is invalid"}"#)
        await assertEq(
            await put("a1", "url=https://user@8.8.8.8/cb").bodyText, #"{"message":"Callback URL is invalid"}"#)
        await assertEq(
            await put("a1", "url=https://8.8.8.8/cb?x=1").bodyText, #"{"message":"Callback URL is invalid"}"#)
        await assertEq(
            await put("a1", "url=https://8.8.8.8/cb").bodyText,
            #"{"message":"No callback certificate registered for this host"}"#)
        let cb = try CertificateFactory.selfSigned(country: "DE", commonName: "cb", key: .p256, dnsNames: ["8.8.8.8"])
        try await f.register(cb, "DE", .callback)
        // a dNSName "8.8.8.8" is not an iPAddress SAN: still refused
        await assertEq(await put("a1", "url=https://8.8.8.8/cb").status, 400)
        await assertEq(
            await f.api.handle(method: "DELETE", path: "/diagnosiskeys/callback/zz", request: f.request("DELETE"))
                .bodyText,
            #"{"message":"Could not find any callback subscription for the given callbackId."}"#)
    }
}
