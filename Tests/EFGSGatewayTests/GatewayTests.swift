import EFGSCrypto
@testable import EFGSGateway
import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import Logging
import XCTest

/// A gateway on a temporary SQLite file with a trust anchor and two registered countries.
final class Fixture: @unchecked Sendable {
    let dir: URL
    let gateway: Gateway
    let store: SQLGatewayStore
    let operatorSigner: OperatorSigner
    var countries: [String: (auth: CertificateFactory.Issued, sign: CertificateFactory.Issued)] = [:]
    var lines: [String] { logBox.lines }
    let logBox = LogBox()
    /// The gateway's clock; tests move it (batching across midnight).
    let clock = ClockBox()

    final class ClockBox: @unchecked Sendable {
        let lock = NSLock(); var offset: TimeInterval = 0
        var now: Date { lock.lock(); defer { lock.unlock() }; return Date().addingTimeInterval(offset) }
        func set(_ date: Date) { lock.lock(); offset = date.timeIntervalSinceNow; lock.unlock() }
        func reset() { lock.lock(); offset = 0; lock.unlock() }
    }

    final class LogBox: @unchecked Sendable {
        let lock = NSLock(); var lines: [String] = []
        func add(_ l: String) { lock.lock(); lines.append(l); lock.unlock() }
    }

    init(configure: (inout [String: String]) -> Void = { _ in }) async throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("efgs-gw-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let ta = try CertificateFactory.selfSigned(country: nil, commonName: "TA", key: .p256)
        try ta.certificatePEM.write(to: dir.appendingPathComponent("ta.pem"), atomically: true, encoding: .utf8)
        operatorSigner = try OperatorSigner(pem: ta.privateKeyPEM)
        var env = ["TRUST_ANCHOR_CERTIFICATE_PATH": dir.appendingPathComponent("ta.pem").path,
                   "DATABASE_URL": TestDatabase.url(sqliteFile: dir.appendingPathComponent("efgs.sqlite").path),
                   "STORAGE_KEYS": "k1:" + Base64.encodeString([UInt8](repeating: 7, count: 32)),
                   "STORAGE_ACTIVE_KEY_ID": "k1", "BATCHING_DOC_LIMIT": "5000"]
        configure(&env)
        let config = try await GatewayConfiguration.load(path: nil, environment: env)
        store = try await TestDatabase.openFresh(url: config.databaseURL)
        let box = logBox, clockBox = clock
        gateway = try Gateway(config: config, store: store, trustAnchor: try TrustAnchor(pem: ta.certificatePEM),
                              log: EventLog(minimumLevel: .debug, sink: { box.add($0) }), clock: { clockBox.now })
        for (c, kind) in [("DE", CertificateFactory.KeyKind.rsa3072), ("FR", .p256)] {
            let auth = try CertificateFactory.selfSigned(country: c, commonName: "auth-\(c)", key: kind)
            let sign = try CertificateFactory.selfSigned(country: c, commonName: "sign-\(c)", key: kind)
            try await register(auth, c, .authentication)
            try await register(sign, c, .signing)
            countries[c] = (auth, sign)
        }
    }

    func register(_ issued: CertificateFactory.Issued, _ country: String, _ type: CertificateType) async throws {
        _ = try await store.insertCertificate(CertificateRow(createdAt: 0, thumbprint: issued.thumbprint, country: country, type: type,
                                                             pem: issued.certificatePEM, operatorSignature: try operatorSigner.sign(issued.certificatePEM)))
    }

    func request(_ method: String, country: String? = "DE", headers: [(String, String)] = [], body: [UInt8] = [], peer: String = "127.0.0.1", query: String? = nil) -> APIRequest {
        var lines = headers.map { (name: $0.0, value: $0.1) }
        if let country, let c = countries[country] {
            lines.append((name: "X-SSL-Client-SHA256", value: c.auth.thumbprint.uppercased()))
            lines.append((name: "X-SSL-Client-DN", value: "CN=auth-\(country),C=\(country)"))
        }
        return APIRequest(method: method, headerLines: lines, query: query, peerAddress: IPAddressBytes.parse(peer),
                          readBody: { limit in body.count > limit ? nil : body })
    }

