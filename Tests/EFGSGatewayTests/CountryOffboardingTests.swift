// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import XCTest

@testable import EFGSGateway

/// `efgs country disconnect` / `list` as domain code (the CLI is exercised end to end in ServeProcessTests).
final class CountryOffboardingTests: XCTestCase {
    func testDisconnectRevokesEveryRowAndDropsSubscriptionsAndTasksOfThatCountryOnly() async throws {
        let f = try await Fixture { $0["CALLBACK_ALLOW_LOOPBACK"] = "true" }
        addTeardownBlock { [store = f.store] in try await store.close() }
        let callbackCert = try CertificateFactory.selfSigned(
            country: "FR", commonName: "callback.fr", key: .p256, dnsNames: ["localhost"])
        try await f.register(callbackCert, "FR", .callback)
        let sub = await f.api.handle(
            method: "PUT", path: "/diagnosiskeys/callback/cb-1",
            request: f.request("PUT", country: "FR", query: "url=https://localhost:9/cb"))
        XCTAssertEqual(sub.status, 200, sub.bodyText)
        try await assertEq(try await f.upload(f.keys(2, origin: "DE")).status, 201)
        _ = try await f.services.batching.run()
        try await assertEq(try await f.store.pendingCallbackTaskCount(), 1)
        let frDownload = await f.api.handle(
            method: "GET", path: "/diagnosiskeys/download/\(UTCDay(Date()).description)",
            request: f.request("GET", country: "FR", headers: [("Accept", "application/json; version=1.0")]))
        XCTAssertEqual(frDownload.status, 200)

        let before = try await f.services.countries.list()
        XCTAssertEqual(before.map(\.country), ["DE", "FR"])
        XCTAssertTrue(before.allSatisfy(\.connected))
        XCTAssertEqual(before[1].subscriptions, 1)
        XCTAssertEqual(before[1].certificates.count, 3)
        XCTAssertNotNil(before[0].lastUpload)
        XCTAssertNil(before[0].lastDownload)
        XCTAssertNotNil(before[1].lastDownload)
        XCTAssertNil(before[1].lastUpload)
        XCTAssertEqual(
            before[1].certificates.first { $0.type == .callback }?.notAfter, callbackCert.certificate.notValidAfter)

        let outcome = try await f.services.offboarding.disconnect(country: "FR", reason: "test")
        XCTAssertEqual(outcome, .init(certificatesRevoked: 3, subscriptionsDeleted: 1))
        try await assertEq(
            try await f.store.pendingCallbackTaskCount(), 0, "the pending task went with the subscription")
        let event = try XCTUnwrap(f.lines.first { $0.contains(#"message="Country disconnected""#) })
        XCTAssertTrue(
            event.contains(#"level="WARN""#)
                && event.contains(#"country="FR", certificatesRevoked="3", subscriptionsDeleted="1", reason="test""#),
            event)

        // FR can no longer authenticate; DE is untouched
        let refused = await f.api.handle(
            method: "GET", path: "/diagnosiskeys/callback", request: f.request("GET", country: "FR"))
        XCTAssertEqual(refused.status, 403)
        XCTAssertEqual(refused.bodyText, #"{"message":"Client certificate is revoked"}"#)
        try await assertEq(try await f.upload(f.keys(1, origin: "DE")).status, 201)
        let after = try await f.services.countries.list()
        XCTAssertEqual(after.map(\.connected), [true, false])
        XCTAssertTrue(after[1].certificates.allSatisfy(\.revoked))
        XCTAssertFalse(after[0].certificates.contains(where: \.revoked))
        // a second run finds nothing left
        let disconnections = f.lines.filter { $0.contains(#"message="Country disconnected""#) }.count
        do {
            _ = try await f.services.offboarding.disconnect(country: "FR", reason: "test")
            XCTFail("a country with nothing active was disconnected again")
        } catch let error as CertificateAdministrationError {
            XCTAssertEqual(error.code, .nothingActive)
        }
        XCTAssertEqual(
            f.lines.filter { $0.contains(#"message="Country disconnected""#) }.count, disconnections,
            "no second disconnection is logged")
        let audit = try await f.services.operatorAudit.events(since: .distantPast, country: "FR")
        XCTAssertEqual(audit.map(\.command), ["country disconnect", "country disconnect"])
        XCTAssertTrue(
            audit[0].outcome.hasPrefix("revoked 3 row(s), deleted 1 subscription(s); reason: test"), audit[0].outcome)
        XCTAssertTrue(audit[1].outcome.hasPrefix("FR has no active certificate row"), audit[1].outcome)
    }
}
