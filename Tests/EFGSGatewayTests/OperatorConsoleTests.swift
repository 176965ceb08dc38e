// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
import Prometheus
import Synchronization
import XCTest

@testable import EFGSCrypto
@testable import EFGSGateway
@testable import EFGSStore

/// The operator console on the admin listener (``OperatorConsole``): its pages read the store and the recorders,
/// escape what peers send, and the listener authenticates when configured to.
final class OperatorConsoleTests: XCTestCase {
    /// The admin application of `f`, answering in-process.
    func withAdmin(_ f: Fixture, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws
    {
        var logger = Logger(label: "efgs.test")
        logger.logLevel = .critical
        let app = try AdminServer.application(
            services: f.services, registry: PrometheusCollectorRegistry(), port: 0, logger: logger)
        try await app.test(.router, body)
    }

    /// GETs `path` and returns status, body and headers.
    static func get(
        _ client: any TestClientProtocol, _ path: String, headers: HTTPFields = [:]
    ) async throws -> (status: Int, body: String, headers: HTTPFields) {
        try await client.execute(uri: path, method: .get, headers: headers) { response in
            (Int(response.status.code), String(buffer: response.body), response.headers)
        }
    }

    func testFederationPageShowsCountriesDailyPlotsAndCallbackState() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        try await assertEq(try await f.upload(f.keys(3, origin: "DE")).status, 201)
        try await assertEq(try await f.upload(f.keys(2, origin: "DE")).status, 201)
        let now = UTCTimestamp.millis(Date())
        try await f.store.upsertCallbackSubscription(country: "FR", callbackId: "fr-main", url: "https://fr", now: now)
        _ = try await f.services.jobLock(JobLock.batching).run { try await f.services.batching.run() }
        let task = try await f.store.claimCallbackTask(now: now, lastTryBefore: now, countryRank: { _ in 0 })
        try await f.store.recordCallbackFailure(id: try XCTUnwrap(task?.id), now: now)
        let download = await f.api.handle(
            method: "GET", path: "/diagnosiskeys/download/\(UTCDay(Date()).description)",
            request: f.request("GET", country: "FR", headers: [("Accept", "application/protobuf; version=1.0")]))
        XCTAssertEqual(download.status, 200)
        try await withAdmin(f) { client in
            let page = try await Self.get(client, "/")
            XCTAssertEqual(page.status, 200)
            XCTAssertEqual(page.headers[.contentType], "text/html; charset=utf-8")
            XCTAssertTrue(page.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'none'") ?? false)
            XCTAssertTrue(page.body.contains("<meta http-equiv=\"refresh\" content=\"30\">"))
            let de = htmlElement(page.body, id: "country-DE")
            XCTAssertTrue(de.hasPrefix("<tr id=\"country-DE\" class=\"connected\">"), de)
            let uploaded = htmlElement(page.body, id: "uploaded-DE")
            XCTAssertTrue(uploaded.contains("data-points=\"14\""), uploaded)
            XCTAssertEqual(uploaded.components(separatedBy: "<rect class=\"bar\"").count - 1, 14)
            XCTAssertTrue(uploaded.hasSuffix("<title>5</title></rect></svg>"), "today's bar is the last: \(uploaded)")
            let fr = htmlElement(page.body, id: "country-FR")
            XCTAssertTrue(fr.contains("<code>fr-main</code> 1 pending, 1 failing"), fr)
            XCTAssertTrue(fr.contains("<div class=\"bad\">"), "a failing subscription is marked: \(fr)")
            XCTAssertTrue(htmlElement(page.body, id: "downloaded-FR").hasSuffix("<title>5</title></rect></svg>"))
        }
    }

    func testCertificatesPageMarksExpiryRevocationAndIntegrity() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        func issued(_ days: Double) throws -> CertificateFactory.Issued {
            try CertificateFactory.selfSigned(
                country: "FR", commonName: "cb-\(days)", key: .p256, notAfter: Date().addingTimeInterval(days * 86_400))
        }
        let critical = try issued(5)
        let warning = try issued(20)
        let tampered = try issued(100)
        let revoked = try issued(200)
        for cert in [critical, warning, tampered, revoked] { try await f.register(cert, "FR", .callback) }
        _ = try await f.store.updateOperatorSignature(
            thumbprint: tampered.thumbprint, type: .callback,
            operatorSignature: try f.operatorSigner.sign(warning.certificatePEM))
        _ = try await f.store.revokeCertificates(thumbprint: revoked.thumbprint, country: "FR", type: .callback)
        try await withAdmin(f) { client in
            let page = try await Self.get(client, "/certificates")
            XCTAssertEqual(page.status, 200)
            func row(_ cert: CertificateFactory.Issued) -> String {
                htmlElement(page.body, id: "cert-callback-\(cert.thumbprint.prefix(16))")
            }
            XCTAssertTrue(row(critical).contains("class=\"expiry-critical\""), row(critical))
            XCTAssertTrue(row(critical).contains(">4 days<") || row(critical).contains(">5 days<"), row(critical))
            XCTAssertTrue(row(warning).contains("class=\"expiry-warning\""), row(warning))
            XCTAssertTrue(row(tampered).contains("class=\"integrity-failed\""), row(tampered))
            XCTAssertTrue(row(tampered).contains("Verification of certificate signature failed!"), row(tampered))
            XCTAssertTrue(row(revoked).contains("class=\"expiry-ok revoked\""), row(revoked))
            let de = htmlElement(page.body, id: "cert-authentication-\(f.countries["DE"]!.auth.thumbprint.prefix(16))")
            XCTAssertTrue(de.contains("class=\"expiry-ok\"") && de.contains(">verified<"), de)
            XCTAssertTrue(page.body.contains("id=\"anchor-\(f.services.trustAnchor.thumbprint.prefix(16))\""))
        }
    }

