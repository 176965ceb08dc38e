// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSGateway
import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import XCTest

/// A batch that cannot be served never stops the federation: inspect, quarantine (out of the chain, 410), release.
final class BatchQuarantineTests: XCTestCase {
    func download(_ f: Fixture, tag: String? = nil) async -> APIResponse {
        var headers = [("Accept", "application/protobuf; version=1.0")]
        if let tag { headers.append(("batchTag", tag)) }
        return await f.api.handle(
            method: "GET", path: "/diagnosiskeys/download/\(UTCDay(Date()).description)",
            request: f.request("GET", country: "FR", headers: headers))
    }

    /// The tags FR walks through from the day's first batch.
    func chain(_ f: Fixture) async -> [String] {
        var tags: [String] = []
        var next: String?
        repeat {
            let r = await download(f, tag: next)
            guard r.status == 200, let tag = r.header("batchTag") else { break }
            tags.append(tag)
            next = r.header("nextBatchTag") == "null" ? nil : r.header("nextBatchTag")
        } while next != nil && tags.count < 20
        return tags
    }

    func newBatch(_ f: Fixture) async throws -> String {
        try await assertEq(try await f.upload(f.keys(2, origin: "DE")).status, 201)
        return try await f.services.batching.run()[0].tag
    }

    func testQuarantineTakesABatchOutOfTheChainAndReleasePutsItBack() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let quarantine = f.services.batchQuarantine
        let b1 = try await newBatch(f)
        let b2 = try await newBatch(f)
        let b3 = try await newBatch(f)
        let walked = await chain(f)
        XCTAssertEqual(walked, [b1, b2, b3])

        let inspection = try await quarantine.inspect(tag: b2)
        XCTAssertEqual(inspection?.uploads.map(\.country), ["DE"])
        XCTAssertEqual(inspection?.keysByKeyId, ["k1": 2])
        XCTAssertEqual(inspection?.undecryptable, 0)

        try await quarantine.quarantine(tag: b2, reason: "cannot be decrypted", by: .init(operatorName: "ops"))
        let withoutB2 = await chain(f)
        XCTAssertEqual(withoutB2, [b1, b3], "the predecessor links to the successor")
        let withdrawn = await download(f, tag: b2)
        XCTAssertEqual(withdrawn.status, 410)
        XCTAssertEqual(withdrawn.bodyText, #"{"message":"Batch \#(b2) has been withdrawn by the operator"}"#)

        // the newest batch quarantined: the chain ends before it, and a new batch joins the chain
        try await quarantine.quarantine(tag: b3, reason: "test", by: .init(operatorName: "ops"))
        let endsAtB1 = await chain(f)
        XCTAssertEqual(endsAtB1, [b1])
        let b4 = try await newBatch(f)
        let skipping = await chain(f)
        XCTAssertEqual(skipping, [b1, b4])

        try await quarantine.release(tag: b2, by: .init(operatorName: "ops"))
        try await quarantine.release(tag: b3, by: .init(operatorName: "ops"))
        let restored = await chain(f)
        XCTAssertEqual(restored, [b1, b2, b3, b4], "nothing was lost")
        do {
            try await quarantine.release(tag: b3)
            XCTFail("released twice")
        } catch let error as CertificateAdministrationError {
            XCTAssertEqual(error.code, .invalidArgument)
        }
        let trail = try await f.services.operatorAudit.events(since: .distantPast, country: nil)
        XCTAssertEqual(
            trail.map(\.command),
            ["batch quarantine", "batch quarantine", "batch release", "batch release", "batch release"])
    }

    /// On SQLite every download's batch row is read on the download's own thread (``SQLiteDownloadBatchRows``): a
    /// download answered from the batch row alone — a quarantined batch (410), an unknown tag (404), a day whose only
    /// batch is quarantined (404) — holds none of the store's SQLiteNIO connections, and still sees the quarantine
    /// committed just before (issue 14, part 1: each download waited for a hand-over to SQLiteNIO's thread pool and
    /// back); so does an audit answered from the batch row alone (410, 404).
    func testADownloadsBatchRowIsReadWithoutTheStoresConnections() async throws {
        if TestDatabase.postgresURL != nil { throw XCTSkip("SQLite only: PostgreSQL reads the row the usual way") }
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let b1 = try await newBatch(f)
        try await f.services.batchQuarantine.quarantine(tag: b1, reason: "test", by: .init(operatorName: "ops"))
        let busy = f.store.connectionBusyTime
        let withdrawn = await download(f, tag: b1)
        XCTAssertEqual(withdrawn.status, 410)
        let unknownTag = "\(UTCDay(Date()).description.replacingOccurrences(of: "-", with: ""))-99"
        let unknown = await download(f, tag: unknownTag)
        XCTAssertEqual(unknown.status, 404)
        XCTAssertEqual(unknown.bodyText, #"{"message":"Could not find batch with given BatchTag"}"#)
        let emptyDay = await download(f)
        XCTAssertEqual(emptyDay.status, 404)
        XCTAssertEqual(emptyDay.bodyText, #"{"message":"Could not find any batches for given date"}"#)
        for tag in [b1, unknownTag] {  // the audit reads the batch row the same way
            let audit = await f.api.handle(
                method: "GET", path: "/diagnosiskeys/audit/download/\(UTCDay(Date()).description)/\(tag)",
                request: f.request("GET", country: "FR", headers: [("Accept", "application/json")]))
            XCTAssertEqual(audit.status, tag == b1 ? 410 : 404, audit.bodyText)
        }
        XCTAssertEqual(f.store.connectionBusyTime, busy, "no read through SQLiteNIO")
    }

    /// Inspecting with another key under the same id shows which keys do not decrypt.
    func testInspectionReportsKeysThatDoNotDecrypt() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let tag = try await newBatch(f)
        var config = f.services.config
        config.storage.keys["k1"] = [UInt8](repeating: 1, count: 32)
        let wrong = try GatewayServices(
            config: config, store: f.store, trustAnchor: f.services.trustAnchor, log: f.services.log)
        let inspection = try await wrong.batchQuarantine.inspect(tag: tag)
        XCTAssertEqual(inspection?.undecryptable, 2)
        XCTAssertEqual(inspection?.firstFailure, "stored value failed authentication")
    }
}
