// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import XCTest

@testable import EFGSGateway

/// PROTOCOL.md §8, one test per checklist item (numbers as in the spec). Items about the wire bytes are also
/// proved over real HTTP in `EndToEndTests/ServeProcessTests`.
final class CompatibilityChecklistTests: XCTestCase {
    var f: Fixture!
    var today: String { UTCDay(Date()).description }

    override func setUp() async throws { f = try await Fixture() }
    override func tearDown() async throws { try await f.store.close() }

    func signature(_ keys: [DiagnosisKey], _ country: String = "DE") throws -> String {
        try BatchSigner(
            certificate: f.countries[country]!.sign.certificate, privateKey: f.countries[country]!.sign.privateKey
        ).sign(keys: keys)
    }
    func protobuf(_ keys: [DiagnosisKey]) -> [UInt8] {
        var b = DiagnosisKeyBatch()
        b.keys = keys
        return b.protobufBytes()
    }
    func post(
        _ headers: [(String, String)], body: [UInt8], country: String? = "DE", path: String = "/diagnosiskeys/upload"
    ) async -> APIResponse {
        await f.api.handle(
            method: "POST", path: path, request: f.request("POST", country: country, headers: headers, body: body))
    }
    func get(_ path: String, country: String? = "FR", headers: [(String, String)] = []) async -> APIResponse {
        await f.api.handle(method: "GET", path: path, request: f.request("GET", country: country, headers: headers))
    }
    func download(
        _ date: String, accept: String = "application/protobuf; version=1.0", tag: String? = nil, country: String = "FR"
    ) async -> APIResponse {
        var h = [("Accept", accept)]
        if let tag { h.append(("batchTag", tag)) }
        return await get("/diagnosiskeys/download/\(date)", country: country, headers: h)
    }
    /// Uploads `keys` for DE and runs one batching pass; returns the batch tags created.
    @discardableResult
    func uploadAndBatch(_ keys: [DiagnosisKey], country: String = "DE") async throws -> [String] {
        let r = try await f.upload(keys, country: country)
        XCTAssertEqual(r.status, 201, r.bodyText)
        return try await f.services.batching.run().map(\.tag)
    }

    /// 1. Header names in any case: `BatchTag`, `Batchtag`/`Batchsignature`, `X-Ssl-Client-Sha256`.
    func test01HeaderNamesInAnyCase() async throws {
        for (tagName, sigName) in [
            ("BatchTag", "batchSignature"), ("Batchtag", "Batchsignature"), ("batchtag", "BATCHSIGNATURE"),
        ] {
            let keys = f.keys(1, origin: "DE")
            let body = protobuf(keys)
            let r = await f.api.handle(
                method: "POST", path: "/diagnosiskeys/upload",
                request: APIRequest(
                    method: "POST",
                    headerLines: [
                        (name: "content-type", value: "application/protobuf; version=1.0"),
                        (name: tagName, value: "t-\(tagName)"), (name: sigName, value: try signature(keys)),
                        (name: "X-Ssl-Client-Sha256", value: f.countries["DE"]!.auth.thumbprint),
                        (name: "x-ssl-client-dn", value: "C=DE"),
                    ],
                    peerAddress: IPAddressBytes.parse("127.0.0.1"), readBody: { _ in body }))
            XCTAssertEqual(r.status, 201, "\(tagName)/\(sigName): \(r.bodyText)")
        }
    }

    /// 2. Response headers are written `batchTag` / `nextBatchTag` (clients read them in any case).
    func test02ResponseHeaderNames() async throws {
        let tags = try await uploadAndBatch(f.keys(2, origin: "DE"))
        let r = await download(today)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(
            r.headers.map(\.0), ["Content-Type", "batchTag", "nextBatchTag", "X-Protobuf-Schema", "X-Protobuf-Message"])
        XCTAssertEqual(r.header("batchtag"), tags[0])
        XCTAssertEqual(r.header("nextbatchtag"), "null")
        let up = try await f.upload(f.keys(1, origin: "DE"), tag: "echo")
        XCTAssertEqual(up.headers.map(\.0), ["batchTag", "Content-Length"])
    }