    func keys(_ n: Int, origin: String) -> [DiagnosisKey] {
        (0..<n).map { _ in
            var k = DiagnosisKey(); k.keyData = Data((0..<16).map { _ in UInt8.random(in: 0...255) })
            k.rollingStartIntervalNumber = UInt32(Date().timeIntervalSince1970 / 600) - 144; k.rollingPeriod = 144
            k.transmissionRiskLevel = 2; k.visitedCountries = ["DE"]; k.origin = origin; k.reportType = .confirmedTest
            return k
        }
    }

    func upload(_ keys: [DiagnosisKey], country: String = "DE", tag: String = UUID().uuidString, format: WireFormat = .protobuf,
                signature: String? = nil, extraHeaders: [(String, String)] = []) async throws -> APIResponse {
        let signer = try BatchSigner(certificate: countries[country]!.sign.certificate, privateKey: countries[country]!.sign.privateKey)
        var b = DiagnosisKeyBatch(); b.keys = keys
        let body = format == .protobuf ? b.protobufBytes() : DiagnosisKeyJSONEncoder.encode(keys)
        let ct = format == .protobuf ? "application/protobuf; version=1.0" : "application/json;version=1.0"
        return await gateway.handle(method: "POST", path: "/diagnosiskeys/upload", request: request("POST", country: country, headers: [
            ("Content-Type", ct), ("BatchTag", tag), ("batchsignature", try signature ?? signer.sign(keys: keys))] + extraHeaders, body: body))
    }
}

final class UploadTests: XCTestCase {
    func testUploadDownloadAuditRoundTrip() async throws {
        let f = try await Fixture()
        defer { let s = f.store; Task { try? await s.close() } }
        let de = f.keys(3, origin: "DE"), fr = f.keys(2, origin: "FR")
        let r1 = try await f.upload(de, tag: "2020-9-8-AbCd1A==-0")
        XCTAssertEqual(r1.status, 201, r1.bodyText)
        XCTAssertEqual(r1.header("batchTag"), "2020-9-8-AbCd1A==-0")
        XCTAssertEqual(r1.body, [])
        try await assertEq(try await f.upload(fr, country: "FR", format: .json).status, 201)
        XCTAssertTrue(f.lines.contains { $0.contains("message=\"successfull batch upload\"") && $0.contains("numKeys=\"3\"") && $0.contains("country=\"DE\"") })

        let created = try await BatchingJob(gateway: f.gateway).run()
        XCTAssertEqual(created.map(\.keyCount), [3, 2], "formats differ: two batches")
        let today = UTCDay(Date()).description
        // FR downloads: sees DE's 3 keys in batch 1, and nothing of its own in batch 2
        let d1 = await f.gateway.handle(method: "GET", path: "/diagnosiskeys/download/\(today)",
                                        request: f.request("GET", country: "FR", headers: [("Accept", "application/json; version=1.0")]))
        XCTAssertEqual(d1.status, 200)
        XCTAssertEqual(d1.header("Content-Type"), "application/json;version=1.0")
        XCTAssertEqual(d1.header("batchTag"), created[0].tag)
        XCTAssertEqual(d1.header("nextBatchTag"), created[1].tag)
        XCTAssertEqual(try DiagnosisKeyJSONDecoder.decode(d1.body), de)
        let d2 = await f.gateway.handle(method: "GET", path: "/diagnosiskeys/download/\(today)",
                                        request: f.request("GET", country: "FR", headers: [("Accept", "application/protobuf;version=1.0"), ("batchTag", created[1].tag)]))
        XCTAssertEqual(d2.status, 200); XCTAssertEqual(d2.body, []); XCTAssertEqual(d2.header("nextBatchTag"), "null")
        XCTAssertEqual(d2.header("Content-Type"), "application/protobuf;version=1.0")
        // audit of batch 1 for FR lists DE's upload with amount 3 and a verifiable signature
        let a = await f.gateway.handle(method: "GET", path: "/diagnosiskeys/audit/download/\(today)/\(created[0].tag)", request: f.request("GET", country: "FR"))
        XCTAssertEqual(a.status, 200)
        XCTAssertTrue(a.bodyText.hasPrefix("[{\"country\":\"DE\",\"uploadedTime\":\""), a.bodyText)
        XCTAssertTrue(a.bodyText.contains("\"amount\":3,\"batchSignature\":"))
        XCTAssertFalse(a.bodyText.contains("null"))
        // DE's own audit of the same batch is empty
        let own = await f.gateway.handle(method: "GET", path: "/diagnosiskeys/audit/download/\(today)/\(created[0].tag)", request: f.request("GET", country: "DE"))
        XCTAssertEqual(own.bodyText, "[]")
        // future N → 404, unknown date → 404, bad date → 400, old → 410
        for (hdrs, path, status, msg) in [
            ([("batchTag", "\(UTCDay(Date()).compact)-99")], today, 404, "Could not find batch with given BatchTag"),
            ([("batchTag", "null")], today, 200, nil),
            ([], UTCDay(Date()).adding(days: 1).description, 404, "Could not find any batches for given date"),
            ([], "2020-1-1", 400, "Invalid date format, expected yyyy-MM-dd"),
            ([], UTCDay(Date()).adding(days: -3).description, 410, "Requested date is too old!"),
        ] as [([(String, String)], String, Int, String?)] {
            let r = await f.gateway.handle(method: "GET", path: "/diagnosiskeys/download/\(path)",
                                           request: f.request("GET", country: "FR", headers: [("Accept", "application/protobuf; version=1.0")] + hdrs))
            XCTAssertEqual(r.status, status, "\(path) \(hdrs)")
            if let msg { XCTAssertEqual(r.bodyText, "{\"message\":\"\(msg)\"}") }
        }
    }

