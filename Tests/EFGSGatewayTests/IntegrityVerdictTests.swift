// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSTestSupport
import Foundation
import SQLKit
import XCTest

@testable import EFGSGateway
@testable import EFGSStore

/// The integrity check of a certificate row (PROTOCOL.md §7.6) is done once per row content and process
/// (``IntegrityVerdicts``), while every request still reads the row: a revocation or a changed row takes effect on
/// the very next request, also when it was made through another instance or directly in the database.
final class IntegrityVerdictTests: XCTestCase {
    func download(_ f: Fixture) async -> APIResponse {
        await f.api.handle(
            method: "GET", path: "/diagnosiskeys/download/\(UTCDay(Date()).description)",
            request: f.request("GET", country: "FR", headers: [("Accept", "application/protobuf; version=1.0")]))
    }

    /// FR's AUTHENTICATION row as stored.
    func frAuthRow(_ f: Fixture) async throws -> CertificateRow {
        let rows = try await f.store.certificates(thumbprint: f.countries["FR"]!.auth.thumbprint, type: .authentication)
        return try XCTUnwrap(rows.first)
    }

    /// Changes FR's AUTHENTICATION row in the database behind the gateway's back: its operator signature becomes
    /// the operator's signature of another certificate (DE's), so the row no longer passes the integrity check.
    func replaceFRsOperatorSignature(_ f: Fixture) async throws {
        let row = try await frAuthRow(f)
        let foreign = try f.operatorSigner.sign(f.countries["DE"]!.auth.certificatePEM)
        try await f.store.backend.transaction { db in
            try await db.raw(
                "UPDATE certificates SET operator_signature = \(bind: foreign) WHERE id = \(bind: row.id ?? -1)"
            ).run()
        }
    }

    /// A checked row is remembered, and a revocation made after that is refused on the next request.
    func testARevocationTakesEffectOnTheNextRequestAfterTheRowWasChecked() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let row = try await frAuthRow(f)
        XCTAssertNil(f.services.certificates.verdicts.facts(of: row))
        let first = await download(f)
        XCTAssertEqual(first.status, 404, "authenticated: no batch yet")
        XCTAssertNotNil(f.services.certificates.verdicts.facts(of: row), "the passing row is remembered")

        _ = try await f.store.revokeCertificates(thumbprint: row.thumbprint, country: "FR", type: .authentication)
        let refused = await download(f)
        XCTAssertEqual(refused.status, 403)
        XCTAssertEqual(refused.bodyText, #"{"message":"Client certificate is revoked"}"#)
    }

    /// A row whose content changes in the database after it passed (here: its operator signature replaced by the
    /// signature of another certificate) is checked again, fails, and is refused as unknown.
    func testAChangedRowIsCheckedAgainAndRefused() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let passed = await download(f)
        XCTAssertEqual(passed.status, 404)
        try await replaceFRsOperatorSignature(f)
        let refused = await download(f)
        XCTAssertEqual(refused.status, 403)
        XCTAssertEqual(refused.bodyText, #"{"message":"Client is not authorized to access the service"}"#)
        XCTAssertTrue(f.lines.contains { $0.contains("certVerifyThumbprint") }, "the failing check is logged")
    }

    /// The cache is bounded: when full it starts again empty.
    func testTheVerdictCacheIsBounded() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let row = try await frAuthRow(f)
        let facts = try f.services.anchors.checkIntegrity(of: row)
        let verdicts = IntegrityVerdicts(capacity: 2)
        for n in 0..<2 {
            var other = row
            other.host = "h\(n)"  // not checked content: the same key
            verdicts.remember(other, facts: facts)
        }
        XCTAssertEqual(verdicts.passed.withLock { $0.count }, 1)
        var changed = row
        changed.operatorSignature = "x"
        verdicts.remember(changed, facts: facts)
        XCTAssertEqual(verdicts.passed.withLock { $0.count }, 2)
        changed.operatorSignature = "y"
        verdicts.remember(changed, facts: facts)
        XCTAssertEqual(verdicts.passed.withLock { $0.count }, 1, "full: started again")
        XCTAssertNil(verdicts.facts(of: row))
    }

    /// The readiness check (`/readyz`, on every probe), the country list (console, metrics) and the console's
    /// certificate page look at every row through the gateway's directory: a row checked once is not verified
    /// again, whichever of them checked it first, and a row changed in the database is still found failing. Before,
    /// each of them verified every row's operator signature on every call.
    func testReadinessAndTheCountryListShareTheRememberedVerdicts() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let rows = try await f.store.certificates(country: nil, type: nil)
        XCTAssertGreaterThan(rows.count, 2)
        XCTAssertTrue(rows.allSatisfy { f.services.certificates.verdicts.facts(of: $0) == nil })
        let checks = await AdminServer.readiness(f.services)
        let anchor = try XCTUnwrap(checks.first { $0.name == "trustAnchor" })
        XCTAssertTrue(anchor.ok && anchor.detail.contains("\(rows.count) of \(rows.count) rows verify"), anchor.detail)
        XCTAssertTrue(rows.allSatisfy { f.services.certificates.verdicts.facts(of: $0) != nil }, "remembered")

        try await replaceFRsOperatorSignature(f)
        let again = await AdminServer.readiness(f.services)
        let detail = try XCTUnwrap(again.first { $0.name == "trustAnchor" }).detail
        XCTAssertTrue(detail.contains("\(rows.count - 1) of \(rows.count) rows verify"), detail)
        let countries = try await f.services.countries.list()
        let france = try XCTUnwrap(countries.first { $0.country == "FR" })
        XCTAssertFalse(france.connected, "its AUTHENTICATION row fails the check")
    }

    /// On SQLite every request's row is read on the request's own thread (``SQLiteCertificateRows``): a request
    /// answered without any other read (a future date: 404) holds none of the store's SQLiteNIO connections — with
    /// them, each request waited for a hand-over to SQLiteNIO's thread pool and back (issue 14, part 2).
    func testARequestsRowIsReadWithoutTheStoresConnections() async throws {
        if TestDatabase.postgresURL != nil { throw XCTSkip("SQLite only: PostgreSQL reads the row the usual way") }
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let tomorrow = UTCDay(Date().addingTimeInterval(86_400)).description
        let busy = f.store.connectionBusyTime
        for _ in 0..<3 {
            let answer = await f.api.handle(
                method: "GET", path: "/diagnosiskeys/download/\(tomorrow)",
                request: f.request("GET", country: "FR", headers: [("Accept", "application/protobuf; version=1.0")]))
            XCTAssertEqual(answer.status, 404)
            XCTAssertEqual(answer.bodyText, #"{"message":"Could not find any batches for given date"}"#)
        }
        XCTAssertEqual(f.store.connectionBusyTime, busy, "no read through SQLiteNIO")

        _ = try await f.store.revokeCertificates(
            thumbprint: f.countries["FR"]!.auth.thumbprint, country: "FR", type: .authentication)
        let busyAfterRevocation = f.store.connectionBusyTime
        let refused = await f.api.handle(
            method: "GET", path: "/diagnosiskeys/download/\(tomorrow)",
            request: f.request("GET", country: "FR", headers: [("Accept", "application/protobuf; version=1.0")]))
        XCTAssertEqual(refused.status, 403)
        XCTAssertEqual(f.store.connectionBusyTime, busyAfterRevocation, "the revocation, too, read on the thread")
    }
}