    /// 3. `POST /diagnosiskeys/upload/` with a trailing slash.
    func test03TrailingSlash() async throws {
        let keys = f.keys(1, origin: "DE")
        let r = await post(
            [
                ("Content-Type", "application/protobuf; version=1.0"), ("batchTag", "slash"),
                ("batchSignature", try signature(keys)),
            ],
            body: protobuf(keys), path: "/diagnosiskeys/upload/")
        XCTAssertEqual(r.status, 201, r.bodyText)
        let d = await get("/diagnosiskeys/download/\(today)/", headers: [("Accept", "application/json; version=1.0")])
        XCTAssertEqual(d.status, 404, "routed: answered by the endpoint, not the router")
        XCTAssertEqual(d.bodyText, #"{"message":"Could not find any batches for given date"}"#)
    }

    /// 4. Content-Type spellings of the protobuf upload.
    func test04ContentTypeSpellings() async throws {
        for (i, ct) in [
            "application/protobuf; version=1.0", "application/protobuf;version=1.0",
            "Application/Protobuf ; Version = \"1.0\"",
            "application/protobuf; charset=utf-8; version=1.00",
        ].enumerated() {
            let keys = f.keys(1, origin: "DE")
            let r = await post(
                [("Content-Type", ct), ("batchTag", "ct-\(i)"), ("batchSignature", try signature(keys))],
                body: protobuf(keys))
            XCTAssertEqual(r.status, 201, "\(ct): \(r.bodyText)")
        }
    }

    /// 5. Upload Accept is ignored: JSON with or without space, framework defaults, absent, even protobuf — never 406.
    func test05UploadAcceptNeverMatters() async throws {
        for (i, accept) in [
            "application/json; version=1.0", "application/json;version=1.0", "*/*", nil,
            "application/protobuf; version=1.0",
            "text/html", "application/json; version=9.9",
        ].enumerated() {
            let keys = f.keys(1, origin: "DE")
            var h = [
                ("Content-Type", "application/protobuf; version=1.0"), ("batchTag", "acc-\(i)"),
                ("batchSignature", try signature(keys)),
            ]
            if let accept { h.append(("Accept", accept)) }
            let r = await post(h, body: protobuf(keys))
            XCTAssertEqual(r.status, 201, "\(accept ?? "absent"): \(r.bodyText)")
        }
    }

    /// 6. JSON upload as IE sends it: proto names, Base64 keyData, enum name, snake-case DSOS, numeric tag.
    func test06JSONUploadIrelandStyle() async throws {
        var k = f.keys(1, origin: "DE")[0]
        k.reportType = .confirmedTest
        k.daysSinceOnsetOfSymptoms = 3
        let body = """
            {"keys":[{"keyData":"\(Base64.encodeString(Array(k.keyData)))","rollingStartIntervalNumber":\(k.rollingStartIntervalNumber),\
            "rollingPeriod":\(k.rollingPeriod),"transmissionRiskLevel":\(k.transmissionRiskLevel),"visitedCountries":["DE"],"origin":"DE",\
            "reportType":"CONFIRMED_TEST","days_since_onset_of_symptoms":3}]}
            """
        let r = await post(
            [
                ("Content-Type", "application/json; version=1.0"), ("batchTag", "1234567890"),
                ("batchSignature", try signature([k])),
            ],
            body: Array(body.utf8))
        XCTAssertEqual(r.status, 201, r.bodyText)
        XCTAssertEqual(r.header("batchTag"), "1234567890")
        try await f.services.batching.run()
        let d = await download(today)
        XCTAssertEqual(try DiagnosisKeyBatch.parseProtobuf(d.body).keys, [k])
    }

    /// 7. Download Accept spellings, protobuf and JSON.
    func test07DownloadAcceptSpellings() async throws {
        try await uploadAndBatch(f.keys(1, origin: "DE"))
        for (accept, json) in [
            ("application/protobuf; version=1.0", false), ("application/protobuf;version=1.0", false),
            ("application/json; version=1.0", true), ("application/json;version=1.0", true),
            ("text/html, application/json; version=1.0", true),
            ("application/json; q=0; version=1.0, application/protobuf; version=1.0", false),
        ] {
            let r = await download(today, accept: accept)
            XCTAssertEqual(r.status, 200, accept)
            XCTAssertEqual(
                r.header("Content-Type"), json ? "application/json;version=1.0" : "application/protobuf;version=1.0",
                accept)
        }
    }

    /// 8. Download Content-Type is `application/protobuf;version=1.0`, never `application/x-protobuf`.
    func test08DownloadContentTypeIsNeverXProtobuf() async throws {
        try await uploadAndBatch(f.keys(1, origin: "DE"))
        let r = await download(today, accept: "Application/Protobuf; Version=\"1.0\"")
        XCTAssertEqual(r.header("Content-Type"), "application/protobuf;version=1.0")
        let x = await download(today, accept: "application/x-protobuf; version=1.0")
        XCTAssertEqual(x.status, 406, "x-protobuf is not a type the gateway produces")
    }

    /// 9. `nextBatchTag` always present; the literal `null` at the end of the chain.
    func test09NextBatchTagAlwaysPresent() async throws {
        let tags = try await uploadAndBatch(f.keys(1, origin: "DE"))
        try await uploadAndBatch(f.keys(1, origin: "DE"))
        let first = await download(today)
        XCTAssertEqual(first.header("batchTag"), tags[0])
        let second = await download(today, tag: first.header("nextBatchTag"))
        XCTAssertEqual(second.status, 200)
        XCTAssertEqual(second.header("nextBatchTag"), "null")
    }

    /// 10. JSON download exactly as §2.2: only `keys`, enum names, snake-case DSOS, empty batch `{}`.
    func test10JSONDownloadText() async throws {
        var k = v1Key()
        k.rollingStartIntervalNumber = f.keys(1, origin: "DE")[0].rollingStartIntervalNumber
        try await uploadAndBatch([k])
        let r = await download(today, accept: "application/json; version=1.0")
        XCTAssertEqual(
            r.bodyText,
            """
            {"keys": [{"keyData": "Dg8LDgwPDxAODwsODA8PEA==","rollingStartIntervalNumber": \(k.rollingStartIntervalNumber),"rollingPeriod": 1,\
            "transmissionRiskLevel": 3,"visitedCountries": ["DE","FR","PL"],"origin": "DE","reportType": "CONFIRMED_CLINICAL_DIAGNOSIS",\
            "days_since_onset_of_symptoms": 42}]}
            """)
        let own = await download(today, accept: "application/json; version=1.0", country: "DE")
        XCTAssertEqual(own.bodyText, "{}", "the uploader's own keys are excluded: an empty batch is {}")
        let ownPB = await download(today, country: "DE")
        XCTAssertEqual(ownPB.body, [])
    }

    /// 11. The 404 body is exactly `{"message":"Could not find any batches for given date"}`.
    func test11NotFoundBody() async {
        let r = await download(today)
        XCTAssertEqual(r.status, 404)
        XCTAssertEqual(r.bodyText, #"{"message":"Could not find any batches for given date"}"#)
        XCTAssertEqual(r.header("Content-Type"), "application/json")
    }

    /// 12. Explicit `yyyyMMdd-1`, then N+1 until 404; a future N is 404, never 400 or 500.
    func test12ExplicitTagsUntil404() async throws {
        try await uploadAndBatch(f.keys(1, origin: "DE"))
        try await uploadAndBatch(f.keys(1, origin: "DE"))
        let day = UTCDay(Date()).compact
        var n = 1
        while true {
            let r = await download(today, tag: "\(day)-\(n)")
            if r.status != 200 {
                XCTAssertEqual(r.status, 404)
                XCTAssertEqual(r.bodyText, #"{"message":"Could not find batch with given BatchTag"}"#)
                break
            }
            n += 1
        }
        XCTAssertEqual(n, 3)
        await assertEq(await download(today, tag: "\(day)-999999999999").status, 404)
    }

    /// 13. Tags are date + `-` + N: `split("-")[1]` is N, the part before the first `-` is the date.
    func test13TagShape() async throws {
        let tags = try await uploadAndBatch(f.keys(1, origin: "DE")) + uploadAndBatch(f.keys(1, origin: "DE"))
        for (i, tag) in tags.enumerated() {
            let parts = tag.split(separator: "-")
            XCTAssertEqual(parts.count, 2)
            XCTAssertEqual(String(parts[0]), UTCDay(Date()).compact)
            XCTAssertEqual(Int(parts[1]), i + 1)
        }
    }

    /// 14. A batch of a later day is served under an earlier date, and `nextBatchTag` crosses midnight.
    func test14ChainCrossesMidnight() async throws {
        let yesterday = UTCDay(Date()).adding(days: -1)
        try await assertEq(try await f.upload(f.keys(1, origin: "DE")).status, 201)
        f.clock.set(Date(timeIntervalSince1970: TimeInterval(yesterday.epochDay * 86_400 + 86_399)))
        let late = try await f.services.batching.run()
        f.clock.reset()
        let early = try await uploadAndBatch(f.keys(1, origin: "DE"))
        XCTAssertTrue(late[0].tag.hasPrefix(yesterday.compact))
        let r = await download(yesterday.description)
        XCTAssertEqual(r.header("batchTag"), late[0].tag)
        XCTAssertEqual(r.header("nextBatchTag"), early[0], "the chain crosses midnight")
        let later = await download(yesterday.description, tag: early[0])
        XCTAssertEqual(later.status, 200, "today's batch served under yesterday's date")
        let wrong = await download(today, tag: late[0].tag)
        XCTAssertEqual(wrong.status, 400)
        XCTAssertEqual(wrong.bodyText, #"{"message":"Given date does is not after or equals the requested batchTag"}"#)
        // without a header, yesterday's date finds yesterday's batch; with no batch yesterday, today's would do
    }

    /// 15. A future date (client clock ahead of UTC) is 404, with or without a batchTag.
    func test15FutureDateIs404() async throws {
        let tags = try await uploadAndBatch(f.keys(1, origin: "DE"))
        let tomorrow = UTCDay(Date()).adding(days: 1).description
        for tag in [nil, tags[0], "\(UTCDay(Date()).adding(days: 1).compact)-1"] {
            let r = await download(tomorrow, tag: tag)
            XCTAssertEqual(r.status, 404, tag ?? "no tag")
            XCTAssertEqual(r.bodyText, #"{"message":"Could not find any batches for given date"}"#)
        }
    }

    /// 16. 201 echoes the sent tag exactly.
    func test16CreatedEchoesTag() async throws {
        for tag in ["2020-9-8-AbCd1A==-0", "a+b/c=", "x"] {
            let r = try await f.upload(f.keys(1, origin: "DE"), tag: tag)
            XCTAssertEqual(r.status, 201)
            XCTAssertEqual(r.header("batchTag"), tag)
        }
    }

    /// 17. 207 `{"500":[],"201":[…],"409":[…]}`, nothing stored, tag reusable (FI re-sends the 201 indices with the
    /// same tag; DE re-sends with a new tag).
    func test17MultiStatusThenResend() async throws {
        let k = f.keys(3, origin: "DE")
        try await assertEq(try await f.upload([k[1]], tag: "first").status, 201)
        let r = try await f.upload(k, tag: "fi-tag")
        XCTAssertEqual(r.status, 207)
        XCTAssertEqual(r.header("Content-Type"), "application/json")
        XCTAssertEqual(r.bodyText, #"{"500":[],"201":[0,2],"409":[1]}"#)
        try await assertEq(try await f.store.storedKeyCount(), 1)
        try await assertEq(
            try await f.upload([k[0], k[2]], tag: "fi-tag").status, 201, "FI: same tag, the 201 indices")
        let de = f.keys(2, origin: "DE")
        try await assertEq(try await f.upload([de[0], k[0]], tag: "de-1").status, 207)
        try await assertEq(try await f.upload([de[0]], tag: "de-2").status, 201, "DE: a new tag")
        try await assertEq(try await f.store.storedKeyCount(), 4)
    }

    /// 18. Upload tags of every national style, unique per country only.
    func test18UploadTagStyles() async throws {
        let tags = [
            "2020-9-8-AbCd1A==-0", "a+b/c=", String(repeating: "0a", count: 32), "1606813200", "20201201-1",
            "20201201-abc",
            "Ab3dE5gH9k", String(repeating: "~", count: 64),
        ]
        for tag in tags {
            try await assertEq(try await f.upload(f.keys(1, origin: "DE"), tag: tag).status, 201, tag)
            try await assertEq(
                try await f.upload(f.keys(1, origin: "FR"), country: "FR", tag: tag).status, 201, "FR may reuse \(tag)")
        }
        for bad in [String(repeating: "x", count: 65), "tab\there", "ä"] {
            try await assertEq(
                try await f.upload(f.keys(1, origin: "DE"), tag: bad).bodyText,
                #"{"message":"Invalid batchTag header"}"#, bad)
        }
    }

    /// 19. Thumbprint as upper-case hex, lower-case hex or Base64; a DN of just `C=DK`.
    func test19ThumbprintAndDNSpellings() async throws {
        let tp = f.countries["FR"]!.auth.thumbprint
        let b64 = Base64.encodeString(
            stride(from: 0, to: 64, by: 2).map { UInt8(tp.dropFirst($0).prefix(2), radix: 16)! })
        for (value, dn) in [
            (tp.uppercased(), "C=FR"), (tp, "C=FR"), (b64, "CN=x, C=FR"),
            (b64.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!, "/CN=x/C=FR"),
        ] {
            let r = await f.api.handle(
                method: "GET", path: "/diagnosiskeys/callback",
                request: APIRequest(
                    method: "GET",
                    headerLines: [(name: "X-SSL-Client-SHA256", value: value), (name: "X-SSL-Client-DN", value: dn)],
                    peerAddress: IPAddressBytes.parse("127.0.0.1")))
            XCTAssertEqual(r.status, 200, "\(value) \(dn): \(r.bodyText)")
        }
    }

    /// 20. Keys with empty visitedCountries, TRL 2147483647 and any DSOS value.
    func test20UnusualKeyValues() async throws {
        var keys = f.keys(4, origin: "DE")
        keys[0].visitedCountries = []
        keys[1].transmissionRiskLevel = 2_147_483_647
        keys[2].daysSinceOnsetOfSymptoms = -2_147_483_648
        keys[3].daysSinceOnsetOfSymptoms = 4000
        try await uploadAndBatch(keys)
        let d = await download(today)
        XCTAssertEqual(try DiagnosisKeyBatch.parseProtobuf(d.body).keys, keys)
    }

    /// 21. A ~3 KB `batchSignature` (RSA-4096 signer). The §6.5 cases are `CMSVectorTests`.
    func test21LargeRSA4096Signature() async throws {
        let signer = try CertificateFactory.selfSigned(country: "DE", commonName: "nl-style", key: .rsa4096)
        try await f.register(signer, "DE", .signing)
        let keys = f.keys(2, origin: "DE")
        let sig = try BatchSigner(certificate: signer.certificate, privateKey: signer.privateKey).sign(keys: keys)
        XCTAssertGreaterThan(sig.count, 2000)
        try await assertEq(try await f.upload(keys, signature: sig).status, 201)
    }

    /// 22. Audit: no null member, byte-exact canonical PEM, the download date (also across midnight), and slicing
    /// by `amount` globally or per origin.
    func test22Audit() async throws {
        let yesterday = UTCDay(Date()).adding(days: -1)
        let de = f.keys(3, origin: "DE")
        let fr = f.keys(2, origin: "FR")
        let de2 = f.keys(1, origin: "DE")
        try await assertEq(try await f.upload(de).status, 201)
        try await assertEq(try await f.upload(fr, country: "FR").status, 201)
        try await assertEq(try await f.upload(de2).status, 201)
        let tags = try await f.services.batching.run().map(\.tag)
        XCTAssertEqual(tags.count, 1)
        // a third country downloads and audits everything
        let pl = try CertificateFactory.selfSigned(country: "PL", commonName: "auth-PL", key: .p256)
        try await f.register(pl, "PL", .authentication)
        f.countries["PL"] = (pl, pl)
        let d = await download(yesterday.description, country: "PL")
        XCTAssertEqual(d.status, 200, "download date yesterday finds today's batch")
        let keys = try DiagnosisKeyBatch.parseProtobuf(d.body).keys
        XCTAssertEqual(keys, de + fr + de2)
        let a = await get("/diagnosiskeys/audit/download/\(yesterday)/\(tags[0])", country: "PL")
        XCTAssertEqual(a.status, 200, "audit with the download date across midnight")
        XCTAssertFalse(a.bodyText.contains("null"))
        let entries = try AuditEntry.decodeList(a.body)
        XCTAssertEqual(a.body, AuditEntry.encoded(entries), "the body is exactly the entries' encoding")
        XCTAssertEqual(entries.map(\.country), ["DE", "FR", "DE"])
        XCTAssertEqual(entries.map(\.amount), [3, 2, 1])
        XCTAssertEqual(
            entries[0].uploaderCertificate, f.countries["DE"]!.auth.certificatePEM, "byte-exact canonical PEM")
        XCTAssertEqual(entries[1].signingCertificate, f.countries["FR"]!.sign.certificatePEM)
        // global slicing
        var offset = 0
        for e in entries {
            let slice = Array(keys[offset..<offset + e.amount])
            offset += e.amount
            XCTAssertNoThrow(
                try BatchSignatureVerifier(allowLegacySha1: false).verify(
                    batchSignature: e.batchSignature, stream: BatchStream.bytes(of: slice), now: Date()))
        }
        // per-origin slicing gives the same slices
        for country in ["DE", "FR"] {
            let own = keys.filter { $0.origin == country }
            var o = 0
            for e in entries where e.country == country {
                let slice = Array(own[o..<o + e.amount])
                o += e.amount
                XCTAssertNoThrow(
                    try BatchSignatureVerifier(allowLegacySha1: false).verify(
                        batchSignature: e.batchSignature, stream: BatchStream.bytes(of: slice), now: Date()))
            }
        }
        let future = await get(
            "/diagnosiskeys/audit/download/\(UTCDay(Date()).adding(days: 1))/\(tags[0])", country: "PL")
        XCTAssertEqual(future.bodyText, #"{"message":"Given date does not match the requested batch"}"#)
    }

    /// 23. Audit without an Accept version, even with `Content-Type: application/json`.
    func test23AuditAcceptRules() async throws {
        let tags = try await uploadAndBatch(f.keys(1, origin: "DE"))
        let path = "/diagnosiskeys/audit/download/\(today)/\(tags[0])"
        for h in [
            [], [("Accept", "application/json")], [("Content-Type", "application/json")], [("Accept", "*/*")],
            [("Accept", "application/*")],
            [("Accept", "application/json; version=1.0")],
        ] as [[(String, String)]] {
            let r = await get(path, headers: h)
            XCTAssertEqual(r.status, 200, "\(h)")
            XCTAssertEqual(r.header("Content-Type"), "application/json")
        }
        // the audit's own checks (§5.5): date syntax 400, too old 410, unknown tag 404
        let old = UTCDay(Date()).adding(days: -3).description
        await assertEq(
            await get("/diagnosiskeys/audit/download/2024-13-01/\(tags[0])").bodyText,
            #"{"message":"Invalid date format, expected yyyy-MM-dd"}"#)
        await assertEq(
            await get("/diagnosiskeys/audit/download/\(old)/\(tags[0])").bodyText,
            #"{"message":"Requested date is too old!"}"#)
        await assertEq(await get("/diagnosiskeys/audit/download/\(old)/\(tags[0])").status, 410)
        await assertEq(
            await get("/diagnosiskeys/audit/download/\(today)/\(UTCDay(Date()).compact)-9").bodyText,
            #"{"message":"Could not find batch with given BatchTag"}"#)
        let html = await get(path, headers: [("Accept", "text/html")])
        XCTAssertEqual(html.status, 406)
        XCTAssertEqual(html.bodyText, #"{"message":"Content-Type is not compatible"}"#)
    }

    /// 24. An empty or `null` batchTag header on download means no header.
    func test24EmptyOrNullBatchTagHeader() async throws {
        let tags = try await uploadAndBatch(f.keys(1, origin: "DE"))
        for value in ["", "  ", "null", "NULL", "Null"] {
            let r = await download(today, tag: value)
            XCTAssertEqual(r.status, 200, "'\(value)'")
            XCTAssertEqual(r.header("batchTag"), tags[0])
        }
    }

    /// 25. Callback administration as clients use it: an unencoded `url` (MT), DELETE of other ids (FI, MT), the
    /// list member `callbackId`. (202 as delivery success is the callback-delivery issue.)
    func test25CallbackAdministration() async throws {
        let cb = try CertificateFactory.selfSigned(
            country: "DE", commonName: "cb", key: .p256, ipAddresses: [[8, 8, 8, 8]])
        try await f.register(cb, "DE", .callback)
        let put = await f.api.handle(
            method: "PUT", path: "/diagnosiskeys/callback/mt-1",
            request: f.request("PUT", query: "url=https://8.8.8.8/efgs/callback"))
        XCTAssertEqual(put.status, 200, put.bodyText)
        let encoded = await f.api.handle(
            method: "PUT", path: "/diagnosiskeys/callback/de.2",
            request: f.request("PUT", query: "url=https%3A%2F%2F8.8.8.8%2Fcb"))
        XCTAssertEqual(encoded.status, 200, encoded.bodyText)
        let list = await get("/diagnosiskeys/callback", country: "DE")
        XCTAssertEqual(
            list.bodyText,
            #"[{"callbackId":"mt-1","url":"https://8.8.8.8/efgs/callback"},{"callbackId":"de.2","url":"https://8.8.8.8/cb"}]"#
        )
        let other = await f.api.handle(
            method: "DELETE", path: "/diagnosiskeys/callback/not-mine", request: f.request("DELETE"))
        XCTAssertEqual(other.status, 404)
        let frDelete = await f.api.handle(
            method: "DELETE", path: "/diagnosiskeys/callback/mt-1", request: f.request("DELETE", country: "FR"))
        XCTAssertEqual(frDelete.status, 404, "another country's subscription is not FR's")
        let del = await f.api.handle(
            method: "DELETE", path: "/diagnosiskeys/callback/mt-1", request: f.request("DELETE"))
        XCTAssertEqual(del.status, 200)
        await assertEq(
            await get("/diagnosiskeys/callback", country: "DE").bodyText,
            #"[{"callbackId":"de.2","url":"https://8.8.8.8/cb"}]"#)
    }

    /// 26. Errors never come as 2xx or HTML; 406 only for version problems; 413 only for key count or body size.
    func test26ErrorsAreJSONWithTheRightStatusFamily() async throws {
        let keys = f.keys(1, origin: "DE")
        let sig = try signature(keys)
        var responses: [(String, APIResponse)] = []
        let uploads: [(String, [(String, String)], [UInt8])] = [
            ("no content type", [("batchTag", "e1"), ("batchSignature", sig)], protobuf(keys)),
            (
                "bad version",
                [("Content-Type", "application/protobuf; version=2.0"), ("batchTag", "e2"), ("batchSignature", sig)],
                protobuf(keys)
            ),
            (
                "bad version syntax",
                [("Content-Type", "application/protobuf; version=1"), ("batchTag", "e3"), ("batchSignature", sig)],
                protobuf(keys)
            ),
            (
                "garbage body",
                [("Content-Type", "application/protobuf; version=1.0"), ("batchTag", "e4"), ("batchSignature", sig)],
                [0xFF, 0x01]
            ),
            (
                "bad JSON base64",
                [("Content-Type", "application/json; version=1.0"), ("batchTag", "e5"), ("batchSignature", sig)],
                Array(#"{"keys":[{"keyData":"@@"}]}"#.utf8)
            ),
            (
                "garbage signature",
                [("Content-Type", "application/protobuf; version=1.0"), ("batchTag", "e6"), ("batchSignature", "%%%")],
                protobuf(keys)
            ),
        ]
        for (name, h, body) in uploads { responses.append((name, await post(h, body: body))) }
        responses.append(("unknown path", await get("/diagnosiskeys/nothing")))
        responses.append(("bad date", await download("2020-02-30")))
        responses.append(("no accept", await get("/diagnosiskeys/download/\(today)")))
        for (name, r) in responses {
            XCTAssertTrue((400..<500).contains(r.status), "\(name): \(r.status)")
            XCTAssertEqual(r.header("Content-Type"), "application/json", name)
            XCTAssertTrue(
                r.bodyText.hasPrefix(#"{"message":""#) && r.bodyText.hasSuffix("\"}"), "\(name): \(r.bodyText)")
            if r.status == 406 { XCTAssertTrue(["bad version", "no accept"].contains(name), name) }
            XCTAssertNotEqual(r.status, 413, name)
        }
        XCTAssertEqual(
            responses.first { $0.0 == "bad version syntax" }?.1.bodyText,
            #"{"message":"Version can just contain a major and minor version splitted by a dot!"}"#)
        try await assertEq(try await f.store.storedKeyCount(), 0, "no refusal stored anything")
    }
}