    func testDuplicatesAnswer207AndStoreNothing() async throws {
        let f = try await Fixture()
        defer { let s = f.store; Task { try? await s.close() } }
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
        XCTAssertEqual(again.status, 409); XCTAssertEqual(again.bodyText, #"{"message":"BatchTag already exists."}"#)
        try await assertEq(try await f.upload(f.keys(1, origin: "FR"), country: "FR", tag: "t2").status, 201, "tags are per country")
    }

    func testCheckOrderAndMessages() async throws {
        let f = try await Fixture()
        defer { let s = f.store; Task { try? await s.close() } }
        let good = f.keys(1, origin: "DE")
        func post(_ headers: [(String, String)], body: [UInt8] = [], country: String? = "DE", peer: String = "127.0.0.1") async -> APIResponse {
            await f.gateway.handle(method: "POST", path: "/diagnosiskeys/upload/", request: f.request("POST", country: country, headers: headers, body: body, peer: peer))
        }
        let sig = try BatchSigner(certificate: f.countries["DE"]!.sign.certificate, privateKey: f.countries["DE"]!.sign.privateKey).sign(keys: good)
        var b = DiagnosisKeyBatch(); b.keys = good
        let pb = b.protobufBytes()
        let cases: [([(String, String)], [UInt8], String?, String, Int, String)] = [
            ([], pb, "DE", "127.0.0.1", 415, "Content-Type is not compatible"),
            ([("Content-Type", "application/protobuf; version=1.0")], pb, nil, "127.0.0.1", 403, "Client is not authorized to access the service"),
            ([("Content-Type", "application/protobuf; version=1.0")], pb, "DE", "10.1.2.3", 403, "Client is not authorized to access the service"),
            ([("Content-Type", "application/protobuf; version=1.0")], pb, "DE", "127.0.0.1", 400, "Required header 'batchTag' is not present."),
            ([("Content-Type", "application/protobuf; version=1.0"), ("batchTag", "a b")], pb, "DE", "127.0.0.1", 400, "Invalid batchTag header"),
            ([("Content-Type", "application/protobuf; version=1.0"), ("batchTag", "x")], pb, "DE", "127.0.0.1", 400, "Required header 'batchSignature' is not present."),
            ([("Content-Type", "application/protobuf"), ("batchTag", "x"), ("batchSignature", sig)], pb, "DE", "127.0.0.1", 400, "Version parameter of Content-Type is required!"),
            ([("Content-Type", "application/protobuf; version=1.1"), ("batchTag", "x"), ("batchSignature", sig)], pb, "DE", "127.0.0.1", 406, "Protocol version is not compatible!"),
            ([("Content-Type", "application/protobuf; version=1.0"), ("batchTag", "x"), ("batchSignature", sig)], [0x0A, 0x09], "DE", "127.0.0.1", 400, "Failed to read request"),
            ([("Content-Type", "application/protobuf; version=1.0"), ("batchTag", "x"), ("batchSignature", sig)], [], "DE", "127.0.0.1", 400, "Validation of diagnosis key failed: The batch contains no diagnosis keys."),
            ([("Content-Type", "application/protobuf; version=1.0"), ("batchTag", "x"), ("batchSignature", "AAAA")], pb, "DE", "127.0.0.1", 400, "Invalid signature"),
        ]
        for (h, body, c, peer, status, msg) in cases {
            let r = await post(h, body: body, country: c, peer: peer)
            XCTAssertEqual(r.status, status, "\(h)")
            XCTAssertEqual(r.bodyText, "{\"message\":\"\(msg)\"}", "\(h)")
            XCTAssertEqual(r.header("Content-Type"), "application/json")
        }
        // FR signs, DE uploads: signer country differs
        let frSig = try BatchSigner(certificate: f.countries["FR"]!.sign.certificate, privateKey: f.countries["FR"]!.sign.privateKey).sign(keys: good)
        try await assertEq(try await f.upload(good, signature: frSig).bodyText, #"{"message":"Invalid signature"}"#)
        XCTAssertTrue(f.lines.contains { $0.contains("message=\"different origins\"") })
        // origin mismatch
        try await assertEq(try await f.upload(f.keys(1, origin: "FR")).bodyText, #"{"message":"One or more keys are not originated from uploader country"}"#)
        // too many keys
        let many = await post([("Content-Type", "application/json; version=1.0"), ("batchTag", "m"), ("batchSignature", sig)],
                              body: DiagnosisKeyJSONEncoder.encode(Array(repeating: good[0], count: 5001)))
        XCTAssertEqual(many.status, 413); XCTAssertEqual(many.bodyText, #"{"message":"Too many diagnosis keys"}"#)
        try await assertEq(try await f.store.storedKeyCount(), 0, "nothing stored by any refusal")
    }

    /// §6.4/§6.6 rejections that depend on the certificate table: each answers 400 `Invalid signature`, logs its
    /// own event, and stores nothing.
    func testSignerRegistrationRejections() async throws {
        let f = try await Fixture()
        defer { let s = f.store; Task { try? await s.close() } }
        let keys = f.keys(2, origin: "DE")
        let stream = BatchStream.bytes(of: keys)
        func attempt(_ signer: CertificateFactory.Issued, signingTime: Date? = Date(), event: String, _ name: String) async throws {
            let sig = try BatchSigner(certificate: signer.certificate, privateKey: signer.privateKey).sign(stream: stream, signingTime: signingTime)
            let before = f.lines.filter { $0.contains("message=\"\(event)\"") }.count
            let r = try await f.upload(keys, signature: sig)
            XCTAssertEqual(r.status, 400, name)
            XCTAssertEqual(r.bodyText, #"{"message":"Invalid signature"}"#, name)
            XCTAssertEqual(f.lines.filter { $0.contains("message=\"\(event)\"") }.count, before + 1, "\(name) logs \(event)")
        }
        let unregistered = try CertificateFactory.selfSigned(country: "DE", commonName: "unregistered", key: .p256)
        try await attempt(unregistered, event: "unknown signing certificate", "unregistered signer")
        try await attempt(f.countries["DE"]!.auth, event: "unknown signing certificate", "registered as AUTHENTICATION only")
        let underFR = try CertificateFactory.selfSigned(country: "DE", commonName: "under-fr", key: .p256)
        try await f.store.insertCertificate(CertificateRow(createdAt: 0, thumbprint: underFR.thumbprint, country: "FR", type: .signing,
                                                            pem: underFR.certificatePEM, operatorSignature: try f.operatorSigner.sign(underFR.certificatePEM)))
        try await attempt(underFR, event: "unknown signing certificate", "registered under another country")
        let tampered = try CertificateFactory.selfSigned(country: "DE", commonName: "tampered", key: .p256)
        try await f.store.insertCertificate(CertificateRow(createdAt: 0, thumbprint: tampered.thumbprint, country: "DE", type: .signing,
                                                            pem: tampered.certificatePEM, operatorSignature: try f.operatorSigner.sign(unregistered.certificatePEM)))
        try await attempt(tampered, event: "invalid signing certificate signature", "row failing the integrity check")
        let revoked = try CertificateFactory.selfSigned(country: "DE", commonName: "revoked", key: .p256)
        try await f.register(revoked, "DE", .signing)
        _ = try await f.store.revokeCertificates(thumbprint: revoked.thumbprint, country: nil, type: .signing)
        try await attempt(revoked, event: "certificate is revoked", "revoked row")
        let noC = try CertificateFactory.selfSigned(country: nil, commonName: "no-country", key: .p256)
        try await attempt(noC, event: "error verifying batch signature", "subject without C")
        let twoC = try CertificateFactory.selfSigned(country: "DE", commonName: "two-countries", key: .p256, extraSubjectCountries: ["FR"])
        XCTAssertEqual(try CertificateFacts(der: twoC.der).countries, ["DE", "FR"])
        try await attempt(twoC, event: "error verifying batch signature", "subject with two C")
        let expired = try CertificateFactory.selfSigned(country: "DE", commonName: "expired", key: .p256,
                                                        notBefore: Date().addingTimeInterval(-10 * 86_400), notAfter: Date().addingTimeInterval(-86_400))
        try await f.register(expired, "DE", .signing)
        try await attempt(expired, signingTime: nil, event: "signing certificate expired", "expired signer")
        try await attempt(expired, signingTime: Date(), event: "signing time outside certificate validity", "signingTime after notAfter")
        try await assertEq(try await f.store.storedKeyCount(), 0)
        XCTAssertFalse(f.lines.joined().contains(Base64.encodeString(Array(keys[0].keyData))), "no key material in the log")
    }

    func testRevokedCertificateAndUnknownThumbprint() async throws {
        let f = try await Fixture()
        defer { let s = f.store; Task { try? await s.close() } }
        _ = try await f.store.revokeCertificates(thumbprint: f.countries["DE"]!.auth.thumbprint, country: nil, type: .authentication)
        let r = await f.gateway.handle(method: "GET", path: "/diagnosiskeys/callback", request: f.request("GET"))
        XCTAssertEqual(r.status, 403); XCTAssertEqual(r.bodyText, #"{"message":"Client certificate is revoked"}"#)
        let noC = APIRequest(method: "GET", headerLines: [(name: "X-Ssl-Client-Sha256", value: f.countries["FR"]!.auth.thumbprint), (name: "X-SSL-Client-DN", value: "CN=x")],
                             peerAddress: IPAddressBytes.parse("::1"))
        await assertEq(await f.gateway.handle(method: "GET", path: "/diagnosiskeys/callback", request: noC).bodyText, #"{"message":"Client Certificate must contain country property"}"#)
        let twoC = APIRequest(method: "GET", headerLines: [(name: "X-SSL-Client-SHA256", value: f.countries["FR"]!.auth.thumbprint), (name: "X-SSL-Client-DN", value: "C=FR,C=DE")],
                              peerAddress: IPAddressBytes.parse("127.0.0.1"))
        await assertEq(await f.gateway.handle(method: "GET", path: "/diagnosiskeys/callback", request: twoC).status, 400)
        let wrongCountry = APIRequest(method: "GET", headerLines: [(name: "X-SSL-Client-SHA256", value: f.countries["FR"]!.auth.thumbprint), (name: "X-SSL-Client-DN", value: "C=DE")],
                                      peerAddress: IPAddressBytes.parse("127.0.0.1"))
        await assertEq(await f.gateway.handle(method: "GET", path: "/diagnosiskeys/callback", request: wrongCountry).status, 403)
        let ok = await f.gateway.handle(method: "GET", path: "/diagnosiskeys/callback", request: f.request("GET", country: "FR"))
        XCTAssertEqual(ok.status, 200); XCTAssertEqual(ok.bodyText, "[]")
    }

    func testRoutingOptionsAndMethods() async throws {
        let f = try await Fixture()
        defer { let s = f.store; Task { try? await s.close() } }
        let o = await f.gateway.handle(method: "OPTIONS", path: "/diagnosiskeys", request: f.request("OPTIONS", country: nil))
        XCTAssertEqual(o.status, 200)
        XCTAssertEqual(o.header("Allow"), "POST,GET,OPTIONS")
        XCTAssertEqual(o.header("Accept"), "application/json; version=1.0, application/protobuf; version=1.0")
        let m = await f.gateway.handle(method: "GET", path: "/diagnosiskeys/upload", request: f.request("GET"))
        XCTAssertEqual(m.status, 405); XCTAssertEqual(m.header("Allow"), "POST,OPTIONS")
        let n = await f.gateway.handle(method: "GET", path: "/nothing", request: f.request("GET"))
        XCTAssertEqual(n.status, 404); XCTAssertEqual(n.bodyText, #"{"message":"Not Found"}"#)
        await assertEq(await f.gateway.handle(method: "GET", path: "/Diagnosiskeys/callback", request: f.request("GET")).status, 404)
        // OPTIONS on another known path: 200 with that path's methods, no authentication
        for (path, allow) in [("/diagnosiskeys/upload", "POST,OPTIONS"), ("/diagnosiskeys/callback/x1", "PUT,DELETE,OPTIONS"),
                              ("/diagnosiskeys/download/2024-01-01", "GET,OPTIONS"), ("/diagnosiskeys/audit/download/2024-01-01/20240101-1", "GET,OPTIONS")] {
            let r = await f.gateway.handle(method: "OPTIONS", path: path, request: f.request("OPTIONS", country: nil))
            XCTAssertEqual(r.status, 200, path)
            XCTAssertEqual(r.header("Allow"), allow, path)
        }
        let put = await f.gateway.handle(method: "POST", path: "/diagnosiskeys/callback/x1", request: f.request("POST"))
        XCTAssertEqual(put.status, 405); XCTAssertEqual(put.header("Allow"), "PUT,DELETE,OPTIONS")
        XCTAssertEqual(put.bodyText, #"{"message":"Method Not Allowed"}"#)
    }

    func testCallbackSubscriptionChecks() async throws {
        let f = try await Fixture()
        defer { let s = f.store; Task { try? await s.close() } }
        func put(_ id: String, _ query: String?) async -> APIResponse {
            await f.gateway.handle(method: "PUT", path: "/diagnosiskeys/callback/\(id)", request: f.request("PUT", query: query))
        }
        await assertEq(await put(String(repeating: "a", count: 33), "url=https://example.com").bodyText, #"{"message":"Callback ID is invalid"}"#)
        await assertEq(await put("a1", nil).bodyText, #"{"message":"Required parameter 'url' is not present."}"#)
        await assertEq(await put("a1", "url=http://example.com/cb").bodyText, #"{"message":"Callback URL is invalid"}"#)
        await assertEq(await put("a1", "url=https://127.0.0.1/cb").bodyText, #"{"message":"Callback URL is invalid"}"#)
        XCTAssertTrue(f.lines.contains { $0.contains("message=\"IP Address of callback host is from private IP range.\"")
                && $0.contains("hostname=\"127.0.0.1\"") && $0.contains("address=\"127.0.0.1\"") }, "the event names host and address")
        await assertEq(await put("a1", "url=https://[::ffff:10.0.0.1]/cb").bodyText, #"{"message":"Callback URL is invalid"}"#)
        await assertEq(await put("a1", "url=https://user@8.8.8.8/cb").bodyText, #"{"message":"Callback URL is invalid"}"#)
        await assertEq(await put("a1", "url=https://8.8.8.8/cb?x=1").bodyText, #"{"message":"Callback URL is invalid"}"#)
        await assertEq(await put("a1", "url=https://8.8.8.8/cb").bodyText, #"{"message":"No callback certificate registered for this host"}"#)
        let cb = try CertificateFactory.selfSigned(country: "DE", commonName: "cb", key: .p256, dnsNames: ["8.8.8.8"])
        try await f.register(cb, "DE", .callback)
        // a dNSName "8.8.8.8" is not an iPAddress SAN: still refused
        await assertEq(await put("a1", "url=https://8.8.8.8/cb").status, 400)
        await assertEq(await f.gateway.handle(method: "DELETE", path: "/diagnosiskeys/callback/zz", request: f.request("DELETE")).bodyText,
                       #"{"message":"Could not find any callback subscription for the given callbackId."}"#)
    }

    /// A job guarded by its job lock runs on one holder at a time; the lock is released afterwards.
    func testJobLockSkipsAConcurrentRun() async throws {
        let f = try await Fixture()
        defer { let s = f.store; Task { try? await s.close() } }
        let first = JobLock(JobLock.batching, gateway: f.gateway, holder: "instance-1")
        let second = JobLock(JobLock.batching, gateway: f.gateway, holder: "instance-2")
        async let slow: Int? = first.run { try await Task.sleep(nanoseconds: 400_000_000); return 1 }
        try await Task.sleep(nanoseconds: 100_000_000)
        let skipped = try await second.run { 2 }
        XCTAssertNil(skipped, "the second instance does not run the job while the first holds the lock")
        let firstResult = try await slow
        XCTAssertEqual(firstResult, 1)
        let afterwards = try await second.run { 3 }
        XCTAssertEqual(afterwards, 3, "released after the first run")
        struct Boom: Error {}
        do { _ = try await first.run { () async throws -> Int in throw Boom() }; XCTFail("rethrows") } catch is Boom {}
        let afterFailure = try await second.run { 4 }
        XCTAssertEqual(afterFailure, 4, "released after a failed run too")
    }

    /// `/readyz`: database reachable, migrations current, trust anchor loaded; an unmigrated or closed database is
    /// not ready.
    func testReadinessChecks() async throws {
        let f = try await Fixture()
        let ready = await AdminServer.readiness(f.gateway)
        XCTAssertTrue(ready.allSatisfy(\.ok), "\(ready)")
        XCTAssertTrue(AdminServer.readinessJSON(ready).hasPrefix(#"{"status":"ready","checks":{"database":"ok: reachable","migrations":"ok: schema version 1 of 1""#))
        // a database without the schema
        let bare = try await SQLGatewayStore.open(url: "sqlite:" + f.dir.appendingPathComponent("bare.sqlite").path, logger: Logger(label: "t"))
        let unmigrated = try Gateway(config: f.gateway.config, store: bare, trustAnchor: f.gateway.trustAnchor, log: f.gateway.log)
        let checks = await AdminServer.readiness(unmigrated)
        XCTAssertEqual(checks.map(\.ok), [true, false, true])
        XCTAssertTrue(AdminServer.readinessJSON(checks).contains(#""status":"not ready""#))
        try await bare.close()
        // the database gone
        try await f.store.close()
        let gone = await AdminServer.readiness(f.gateway)
        XCTAssertFalse(gone[0].ok, "\(gone)")
    }

    func testConfigurationRefusesBadSettings() async {
        for (key, value) in [("STORAGE_KEYS", "k1:short"), ("UPLOAD_MAX_KEYS", "6000"), ("RETENTION_KEY_RETENTION_DAYS", "2"), ("AUTH_TRUSTED_PROXIES", "1.2.3.4/40")] {
            var env = ["TRUST_ANCHOR_CERTIFICATE_PATH": "/x", "STORAGE_KEYS": "k1:" + Base64.encodeString([UInt8](repeating: 7, count: 32)), "STORAGE_ACTIVE_KEY_ID": "k1"]
            env[key] = value
            do { _ = try await GatewayConfiguration.load(path: nil, environment: env); XCTFail(key) } catch let e as GatewayConfiguration.InvalidSetting {
                XCTAssertTrue(e.description.contains(key == "UPLOAD_MAX_KEYS" ? "upload.maxKeys" : key == "STORAGE_KEYS" ? "storage.keys" : key == "RETENTION_KEY_RETENTION_DAYS" ? "retention.keyRetentionDays" : "auth.trustedProxies"), e.description)
            } catch { XCTFail("\(error)") }
        }
    }
}

func assertEq<T: Equatable>(_ a: @autoclosure () async throws -> T, _ b: @autoclosure () -> T, _ message: String = "",
                            file: StaticString = #filePath, line: UInt = #line) async rethrows {
    let value = try await a()
    XCTAssertEqual(value, b(), message, file: file, line: line)
}
