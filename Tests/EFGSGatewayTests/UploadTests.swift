// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import Logging
import SQLKit
import Synchronization
import XCTest

@testable import EFGSGateway
@testable import EFGSStore

/// Uploads (§5.3), downloads (§5.4) and audits (§5.5) through the API, in process.
final class UploadTests: XCTestCase {
    func testUploadDownloadAuditRoundTrip() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let de = f.keys(3, origin: "DE")
        let fr = f.keys(2, origin: "FR")
        let r1 = try await f.upload(de, tag: "2020-9-8-AbCd1A==-0")
        XCTAssertEqual(r1.status, 201, r1.bodyText)
        XCTAssertEqual(r1.header("batchTag"), "2020-9-8-AbCd1A==-0")
        XCTAssertEqual(r1.body, [])
        try await assertEq(try await f.upload(fr, country: "FR", format: .json).status, 201)
        XCTAssertTrue(
            f.lines.contains {
                $0.contains("message=\"successfull batch upload\"") && $0.contains("numKeys=\"3\"")
                    && $0.contains("country=\"DE\"")
            })

        let created = try await f.services.batching.run()
        XCTAssertEqual(created.map(\.keyCount), [3, 2], "formats differ: two batches")
        let today = UTCDay(Date()).description
        // FR downloads: sees DE's 3 keys in batch 1, and nothing of its own in batch 2
        let d1 = await f.api.handle(
            method: "GET", path: "/diagnosiskeys/download/\(today)",
            request: f.request("GET", country: "FR", headers: [("Accept", "application/json; version=1.0")]))
        XCTAssertEqual(d1.status, 200)
        XCTAssertEqual(d1.header("Content-Type"), "application/json;version=1.0")
        XCTAssertEqual(d1.header("batchTag"), created[0].tag)
        XCTAssertEqual(d1.header("nextBatchTag"), created[1].tag)
        XCTAssertEqual(try DiagnosisKeyJSONDecoder.decode(d1.body), de)
        let d2 = await f.api.handle(
            method: "GET", path: "/diagnosiskeys/download/\(today)",
            request: f.request(
                "GET", country: "FR",
                headers: [("Accept", "application/protobuf;version=1.0"), ("batchTag", created[1].tag)]))
        XCTAssertEqual(d2.status, 200)
        XCTAssertEqual(d2.body, [])
        XCTAssertEqual(d2.header("nextBatchTag"), "null")
        XCTAssertEqual(d2.header("Content-Type"), "application/protobuf;version=1.0")
        // audit of batch 1 for FR lists DE's upload with amount 3 and a verifiable signature
        let a = await f.api.handle(
            method: "GET", path: "/diagnosiskeys/audit/download/\(today)/\(created[0].tag)",
            request: f.request("GET", country: "FR"))
        XCTAssertEqual(a.status, 200)
        XCTAssertTrue(a.bodyText.hasPrefix("[{\"country\":\"DE\",\"uploadedTime\":\""), a.bodyText)
        XCTAssertTrue(a.bodyText.contains("\"amount\":3,\"batchSignature\":"))
        XCTAssertFalse(a.bodyText.contains("null"))
        // DE's own audit of the same batch is empty
        let own = await f.api.handle(
            method: "GET", path: "/diagnosiskeys/audit/download/\(today)/\(created[0].tag)",
            request: f.request("GET", country: "DE"))
        XCTAssertEqual(own.bodyText, "[]")
        // future N → 404, unknown date → 404, bad date → 400, old → 410
        for (hdrs, path, status, msg) in [
            ([("batchTag", "\(UTCDay(Date()).compact)-99")], today, 404, "Could not find batch with given BatchTag"),
            ([("batchTag", "null")], today, 200, nil),
            ([], UTCDay(Date()).adding(days: 1).description, 404, "Could not find any batches for given date"),
            ([], "2020-1-1", 400, "Invalid date format, expected yyyy-MM-dd"),
            ([], UTCDay(Date()).adding(days: -3).description, 410, "Requested date is too old!"),
        ] as [([(String, String)], String, Int, String?)] {
            let r = await f.api.handle(
                method: "GET", path: "/diagnosiskeys/download/\(path)",
                request: f.request(
                    "GET", country: "FR", headers: [("Accept", "application/protobuf; version=1.0")] + hdrs))
            XCTAssertEqual(r.status, status, "\(path) \(hdrs)")
            if let msg { XCTAssertEqual(r.bodyText, "{\"message\":\"\(msg)\"}") }
        }
    }

    func testDuplicatesAnswer207AndStoreNothing() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let k = f.keys(2, origin: "DE")
        try await assertEq(try await f.upload([k[0]], tag: "t1").status, 201)
        let r = try await f.upload([k[0], k[1]], tag: "t2")
        XCTAssertEqual(r.status, 207)
        XCTAssertEqual(r.bodyText, #"{"500":[],"201":[1],"409":[0]}"#)
        XCTAssertNil(r.header("batchTag"))
        let r2 = try await f.upload([k[1], k[1]], tag: "t2")
        XCTAssertEqual(r2.bodyText, #"{"500":[],"201":[0],"409":[1]}"#)
        try await assertEq(try await f.store.storedKeyCount(), 1)
        try await assertEq(try await f.upload([k[1]], tag: "t2").status, 201, "tag stays free after a 207")
        let again = try await f.upload([f.keys(1, origin: "DE")[0]], tag: "t2")
        XCTAssertEqual(again.status, 409)
        XCTAssertEqual(again.bodyText, #"{"message":"BatchTag already exists."}"#)
        try await assertEq(
            try await f.upload(f.keys(1, origin: "FR"), country: "FR", tag: "t2").status, 201, "tags are per country")
    }

    /// A batch large enough to be sealed in several chunks keeps each key's request position: a duplicate of a stored
    /// key and a repeat of a key of the first chunk are named at their own positions, and a download returns the keys
    /// in request order.
    func testALargeBatchSealedInChunksKeepsItsPositions() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let keys = f.keys(2500, origin: "DE")
        XCTAssertGreaterThan(keys.count, 2 * UploadService.keysPerChunk)
        try await assertEq(try await f.upload([keys[1100]], tag: "first").status, 201)
        let r = try await f.upload(keys, tag: "large")
        XCTAssertEqual(r.status, 207)
        XCTAssertTrue(r.bodyText.hasSuffix(#""409":[1100]}"#), r.bodyText)
        var repeating = keys
        repeating[2400] = keys[10]
        let r2 = try await f.upload(repeating, tag: "large")
        XCTAssertEqual(r2.status, 207)
        XCTAssertTrue(r2.bodyText.hasSuffix(#""409":[1100,2400]}"#), r2.bodyText)
        let rest = keys.enumerated().filter { $0.offset != 1100 }.map(\.element)
        try await assertEq(try await f.upload(rest, tag: "large").status, 201)
        _ = try await f.services.batching.run()
        let d = await f.api.handle(
            method: "GET", path: "/diagnosiskeys/download/\(UTCDay(Date()))",
            request: f.request("GET", country: "FR", headers: [("Accept", "application/json; version=1.0")]))
        XCTAssertEqual(d.status, 200)
        XCTAssertEqual(try DiagnosisKeyJSONDecoder.decode(d.body), [keys[1100]] + rest)
    }

    /// An upload whose every attempt meets a conflict (a trigger raising a unique violation) answers 503 with
    /// `Retry-After`, as while the database is away: nothing was stored, the country may send it again, and a WARN
    /// line says why. Before 2026-12-03 it answered 500 with an ERROR line.
    func testAnUploadThatKeepsConflictingAnswers503() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        for sql in TestDatabase.InjectedFault.uploadConflict.creation {
            try await f.store.backend.transaction { db in try await db.raw(SQLQueryString(sql)).run() }
        }
        let response = try await f.upload(f.keys(2, origin: "DE"), tag: "t1")
        XCTAssertEqual(response.status, 503)
        XCTAssertEqual(response.headers.first { $0.0 == "Retry-After" }?.1, "5")
        XCTAssertTrue(f.lines.contains { $0.contains("WARN") && $0.contains("Database conflict") }, "\(f.lines)")
        try await assertEq(try await f.store.storedKeyCount(), 0)
    }

    /// DE as an authenticated caller, and an upload of `keys` keys of DE's signed by DE's signing certificate.
    func signedUpload(
        _ f: Fixture, tag: String, keys count: Int
    ) async throws -> (caller: AuthenticatedCountry, upload: UploadService.Upload) {
        let de = try XCTUnwrap(f.countries["DE"])
        let row = try await f.store.certificates(thumbprint: de.auth.thumbprint, type: .authentication).first
        let caller = AuthenticatedCountry(country: "DE", thumbprint: de.auth.thumbprint, row: try XCTUnwrap(row))
        let keys = f.keys(count, origin: "DE")
        let signature = try BatchSigner(certificate: de.sign.certificate, privateKey: de.sign.privateKey)
            .sign(keys: keys)
        return (caller, .init(batchTag: tag, batchSignature: signature, format: .protobuf, keys: keys))
    }

    /// An upload that is stored answers 201 even when the count of unbatched keys after it (the early-batching check,
    /// §7.3) fails: its keys are durable, so a 500 would make the country retry and get 409 for its own batch.
    /// Before, the failed count answered 500.
    func testAStoredUploadAnswers201WhenTheUnbatchedCountFails() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let base = f.services.upload
        let service = UploadService(
            store: CountReplacingStore(base: f.store) { _ in throw CountReplacingStore.CountFailure() },
            cipher: base.cipher, signatures: base.signatures,
            settings: base.settings, docLimit: 1, clock: { Date() }, onDocLimitReached: {})
        let (caller, upload) = try await signedUpload(f, tag: "t1", keys: 3)
        let outcome = try await service.accept(upload, from: caller, log: f.services.log.scope("Test"))
        guard case .stored(let tag) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(tag, "t1")
        try await assertEq(try await f.store.storedKeyCount(), 3)
    }

    /// The early trigger of the batching run (§7.3) counts the unbatched keys behind the 201, not before it: an upload
    /// is answered while that count still waits for the database, and the trigger fires once the count comes back at
    /// `batching.docLimit`. Until 2026-12-05 the count ran before the answer: a round trip to the database in every
    /// upload's latency (with the tag look-up overlapped with the records, about 2–4 ms per 5000-key upload on
    /// PostgreSQL in `efgs benchmark`).
    func testTheEarlyBatchingTriggerCountsBehindTheAnswer() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let base = f.services.upload
        let gate = TestGate()
        let gated = CountReplacingStore(base: f.store) { store in
            try await gate.wait()
            return try await store.unbatchedKeyCount()
        }
        let fired = TriggerCount()
        let service = UploadService(
            store: gated, cipher: base.cipher, signatures: base.signatures, settings: base.settings, docLimit: 3,
            clock: { Date() }, onDocLimitReached: { fired.count.withLock { $0 += 1 } })
        let (caller, upload) = try await signedUpload(f, tag: "t1", keys: 3)
        let log = f.services.log.scope("Test")
        let outcome = try await withThrowingTaskGroup(of: UploadService.Outcome?.self) { group in
            group.addTask { try await service.accept(upload, from: caller, log: log) }
            group.addTask {
                try await Task.sleep(for: .seconds(10))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        XCTAssertEqual(outcome, .stored(batchTag: "t1"), "answered while the count waits")
        XCTAssertEqual(fired.count.withLock { $0 }, 0, "not fired before the count came back")
        gate.open()
        for _ in 0..<1000 where fired.count.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        XCTAssertEqual(fired.count.withLock { $0 }, 1, "fired once the count reached batching.docLimit")
    }

    /// The signature check reads its signer's rows from the store once (§6.4), also when the signer is unknown or
    /// its row fails the integrity check, and still tells those two apart. Until 2026-12-04 it read them twice: a
    /// second round trip to the database in every upload (about 1.2 ms on PostgreSQL, `efgs benchmark`).
    func testTheSignatureCheckReadsTheSignersRowsOnce() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let counting = CertificateReadCountingStore(base: f.store)
        let check = SignatureCheck(
            verifier: BatchSignatureVerifier(allowLegacySha1: false),
            certificates: CertificateDirectory(store: counting, trustAnchor: f.services.anchors), clock: { Date() })
        let de = try XCTUnwrap(f.countries["DE"])
        let row = try await f.store.certificates(thumbprint: de.auth.thumbprint, type: .authentication).first
        let caller = AuthenticatedCountry(country: "DE", thumbprint: de.auth.thumbprint, row: try XCTUnwrap(row))
        let keys = f.keys(2, origin: "DE")
        let stream = BatchStream.bytes(of: keys)
        func verify(_ signer: CertificateFactory.Issued) async throws -> Result<String, APIError> {
            let signature = try BatchSigner(certificate: signer.certificate, privateKey: signer.privateKey)
                .sign(stream: stream, signingTime: Date())
            do {
                let row = try await check.verify(
                    signature, stream: stream, caller: caller, batchTag: "t", keys: keys,
                    log: f.services.log.scope("Test"))
                return .success(row.thumbprint)
            } catch let refusal as APIError {
                return .failure(refusal)
            }
        }
        try await assertEq(try await verify(de.sign).get(), de.sign.thumbprint)
        XCTAssertEqual(counting.reads, 1, "a registered signer")
        let unregistered = try CertificateFactory.selfSigned(country: "DE", commonName: "unregistered", key: .p256)
        guard case .failure(let unknown) = try await verify(unregistered) else { return XCTFail("accepted") }
        XCTAssertEqual(unknown.event?.message, "unknown signing certificate")
        XCTAssertEqual(counting.reads, 2, "an unknown signer")
        let tampered = try CertificateFactory.selfSigned(country: "DE", commonName: "tampered", key: .p256)
        _ = try await f.store.insertCertificate(
            CertificateRow(
                createdAt: 0, thumbprint: tampered.thumbprint, country: "DE", type: .signing,
                pem: tampered.certificatePEM, operatorSignature: try f.operatorSigner.sign(unregistered.certificatePEM))
        )
        guard case .failure(let failing) = try await verify(tampered) else { return XCTFail("accepted") }
        XCTAssertEqual(failing.event?.message, "invalid signing certificate signature")
        XCTAssertEqual(counting.reads, 3, "a signer whose row fails the integrity check")
    }

    func testCheckOrderAndMessages() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let good = f.keys(1, origin: "DE")
        func post(
            _ headers: [(String, String)], body: [UInt8] = [], country: String? = "DE", peer: String = "127.0.0.1"
        ) async -> APIResponse {
            await f.api.handle(
                method: "POST", path: "/diagnosiskeys/upload/",
                request: f.request("POST", country: country, headers: headers, body: body, peer: peer))
        }
        let sig = try BatchSigner(
            certificate: f.countries["DE"]!.sign.certificate, privateKey: f.countries["DE"]!.sign.privateKey
        ).sign(keys: good)
        var b = DiagnosisKeyBatch()
        b.keys = good
        let pb = b.protobufBytes()
        let cases: [([(String, String)], [UInt8], String?, String, Int, String)] = [
            ([], pb, "DE", "127.0.0.1", 415, "Content-Type is not compatible"),
            (
                [("Content-Type", "application/protobuf; version=1.0")], pb, nil, "127.0.0.1", 403,
                "Client is not authorized to access the service"
            ),
            (
                [("Content-Type", "application/protobuf; version=1.0")], pb, "DE", "10.1.2.3", 403,
                "Client is not authorized to access the service"
            ),
            (
                [("Content-Type", "application/protobuf; version=1.0")], pb, "DE", "127.0.0.1", 400,
                "Required header 'batchTag' is not present."
            ),
            (
                [("Content-Type", "application/protobuf; version=1.0"), ("batchTag", "a b")], pb, "DE", "127.0.0.1",
                400, "Invalid batchTag header"
            ),
            (
                [("Content-Type", "application/protobuf; version=1.0"), ("batchTag", "x")], pb, "DE", "127.0.0.1", 400,
                "Required header 'batchSignature' is not present."
            ),
            (
                [("Content-Type", "application/protobuf"), ("batchTag", "x"), ("batchSignature", sig)], pb, "DE",
                "127.0.0.1", 400, "Version parameter of Content-Type is required!"
            ),
            (
                [("Content-Type", "application/protobuf; version=1.1"), ("batchTag", "x"), ("batchSignature", sig)], pb,
                "DE", "127.0.0.1", 406, "Protocol version is not compatible!"
            ),
            (
                [("Content-Type", "application/protobuf; version=1.0"), ("batchTag", "x"), ("batchSignature", sig)],
                [0x0A, 0x09], "DE", "127.0.0.1", 400, "Failed to read request"
            ),
            (
                [("Content-Type", "application/protobuf; version=1.0"), ("batchTag", "x"), ("batchSignature", sig)], [],
                "DE", "127.0.0.1", 400, "Validation of diagnosis key failed: The batch contains no diagnosis keys."
            ),
            (
                [("Content-Type", "application/protobuf; version=1.0"), ("batchTag", "x"), ("batchSignature", "AAAA")],
                pb, "DE", "127.0.0.1", 400, "Invalid signature"
            ),
        ]
        for (h, body, c, peer, status, msg) in cases {
            let r = await post(h, body: body, country: c, peer: peer)
            XCTAssertEqual(r.status, status, "\(h)")
            XCTAssertEqual(r.bodyText, "{\"message\":\"\(msg)\"}", "\(h)")
            XCTAssertEqual(r.header("Content-Type"), "application/json")
        }
        // FR signs, DE uploads: signer country differs
        let frSig = try BatchSigner(
            certificate: f.countries["FR"]!.sign.certificate, privateKey: f.countries["FR"]!.sign.privateKey
        ).sign(keys: good)
        try await assertEq(try await f.upload(good, signature: frSig).bodyText, #"{"message":"Invalid signature"}"#)
        XCTAssertTrue(f.lines.contains { $0.contains("message=\"different origins\"") })
        // origin mismatch
        try await assertEq(
            try await f.upload(f.keys(1, origin: "FR")).bodyText,
            #"{"message":"One or more keys are not originated from uploader country"}"#)
        // too many keys
        let many = await post(
            [("Content-Type", "application/json; version=1.0"), ("batchTag", "m"), ("batchSignature", sig)],
            body: DiagnosisKeyJSONEncoder.encode(Array(repeating: good[0], count: 5001)))
        XCTAssertEqual(many.status, 413)
        XCTAssertEqual(many.bodyText, #"{"message":"Too many diagnosis keys"}"#)
        try await assertEq(try await f.store.storedKeyCount(), 0, "nothing stored by any refusal")
    }

    /// §6.4/§6.6 rejections that depend on the certificate table: each answers 400 `Invalid signature`, logs its
    /// own event, and stores nothing.
    func testSignerRegistrationRejections() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let keys = f.keys(2, origin: "DE")
        let stream = BatchStream.bytes(of: keys)
        func attempt(_ signer: CertificateFactory.Issued, signingTime: Date? = Date(), event: String, _ name: String)
            async throws
        {
            let sig = try BatchSigner(certificate: signer.certificate, privateKey: signer.privateKey).sign(
                stream: stream, signingTime: signingTime)
            let before = f.lines.filter { $0.contains("message=\"\(event)\"") }.count
            let r = try await f.upload(keys, signature: sig)
            XCTAssertEqual(r.status, 400, name)
            XCTAssertEqual(r.bodyText, #"{"message":"Invalid signature"}"#, name)
            XCTAssertEqual(
                f.lines.filter { $0.contains("message=\"\(event)\"") }.count, before + 1, "\(name) logs \(event)")
        }
        let unregistered = try CertificateFactory.selfSigned(country: "DE", commonName: "unregistered", key: .p256)
        try await attempt(unregistered, event: "unknown signing certificate", "unregistered signer")
        try await attempt(
            f.countries["DE"]!.auth, event: "unknown signing certificate", "registered as AUTHENTICATION only")
        let underFR = try CertificateFactory.selfSigned(country: "DE", commonName: "under-fr", key: .p256)
        _ = try await f.store.insertCertificate(
            CertificateRow(
                createdAt: 0, thumbprint: underFR.thumbprint, country: "FR", type: .signing,
                pem: underFR.certificatePEM, operatorSignature: try f.operatorSigner.sign(underFR.certificatePEM)))
        try await attempt(underFR, event: "unknown signing certificate", "registered under another country")
        let tampered = try CertificateFactory.selfSigned(country: "DE", commonName: "tampered", key: .p256)
        _ = try await f.store.insertCertificate(
            CertificateRow(
                createdAt: 0, thumbprint: tampered.thumbprint, country: "DE", type: .signing,
                pem: tampered.certificatePEM, operatorSignature: try f.operatorSigner.sign(unregistered.certificatePEM))
        )
        try await attempt(tampered, event: "invalid signing certificate signature", "row failing the integrity check")
        let revoked = try CertificateFactory.selfSigned(country: "DE", commonName: "revoked", key: .p256)
        try await f.register(revoked, "DE", .signing)
        _ = try await f.store.revokeCertificates(thumbprint: revoked.thumbprint, country: nil, type: .signing)
        try await attempt(revoked, event: "certificate is revoked", "revoked row")
        let noC = try CertificateFactory.selfSigned(country: nil, commonName: "no-country", key: .p256)
        try await attempt(noC, event: "error verifying batch signature", "subject without C")
        let twoC = try CertificateFactory.selfSigned(
            country: "DE", commonName: "two-countries", key: .p256, extraSubjectCountries: ["FR"])
        XCTAssertEqual(try CertificateFacts(der: twoC.der).countries, ["DE", "FR"])
        try await attempt(twoC, event: "error verifying batch signature", "subject with two C")
        let expired = try CertificateFactory.selfSigned(
            country: "DE", commonName: "expired", key: .p256,
            notBefore: Date().addingTimeInterval(-10 * 86_400), notAfter: Date().addingTimeInterval(-86_400))
        try await f.register(expired, "DE", .signing)
        try await attempt(expired, signingTime: nil, event: "signing certificate expired", "expired signer")
        try await attempt(
            expired, signingTime: Date(), event: "signing time outside certificate validity",
            "signingTime after notAfter")
        try await assertEq(try await f.store.storedKeyCount(), 0)
        XCTAssertFalse(
            f.lines.joined().contains(Base64.encodeString(Array(keys[0].keyData))), "no key material in the log")
    }

    func testRevokedCertificateAndUnknownThumbprint() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        _ = try await f.store.revokeCertificates(
            thumbprint: f.countries["DE"]!.auth.thumbprint, country: nil, type: .authentication)
        let r = await f.api.handle(method: "GET", path: "/diagnosiskeys/callback", request: f.request("GET"))
        XCTAssertEqual(r.status, 403)
        XCTAssertEqual(r.bodyText, #"{"message":"Client certificate is revoked"}"#)
        let noC = APIRequest(
            method: "GET",
            headerLines: [
                (name: "X-Ssl-Client-Sha256", value: f.countries["FR"]!.auth.thumbprint),
                (name: "X-SSL-Client-DN", value: "CN=x"),
            ],
            peerAddress: IPAddressBytes.parse("::1"))
        await assertEq(
            await f.api.handle(method: "GET", path: "/diagnosiskeys/callback", request: noC).bodyText,
            #"{"message":"Client Certificate must contain country property"}"#)
        let twoC = APIRequest(
            method: "GET",
            headerLines: [
                (name: "X-SSL-Client-SHA256", value: f.countries["FR"]!.auth.thumbprint),
                (name: "X-SSL-Client-DN", value: "C=FR,C=DE"),
            ],
            peerAddress: IPAddressBytes.parse("127.0.0.1"))
        await assertEq(await f.api.handle(method: "GET", path: "/diagnosiskeys/callback", request: twoC).status, 400)
        let wrongCountry = APIRequest(
            method: "GET",
            headerLines: [
                (name: "X-SSL-Client-SHA256", value: f.countries["FR"]!.auth.thumbprint),
                (name: "X-SSL-Client-DN", value: "C=DE"),
            ],
            peerAddress: IPAddressBytes.parse("127.0.0.1"))
        await assertEq(
            await f.api.handle(method: "GET", path: "/diagnosiskeys/callback", request: wrongCountry).status, 403)
        let ok = await f.api.handle(
            method: "GET", path: "/diagnosiskeys/callback", request: f.request("GET", country: "FR"))
        XCTAssertEqual(ok.status, 200)
        XCTAssertEqual(ok.bodyText, "[]")
    }
}

/// The gateway's upload store with another count of the unbatched keys: `count`, given the store (a failing count: a
/// database that went away right after a commit; a count that waits).
struct CountReplacingStore: UploadStore, BatchStore {
    struct CountFailure: Error {}
    let base: SQLGatewayStore
    let count: @Sendable (SQLGatewayStore) async throws -> Int

    func isUploadTagReserved(country: String, tag: String) async throws -> Bool {
        try await base.isUploadTagReserved(country: country, tag: tag)
    }

    func storeUpload(_ batch: UploadBatchRecord, keys: UploadKeys) async throws -> UploadStoreOutcome {
        try await base.storeUpload(batch, keys: keys)
    }

    func createDownloadBatch(now: Date, docLimit: Int) async throws -> DownloadBatchRecord? {
        try await base.createDownloadBatch(now: now, docLimit: docLimit)
    }

    func unbatchedKeyCount() async throws -> Int { try await count(base) }
}

/// A gate that waiters pass once it is opened (a waiting task that is cancelled throws).
final class TestGate: Sendable {
    private let opened = Mutex(false)

    /// Lets every waiter pass, now and later.
    func open() { opened.withLock { $0 = true } }

    /// Returns once the gate is open.
    func wait() async throws {
        while !opened.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
    }
}

/// How many times a trigger fired.
final class TriggerCount: Sendable {
    let count = Mutex(0)
}

/// The gateway's certificate store, counting the reads of rows by thumbprint.
final class CertificateReadCountingStore: CertificateStore {
    let base: SQLGatewayStore
    private let count = Mutex(0)
    var reads: Int { count.withLock { $0 } }

    init(base: SQLGatewayStore) { self.base = base }

    func insertCertificate(_ row: CertificateRow) async throws -> CertificateRow {
        try await base.insertCertificate(row)
    }

    func certificates(thumbprint: String, type: CertificateType) async throws -> [CertificateRow] {
        count.withLock { $0 += 1 }
        return try await base.certificates(thumbprint: thumbprint, type: type)
    }

    func certificates(country: String?, type: CertificateType?) async throws -> [CertificateRow] {
        try await base.certificates(country: country, type: type)
    }

    func revokeCertificates(thumbprint: String?, country: String?, type: CertificateType?) async throws -> Int {
        try await base.revokeCertificates(thumbprint: thumbprint, country: country, type: type)
    }

    func updateOperatorSignature(thumbprint: String, type: CertificateType, operatorSignature: String) async throws
        -> Int
    {
        try await base.updateOperatorSignature(
            thumbprint: thumbprint, type: type, operatorSignature: operatorSignature)
    }
}
