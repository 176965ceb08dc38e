// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSTestSupport
import Foundation
import MetricsTestKit
import XCTest

@testable import EFGSGateway
@testable import EFGSStore

/// The federation-health gauges of the admin listener's `/metrics` (``FederationHealthMetrics``, docs/metrics.md).
final class FederationHealthMetricsTests: XCTestCase {
    func gauge(_ label: String, _ dimensions: [(String, String)] = []) throws -> Double {
        try XCTUnwrap(try CallbackDeliveryTests.metrics.expectGauge(label, dimensions).lastValue)
    }

    func testCertificatesKeysCountriesAndDatabaseAreMeasured() async throws {
        let metrics = CallbackDeliveryTests.metrics
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let health = FederationHealthMetrics(services: f.services)
        // a CALLBACK certificate of FR with 10 days left
        let expiring = try CertificateFactory.selfSigned(
            country: "FR", commonName: "callback-FR", key: .p256, notAfter: Date().addingTimeInterval(10 * 86_400))
        try await f.register(expiring, "FR", .callback)
        try await assertEq(try await f.upload(f.keys(3, origin: "DE")).status, 201)
        let now = UTCTimestamp.millis(Date())
        try await f.store.upsertCallbackSubscription(country: "FR", callbackId: "fr-main", url: "https://fr", now: now)
        try await f.store.upsertCallbackSubscription(country: "PL", callbackId: "pl-1", url: "https://pl", now: now)
        await health.record(now: Date())

        let labels = [("country", "FR"), ("type", "CALLBACK"), ("thumbprint", String(expiring.thumbprint.prefix(16)))]
        XCTAssertEqual(try gauge("efgs_certificate_expiry_seconds", labels), 10 * 86_400, accuracy: 120)
        let deAuth = f.countries["DE"]!.auth.thumbprint
        XCTAssertEqual(
            try gauge(
                "efgs_certificate_expiry_seconds",
                [("country", "DE"), ("type", "AUTHENTICATION"), ("thumbprint", String(deAuth.prefix(16)))]),
            365 * 86_400, accuracy: 120)
        XCTAssertEqual(
            try gauge("efgs_trust_anchor_expiry_seconds", [("thumbprint", f.services.trustAnchor.thumbprint)]),
            f.services.trustAnchor.certificate.notValidAfter.timeIntervalSinceNow, accuracy: 120)
        XCTAssertEqual(try gauge("efgs_keys_stored"), 3)
        XCTAssertEqual(try gauge("efgs_unbatched_keys"), 3)
        XCTAssertEqual(try gauge("efgs_oldest_unbatched_upload_age_seconds"), 0, accuracy: 60)
        XCTAssertGreaterThan(try gauge("efgs_database_size_bytes"), 4096)
        XCTAssertEqual(try gauge("efgs_country_last_upload_age_seconds", [("country", "DE")]), 0, accuracy: 60)
        XCTAssertThrowsError(
            try metrics.expectGauge("efgs_country_last_download_age_seconds", [("country", "FR")]), "no download yet")
        XCTAssertThrowsError(
            try metrics.expectGauge("efgs_country_upload_gap_seconds", [("country", "DE")]),
            "one upload: no usual cadence yet")
        try await assertEq(try await f.upload(f.keys(1, origin: "DE")).status, 201)
        try await assertEq(try await f.upload(f.keys(1, origin: "DE")).status, 201)
        await health.record(now: Date())
        XCTAssertEqual(try gauge("efgs_country_upload_gap_seconds", [("country", "DE")]), 0, accuracy: 30)

        XCTAssertEqual(
            try gauge("efgs_callback_subscription_tasks_pending", [("country", "FR"), ("callback_id", "fr-main")]), 0)

        // batched (one callback task per subscription; FR's first attempt fails) and downloaded by FR; the
        // expiring certificate revoked
        _ = try await f.services.batching.run()
        let task = try await f.store.claimCallbackTask(
            now: now, lastTryBefore: now, countryRank: { $0 == "FR" ? 0 : 1 })
        XCTAssertEqual(task?.country, "FR")
        try await f.store.recordCallbackFailure(id: try XCTUnwrap(task?.id), now: now)
        let downloads = try? metrics.expectCounter("efgs_downloads_total", [("country", "FR")]).totalValue
        let r = await f.api.handle(
            method: "GET", path: "/diagnosiskeys/download/\(UTCDay(Date()).description)",
            request: f.request("GET", country: "FR", headers: [("Accept", "application/protobuf; version=1.0")]))
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(
            try metrics.expectCounter("efgs_downloads_total", [("country", "FR")]).totalValue, (downloads ?? 0) + 1)
        _ = try await f.store.revokeCertificates(thumbprint: expiring.thumbprint, country: "FR", type: .callback)
        await health.record(now: Date())
        XCTAssertEqual(try gauge("efgs_unbatched_keys"), 0)
        XCTAssertEqual(try gauge("efgs_keys_stored"), 5)
        XCTAssertEqual(try gauge("efgs_country_last_download_age_seconds", [("country", "FR")]), 0, accuracy: 60)
        XCTAssertThrowsError(
            try metrics.expectGauge("efgs_certificate_expiry_seconds", labels), "a revoked row's series is removed")
        let fr = [("country", "FR"), ("callback_id", "fr-main")]
        let pl = [("country", "PL"), ("callback_id", "pl-1")]
        XCTAssertEqual(try gauge("efgs_callback_subscription_tasks_pending", fr), 1)
        XCTAssertEqual(try gauge("efgs_callback_subscription_tasks_failing", fr), 1)
        XCTAssertEqual(try gauge("efgs_callback_subscription_tasks_pending", pl), 1)
        XCTAssertEqual(try gauge("efgs_callback_subscription_tasks_failing", pl), 0)
    }
}