    func testBatchesPageListsTodaysChainAndJobRuns() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        try await assertEq(try await f.upload(f.keys(3, origin: "DE")).status, 201)
        _ = try await f.services.jobLock(JobLock.batching).run { try await f.services.batching.run() }
        try await assertEq(try await f.upload(f.keys(4, origin: "DE")).status, 201)
        _ = try await f.services.jobLock(JobLock.batching).run { try await f.services.batching.run() }
        try await assertEq(try await f.upload(f.keys(1, origin: "DE")).status, 201)
        let day = UTCDay(Date()).compact
        try await withAdmin(f) { client in
            let page = try await Self.get(client, "/batches")
            let first = htmlElement(page.body, id: "batch-\(day)-1")
            XCTAssertTrue(first.contains(">3<") && first.contains(">\(day)-2<"), "the chain: \(first)")
            XCTAssertTrue(htmlElement(page.body, id: "batch-\(day)-2").contains("— (latest)"))
            XCTAssertTrue(page.body.contains("<div class=\"label\">Unbatched keys</div><div class=\"value\">1</div>"))
            let runs = htmlElement(page.body, id: "job-runs")
            XCTAssertEqual(runs.components(separatedBy: "<td>batching</td>").count - 1, 2, runs)
        }
    }

    func testTrafficPageCountsRequestsAndPlotsPercentiles() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        for _ in 0..<3 {
            _ = await f.api.handle(method: "GET", path: "/nothing", request: f.request("GET"))
        }
        _ = await f.api.handle(method: "PUT", path: "/diagnosiskeys/upload", request: f.request("PUT"))
        try await withAdmin(f) { client in
            let page = try await Self.get(client, "/traffic")
            let table = htmlElement(page.body, id: "requests-by-endpoint")
            XCTAssertTrue(table.contains("<td>unknown</td><td class=\"warn\">404</td><td class=\"num\">3</td>"), table)
            XCTAssertTrue(table.contains("<td class=\"warn\">405</td><td class=\"num\">1</td>"), table)
            XCTAssertTrue(htmlElement(page.body, id: "requests-per-minute").contains("data-points=\"60\""))
            let latency = htmlElement(page.body, id: "latency")
            for series in ["p50", "p95", "p99"] {
                XCTAssertTrue(latency.contains("data-series=\"\(series)\" data-points=\"1\""), latency)
            }
        }
    }

    /// The recorder's percentiles are the upper bounds of the histogram buckets; minutes without requests have none,
    /// and minutes older than the hour fall out.
    func testTrafficRecorderMinutesAndPercentiles() {
        let recorder = TrafficRecorder()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for i in 0..<100 {
            // 90 fast (≤ 100 µs), 9 at 3 ms (≤ 3.2 ms), 1 at 1 s (≤ 1.6384 s)
            let nanos: Int64 = i < 90 ? 50_000 : i < 99 ? 3_000_000 : 1_000_000_000
            recorder.record(endpoint: "download", status: 200, nanoseconds: nanos, at: start)
        }
        recorder.record(endpoint: "upload", status: 500, nanoseconds: 1, at: start.addingTimeInterval(120))
        let snapshot = recorder.snapshot(now: start.addingTimeInterval(120))
        XCTAssertEqual(snapshot.minutes.count, 60)
        let first = snapshot.minutes[57]
        XCTAssertEqual(first.requests, 100)
        XCTAssertEqual(first.p50Millis, 0.1)
        XCTAssertEqual(first.p95Millis, 3.2)
        XCTAssertEqual(first.p99Millis, 3.2)
        XCTAssertNil(snapshot.minutes[58].p50Millis, "a minute without requests")
        XCTAssertEqual(snapshot.totals, ["download 200": 100, "upload 500": 1])
        XCTAssertEqual(recorder.snapshot(now: start.addingTimeInterval(3 * 3600)).totals, [:], "an hour later")
    }

    func testEventsPageEscapesPeerTextAndFilters() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let scope = f.services.log.scope("CallbackExecutor")
        scope.warn("Callback failed <script>alert(1)</script>", ["country": "DE", "url": "https://x/\"><img src=x>"])
        scope.error("Callback target refused", ["country": "FR"])
        f.services.log.scope("Other").warn("Unrelated", [:])
        try await f.store.recordOperatorEvent(
            OperatorEvent(
                at: UTCTimestamp.millis(Date()), command: "cert revoke", operatorName: "alice", ticket: "T-1",
                country: "FR", subject: "CALLBACK abc", outcome: "revoked 1 row"))
        try await withAdmin(f) { client in
            let all = try await Self.get(client, "/events")
            XCTAssertFalse(all.body.contains("<script>alert"), "peer text is escaped")
            XCTAssertFalse(all.body.contains("<img src=x>"))
            XCTAssertTrue(all.body.contains("Callback failed &lt;script&gt;alert(1)&lt;/script&gt;"))
            XCTAssertTrue(htmlElement(all.body, id: "operator-events").contains("<td>alice</td><td>T-1</td>"))
            let fr = try await Self.get(client, "/events?country=FR")
            let lines = htmlElement(fr.body, id: "recent-events")
            XCTAssertTrue(lines.contains("Callback target refused") && !lines.contains("Callback failed"), lines)
            XCTAssertTrue(fr.body.contains("<option value=\"FR\" selected>FR</option>"))
            let other = try await Self.get(client, "/events?class=Other")
            let otherLines = htmlElement(other.body, id: "recent-events")
            XCTAssertTrue(otherLines.contains("Unrelated") && !otherLines.contains("Callback"), otherLines)
            let pl = try await Self.get(client, "/events?country=PL")
            XCTAssertFalse(htmlElement(pl.body, id: "operator-events").contains("alice"))
        }
    }

    func testReportsAreServedAsCSV() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        try await assertEq(try await f.upload(f.keys(3, origin: "DE")).status, 201)
        let today = UTCDay(Date()).description
        try await withAdmin(f) { client in
            let usage = try await Self.get(client, "/reports/usage.csv")
            XCTAssertEqual(usage.status, 200)
            XCTAssertEqual(usage.headers[.contentType], "text/csv; charset=utf-8; header=present")
            XCTAssertEqual(usage.headers[.contentDisposition], "attachment; filename=\"efgs-usage.csv\"")
            XCTAssertEqual(
                usage.body,
                "\"day\",\"country\",\"uploads\",\"keys_uploaded\",\"downloads\",\"keys_downloaded\"\r\n"
                    + "\"\(today)\",\"DE\",\"1\",\"3\",\"0\",\"0\"\r\n")
            let none = try await Self.get(client, "/reports/usage.csv?from=2020-01-01&to=2020-01-31&country=DE")
            XCTAssertEqual(none.body.components(separatedBy: "\r\n").count, 2, "the header only")
            let bad = try await Self.get(client, "/reports/usage.csv?from=2026-02-30")
            XCTAssertEqual(bad.status, 400)
            XCTAssertEqual(bad.body, "from: a day as yyyy-MM-dd\n")
            let reversed = try await Self.get(client, "/reports/usage.csv?from=2026-02-03&to=2026-02-01")
            XCTAssertEqual(reversed.status, 400)
            let retention = try await Self.get(client, "/reports/retention.csv")
            XCTAssertTrue(retention.body.contains("\"now\""), retention.body)
            XCTAssertTrue(retention.body.hasSuffix(",\"0\",\"\",\"\",\"3\"\r\n"), retention.body)
            try await assertEq(try await Self.get(client, "/reports/other.csv").status, 404)
            try await assertEq(try await Self.get(client, "/reports/usage.txt").status, 404)
        }
    }

    /// With `admin.passwordHash`, every admin path but the probes needs `admin.user` and the password (RFC 7617).
    func testBasicAuthenticationWhenAPasswordHashIsConfigured() async throws {
        let hash = try PasswordHash(password: "correct horse battery", rounds: PasswordHash.minimumRounds)
        let f = try await Fixture { env in
            env["ADMIN_PASSWORD_HASH"] = hash.description
            env["ADMIN_USER"] = "ops"
        }
        addTeardownBlock { [store = f.store] in try await store.close() }
        try await withAdmin(f) { client in
            for path in ["/", "/metrics", "/reports/usage.csv", "/openapi.yaml"] {
                let refused = try await Self.get(client, path)
                XCTAssertEqual(refused.status, 401, path)
                XCTAssertEqual(refused.headers[.wwwAuthenticate], "Basic realm=\"efgs admin\", charset=\"UTF-8\"")
            }
            try await assertEq(try await Self.get(client, "/healthz").status, 200)
            try await assertEq(try await Self.get(client, "/readyz").status, 200)
            try await assertEq(try await Self.get(client, "/", headers: Self.basic("ops:wrong password")).status, 401)
            try await assertEq(
                try await Self.get(client, "/", headers: Self.basic("operator:correct horse battery")).status, 401)
            try await assertEq(try await Self.get(client, "/", headers: [.authorization: "Bearer x"]).status, 401)
            try await assertEq(
                try await Self.get(client, "/", headers: Self.basic("ops:correct horse battery")).status, 200)
            try await assertEq(
                try await Self.get(client, "/metrics", headers: Self.basic("ops:correct horse battery")).status, 200)
        }
    }

    static func basic(_ credentials: String) -> HTTPFields {
        [.authorization: "Basic " + Base64.encodeString(Array(credentials.utf8))]
    }

    /// A password hash round-trips through its text form and matches only its password; malformed or weak hashes
    /// are refused.
    func testPasswordHash() throws {
        let hash = try PasswordHash(password: "s3cret-passphrase", rounds: PasswordHash.minimumRounds)
        let parsed = try PasswordHash(parsing: hash.description)
        XCTAssertEqual(parsed, hash)
        XCTAssertTrue(parsed.matches("s3cret-passphrase"))
        XCTAssertFalse(parsed.matches("s3cret-passphrasE"))
        XCTAssertTrue(hash.description.hasPrefix("pbkdf2-sha256$210000$"))
        // RFC 7914 §11's PBKDF2-HMAC-SHA256 vector: P="passwd", S="salt", c=1, dkLen=64 starts 55 ac 04 6e
        XCTAssertEqual(
            Array(try PasswordHash.derive("passwd", salt: Array("salt".utf8), rounds: 1).prefix(4)),
            [0x55, 0xac, 0x04, 0x6e])
        // made by Python's hashlib, independently of swift-crypto:
        // python3 -c "import hashlib,base64; s=bytes(range(16)); h=hashlib.pbkdf2_hmac('sha256',
        //   b'correct horse battery staple', s, 210000, 32); print('pbkdf2-sha256$210000$'
        //   + base64.b64encode(s).decode() + '$' + base64.b64encode(h).decode())"
        let python = try PasswordHash(
            parsing: "pbkdf2-sha256$210000$AAECAwQFBgcICQoLDA0ODw==$GEZcreCWwYW19gdliR/KP3RHfiP9m2/Ij694MakXU6w=")
        XCTAssertTrue(python.matches("correct horse battery staple"))
        XCTAssertFalse(python.matches("correct horse battery stapl"))
        for bad in [
            "",
            "pbkdf2-sha256$1000$" + String(hash.description.split(separator: "$")[2]) + "$"
                + String(hash.description.split(separator: "$")[3]),
            "bcrypt$x", "pbkdf2-sha256$210000$AAAA$AAAA", hash.description + "$",
        ] {
            XCTAssertThrowsError(try PasswordHash(parsing: bad), bad)
        }
    }

    /// A password check (PBKDF2, 0.2–0.5 s) does not take a thread of NIO's shared blocking pool, where SQLiteNIO
    /// runs the store's statements: with every thread of that pool busy, a check still completes. Before
    /// 2026-12-03 it waited behind them (this test failed at its 5 s bound).
    func testAPasswordCheckDoesNotWaitForTheDatabaseThreadPool() async throws {
        final class Pool: Sendable {
            let started = Mutex(0)
            let released = Mutex(false)
            let gate = DispatchSemaphore(value: 0)
            let threads = NIOSingletons.blockingPoolThreadCountSuggestion

            /// Lets the blocked work go, once (the shared pool also runs SQLiteNIO for the rest of the tests).
            func release() {
                let first = released.withLock { done in
                    defer { done = true }
                    return !done
                }
                guard first else { return }
                for _ in 0..<threads { gate.signal() }
            }
        }
        let pool = Pool()
        defer { pool.release() }
        let occupied = (0..<pool.threads).map { _ in
            Task {
                try await NIOThreadPool.singleton.runIfActive {
                    pool.started.withLock { $0 += 1 }
                    pool.gate.wait()
                }
            }
        }
        let deadline = Date().addingTimeInterval(5)
        while pool.started.withLock({ $0 }) < pool.threads, Date() < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTAssertEqual(pool.started.withLock { $0 }, pool.threads, "every thread of the shared pool is busy")
        let auth = AdminAuthentication<BasicRequestContext>(user: "ops") { $0 == "right one" }
        let right = "Basic " + Base64.encodeString(Array("ops:right one".utf8))
        let answer = await withTaskGroup(of: Bool?.self) { group in
            group.addTask { await auth.isAuthorized(right) }
            group.addTask {
                try? await Task.sleep(for: .seconds(5))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            pool.release()  // before the group waits for a check queued behind the blocked work
            return first
        }
        XCTAssertEqual(answer, true, "the check answered while the shared pool was busy")
        for task in occupied { try await task.value }
    }

    /// A peer guessing passwords cannot queue checks without bound: with checks under way at their limit, a further
    /// guess is refused at once, without a check; a remembered right password needs no check.
    func testPasswordChecksPendingAreBounded() async throws {
        final class Checks: Sendable { let count = Mutex(0) }
        let checks = Checks()
        let auth = AdminAuthentication<BasicRequestContext>(user: "ops") { password in
            checks.count.withLock { $0 += 1 }
            Thread.sleep(forTimeInterval: 0.3)  // a slow PBKDF2
            return password == "right one"
        }
        let guesses = 3 * AdminAuthentication<BasicRequestContext>.maxPendingChecks
        let answers = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<guesses {
                group.addTask {
                    await auth.isAuthorized("Basic " + Base64.encodeString(Array("ops:guess \(i)".utf8)))
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        XCTAssertEqual(answers, [Bool](repeating: false, count: guesses))
        XCTAssertEqual(
            checks.count.withLock { $0 }, AdminAuthentication<BasicRequestContext>.maxPendingChecks,
            "the guesses beyond the limit were refused without a check")
        let right = "Basic " + Base64.encodeString(Array("ops:right one".utf8))
        let authorized = await auth.isAuthorized(right)
        XCTAssertTrue(authorized)
        let again = await auth.isAuthorized(right)
        XCTAssertTrue(again)
        XCTAssertEqual(checks.count.withLock { $0 }, AdminAuthentication<BasicRequestContext>.maxPendingChecks + 1)
    }
}
