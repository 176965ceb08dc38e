// SPDX-License-Identifier: EUPL-1.2

import CoreMetrics
import EFGSCrypto
import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import MetricsTestKit
import NIOCore
import NIOPosix
import XCTest

@testable import EFGSGateway

/// Callback delivery (PROTOCOL.md §7.5) against real TLS servers on loopback, with certificates made here. DE
/// uploads, FR subscribes; the executor presents the gateway's callback client certificate.
final class CallbackDeliveryTests: XCTestCase {
    var f: Fixture!
    var clientIdentity: CertificateFactory.Issued!
    var client: CallbackClient!
    var servers: [TestCallbackServer] = []

    func prepare(_ env: [String: String] = [:]) async throws {
        f = try await Fixture { e in
            e["CALLBACK_ALLOW_LOOPBACK"] = "true"
            e["CALLBACK_TIMEOUT"] = "1"
            e["CALLBACK_MAX_RETRIES"] = "2"
            e.merge(env) { $1 }
        }
        clientIdentity = try CertificateFactory.selfSigned(country: nil, commonName: "efgs-callback-client", key: .p256)
        let cert = f.dir.appendingPathComponent("callback-client.pem")
        let key = f.dir.appendingPathComponent("callback-client.key")
        try clientIdentity.certificatePEM.write(to: cert, atomically: true, encoding: .utf8)
        try clientIdentity.privateKeyPEM.write(to: key, atomically: true, encoding: .utf8)
        client = try CallbackClient(
            certificatePath: cert.path, keyPath: key.path, timeout: f.services.config.callback.timeout)
    }

    override func tearDown() async throws {
        for s in servers { s.stop() }
        try await f?.store.close()
    }

    /// A callback server certificate: SAN dNSName localhost and iPAddress 127.0.0.1 unless told otherwise.
    func serverCertificate(
        dnsNames: [String] = ["localhost"], notAfter: Date = Date().addingTimeInterval(86_400 * 30),
        notBefore: Date = Date().addingTimeInterval(-3600)
    ) throws -> CertificateFactory.Issued {
        try CertificateFactory.selfSigned(
            country: "FR", commonName: "callback.fr", key: .p256, dnsNames: dnsNames,
            ipAddresses: [[127, 0, 0, 1]], notBefore: notBefore, notAfter: notAfter)
    }

    func server(_ identity: CertificateFactory.Issued?, _ answers: [TestCallbackServer.Answer] = [.status(200)]) throws
        -> TestCallbackServer
    {
        let s = try TestCallbackServer(identity: identity, answers: answers)
        servers.append(s)
        return s
    }

    func subscribe(_ id: String, _ url: String) async {
        let r = await f.api.handle(
            method: "PUT", path: "/diagnosiskeys/callback/\(id)",
            request: f.request("PUT", country: "FR", query: "url=\(url)"))
        XCTAssertEqual(r.status, 200, r.bodyText)
    }

    /// One DE upload and a batching run; returns the new batch tag.
    @discardableResult
    func newBatch() async throws -> String {
        try await assertEq(try await f.upload(f.keys(1, origin: "DE")).status, 201)
        return try await f.services.batching.run()[0].tag
    }

    /// The executor; `localhost` resolves to 127.0.0.1 only (the test servers listen there).
    func executor(resolveTo addresses: [[UInt8]] = [[127, 0, 0, 1]]) -> CallbackExecutor {
        f.services.callbackExecutor(client: client, resolve: { _ in addresses })
    }

    func events(_ message: String) -> [String] { f.lines.filter { $0.contains("message=\"\(message)\"") } }

    func advanceClock(seconds: TimeInterval) { f.clock.set(f.clock.now.addingTimeInterval(seconds)) }

    func testSuccessSendsTheExactRequestWithTheClientCertificate() async throws {
        try await prepare()
        let cert = try serverCertificate()
        try await f.register(cert, "FR", .callback)
        let s = try server(cert)
        await subscribe("cb-1", "https://localhost:\(s.port)/efgs/callback")
        let tag = try await newBatch()
        try await assertEq(try await f.store.pendingCallbackTaskCount(), 1, "one task per subscription per batch")
        let summary = try await executor().run()
        XCTAssertEqual(summary, .init(delivered: 1, failed: 0, dropped: 0))
        XCTAssertEqual(s.requests.count, 1)
        XCTAssertEqual(
            s.requests[0].raw,
            "GET /efgs/callback?batchTag=\(tag)&date=\(UTCDay(Date()).description) HTTP/1.1\r\n"
                + "Host: localhost:\(s.port)\r\nUser-Agent: EFGS Callback Engine\r\nAccept: */*\r\n\r\n")
        XCTAssertEqual(
            s.requests[0].clientCertificateThumbprint, clientIdentity.thumbprint,
            "the gateway's callback client certificate")
        try await assertEq(try await f.store.pendingCallbackTaskCount(), 0)
        XCTAssertEqual(events("Got 2xx response for callback.").count, 1)
        XCTAssertEqual(events("Successfully executed callback. Deleting callback task from database").count, 1)
        XCTAssertEqual(events("Callback processing started.").count, 1)
    }

    func test202AndAnIPLiteralURL() async throws {
        try await prepare()
        let cert = try serverCertificate()
        try await f.register(cert, "FR", .callback)
        let s = try server(cert, [.status(202)])
        await subscribe("ip", "https://127.0.0.1:\(s.port)/")
        try await newBatch()
        try await assertEq(try await executor().run().delivered, 1, "202 is success (FI)")
        XCTAssertTrue(s.requests[0].raw.hasPrefix("GET /?batchTag="), s.requests[0].raw)
        XCTAssertTrue(s.requests[0].raw.contains("\r\nHost: 127.0.0.1:\(s.port)\r\n"))
    }

    func testNon2xxIsRetriedAfterRetryWaitThenSucceeds() async throws {
        try await prepare()
        let cert = try serverCertificate()
        try await f.register(cert, "FR", .callback)
        let s = try server(cert, [.status(500), .status(200)])
        await subscribe("cb", "https://localhost:\(s.port)/cb")
        try await newBatch()
        try await assertEq(try await executor().run(), .init(delivered: 0, failed: 1, dropped: 0))
        XCTAssertTrue(events("Got a non 2xx response for callback.").first?.contains("statusCode=\"500\"") ?? false)
        try await assertEq(try await executor().run(), .init(), "not eligible before callback.retryWait")
        advanceClock(seconds: 301)
        try await assertEq(try await executor().run().delivered, 1)
        XCTAssertEqual(s.requests.count, 2)
        XCTAssertTrue(events("Got 2xx response for callback.").first?.contains("retry=\"1\"") ?? false)
    }

    /// The metrics backend of this test process (swift-metrics is bootstrapped once per process).
    static let metrics: TestMetrics = {
        let m = TestMetrics()
        MetricsSystem.bootstrap(m)
        return m
    }()

    func testRetriesExhaustedDropTheTaskAndUnblockTheNext() async throws {
        let metrics = Self.metrics
        try await prepare()
        let cert = try serverCertificate()
        try await f.register(cert, "FR", .callback)
        let s = try server(cert, [.status(503)])
        await subscribe("cb", "https://localhost:\(s.port)/cb")
        let first = try await newBatch()
        let second = try await newBatch()
        for _ in 0..<3 {
            _ = try await executor().run()
            advanceClock(seconds: 301)
        }
        // 1 + maxRetries (2) attempts for the first batch, then it is dropped and the second becomes eligible
        XCTAssertEqual(s.requests.map { $0.query["batchTag"] }, [first, first, first, second])
        XCTAssertEqual(events("Callback reached max amount of retries. Dropping callback task.").count, 1)
        try await assertEq(try await f.store.pendingCallbackTaskCount(), 1)
        // delivery metrics: every failed attempt, the drop, the pending gauge
        XCTAssertGreaterThanOrEqual(
            try metrics.expectCounter("efgs_callback_attempts_total", [("result", "failure")]).totalValue, 4)
        XCTAssertGreaterThanOrEqual(try metrics.expectCounter("efgs_callback_tasks_dropped_total").totalValue, 1)
        XCTAssertNotNil(try metrics.expectGauge("efgs_callback_tasks_pending").lastValue)
        try await assertEq(
            try await f.store.callbackSubscriptions(country: "FR").count, 1, "the subscription stays by default")
    }

    func testDeleteSubscriptionOnFailureOption() async throws {
        try await prepare(["CALLBACK_DELETE_SUBSCRIPTION_ON_FAILURE": "true", "CALLBACK_MAX_RETRIES": "0"])
        let cert = try serverCertificate()
        try await f.register(cert, "FR", .callback)
        let s = try server(cert, [.status(500)])
        await subscribe("cb", "https://localhost:\(s.port)/cb")
        try await newBatch()
        try await newBatch()
        try await assertEq(try await executor().run().dropped, 1)
        XCTAssertEqual(events("Callback reached max amount of retries. Deleting callback subscription.").count, 1)
        try await assertEq(try await f.store.callbackSubscriptions(country: "FR").count, 0)
        try await assertEq(try await f.store.pendingCallbackTaskCount(), 0)
    }

    func testTimeoutIsAFailedAttempt() async throws {
        try await prepare()
        let cert = try serverCertificate()
        try await f.register(cert, "FR", .callback)
        let s = try server(cert, [.delayed(seconds: 4)])
        await subscribe("cb", "https://localhost:\(s.port)/cb")
        try await newBatch()
        let start = Date()
        try await assertEq(try await executor().run().failed, 1)
        XCTAssertLessThan(Date().timeIntervalSince(start), 3, "bounded by callback.timeout (1 s)")
        XCTAssertTrue(
            events("Got no response for callback.").first?.contains("no response within the timeout") ?? false,
            "\(f.lines.suffix(5))")
    }

    /// Issue 12, finding 4: DE holds 14 subscriptions whose servers stall until the timeout; FR's one subscription
    /// to a working server is delivered after at most one of DE's attempts (before: after all 14, 199 s with the
    /// default timeout). Never-tried tasks also come before failed ones.
    func testAFailingCountryDelaysAnotherCountryByAtMostOneAttempt() async throws {
        try await prepare(["CALLBACK_TIMEOUT": "0.3", "CALLBACK_MAX_SUBSCRIPTIONS_PER_COUNTRY": "20"])
        let cert = try serverCertificate()
        try await f.register(cert, "FR", .callback)
        let deCert = try CertificateFactory.selfSigned(
            country: "DE", commonName: "callback.de", key: .p256, dnsNames: ["localhost"],
            ipAddresses: [[127, 0, 0, 1]], notBefore: Date().addingTimeInterval(-3600),
            notAfter: Date().addingTimeInterval(86_400))
        try await f.register(deCert, "DE", .callback)
        let stalling = try server(deCert, [.delayed(seconds: 5)])
        for i in 0..<14 {
            let r = await f.api.handle(
                method: "PUT", path: "/diagnosiskeys/callback/de-\(i)",
                request: f.request("PUT", country: "DE", query: "url=https://localhost:\(stalling.port)/cb\(i)"))
            XCTAssertEqual(r.status, 200, r.bodyText)
        }
        let fr = try server(cert)
        await subscribe("fr", "https://localhost:\(fr.port)/cb")
        try await newBatch()
        try await assertEq(try await f.store.pendingCallbackTaskCount(), 15)
        let summary = try await executor().run()
        XCTAssertEqual(summary.delivered, 1)
        XCTAssertEqual(summary.failed, 14)
        let attempts = f.lines.filter {
            $0.contains("message=\"Got 2xx response for callback.\"")
                || $0.contains("message=\"Got no response for callback.\"")
        }
        let frAttempt = attempts.firstIndex { $0.contains("message=\"Got 2xx response for callback.\"") }
        XCTAssertNotNil(frAttempt)
        XCTAssertLessThanOrEqual(frAttempt ?? 99, 1, "FR's delivery waited for at most one of DE's attempts")
    }

    /// Issue 12, finding 4: a country may hold `callback.maxSubscriptionsPerCountry` subscriptions; a further
    /// callbackId is refused with 400, changing an existing one's URL still works, other countries are unaffected.
    func testSubscriptionsPerCountryAreCapped() async throws {
        try await prepare(["CALLBACK_MAX_SUBSCRIPTIONS_PER_COUNTRY": "3"])
        let cert = try serverCertificate()
        try await f.register(cert, "FR", .callback)
        for i in 0..<3 { await subscribe("cb-\(i)", "https://localhost:1000\(i)/cb") }
        let refused = await f.api.handle(
            method: "PUT", path: "/diagnosiskeys/callback/cb-3",
            request: f.request("PUT", country: "FR", query: "url=https://localhost:10003/cb"))
        XCTAssertEqual(refused.status, 400)
        XCTAssertEqual(refused.bodyText, #"{"message":"Too many callback subscriptions"}"#)
        XCTAssertEqual(events("Callback subscription limit reached").count, 1)
        await subscribe("cb-1", "https://localhost:10011/cb")  // an existing one may change its URL
        try await assertEq(try await f.store.callbackSubscriptions(country: "FR").count, 3)
    }

    func testTLSFailureIsAFailedAttempt() async throws {
        try await prepare()
        let cert = try serverCertificate()
        try await f.register(cert, "FR", .callback)
        let plain = try server(nil)
        await subscribe("cb", "https://localhost:\(plain.port)/cb")
        try await newBatch()
        try await assertEq(try await executor().run().failed, 1)
        XCTAssertTrue(events("Got no response for callback.").first?.contains("reason=") ?? false)
        try await assertEq(try await f.store.pendingCallbackTaskCount(), 1)
    }

    /// The served certificate must be pinned, match the host and be valid now; otherwise no request is sent.
    func testServerCertificateChecks() async throws {
        try await prepare()
        let registered = try serverCertificate()
        try await f.register(registered, "FR", .callback)
        let unpinned = try serverCertificate()
        let otherHost = try serverCertificate(dnsNames: ["other.example"])
        try await f.register(otherHost, "FR", .callback)
        let expired = try serverCertificate(
            notAfter: Date().addingTimeInterval(-60), notBefore: Date().addingTimeInterval(-86_400))
        try await f.register(expired, "FR", .callback)
        for (identity, reason) in [
            (unpinned, "is not a registered CALLBACK certificate"), (otherHost, "does not match host localhost"),
            (expired, "not valid now"),
        ] {
            let s = try server(identity)
            await subscribe("cb", "https://localhost:\(s.port)/cb")
            try await newBatch()
            let before = events("Could not find callback certificate.").count
            try await assertEq(try await executor().run().failed, 1, reason)
            XCTAssertEqual(s.requests.count, 0, "no request after a refused handshake: \(reason)")
            let event = events("Could not find callback certificate.")
            XCTAssertEqual(event.count, before + 1, reason)
            XCTAssertTrue(event.last?.contains(reason) ?? false, "\(reason): \(event.last ?? "")")
            let del = await f.api.handle(
                method: "DELETE", path: "/diagnosiskeys/callback/cb", request: f.request("DELETE", country: "FR"))
            XCTAssertEqual(del.status, 200)
        }
        // a revoked row is no pin any more
        let s = try server(registered)
        await subscribe("cb", "https://localhost:\(s.port)/cb")
        _ = try await f.store.revokeCertificates(thumbprint: registered.thumbprint, country: nil, type: .callback)
        try await newBatch()
        try await assertEq(try await executor().run().failed, 1)
        XCTAssertEqual(s.requests.count, 0)
    }

    func testRedirectIsNotFollowed() async throws {
        try await prepare()
        let cert = try serverCertificate()
        try await f.register(cert, "FR", .callback)
        let target = try server(cert)
        let redirecting = try server(cert, [.redirect(to: "https://localhost:\(target.port)/elsewhere")])
        await subscribe("cb", "https://localhost:\(redirecting.port)/cb")
        try await newBatch()
        try await assertEq(try await executor().run().failed, 1)
        XCTAssertEqual(redirecting.requests.count, 1)
        XCTAssertEqual(target.requests.count, 0, "the Location is never requested")
        XCTAssertTrue(events("Got a non 2xx response for callback.").first?.contains("statusCode=\"302\"") ?? false)
    }

    func testBatchOrderPerSubscription() async throws {
        try await prepare()
        try await assertBatchOrderPerSubscription()
    }

    /// With `callback.parallelism` 2 subscriptions are served at the same time; each still gets its batches in order
    /// with at most one attempt in flight.
    func testBatchOrderPerSubscriptionWithParallelism() async throws {
        try await prepare(["CALLBACK_PARALLELISM": "2"])
        XCTAssertEqual(f.services.config.callback.parallelism, 2)
        try await assertBatchOrderPerSubscription()
    }

    func assertBatchOrderPerSubscription() async throws {
        let cert = try serverCertificate()
        try await f.register(cert, "FR", .callback)
        let a = try server(cert)
        let b = try server(cert)
        await subscribe("a", "https://localhost:\(a.port)/a")
        await subscribe("b", "https://localhost:\(b.port)/b")
        var tags: [String] = []
        for _ in 0..<3 { tags.append(try await newBatch()) }
        try await assertEq(try await executor().run().delivered, 6)
        XCTAssertEqual(a.requests.map { $0.query["batchTag"] }, tags)
        XCTAssertEqual(b.requests.map { $0.query["batchTag"] }, tags)
    }

    func testAbandonedLockExpires() async throws {
        try await prepare()
        let cert = try serverCertificate()
        try await f.register(cert, "FR", .callback)
        let s = try server(cert)
        await subscribe("cb", "https://localhost:\(s.port)/cb")
        let first = try await newBatch()
        let second = try await newBatch()
        // an executor claims the first task and crashes
        let claimed = try await f.store.claimCallbackTask(
            now: UTCTimestamp.millis(Date()), lastTryBefore: UTCTimestamp.millis(Date()))
        XCTAssertEqual(claimed?.batchTag, first)
        try await assertEq(try await executor().run(), .init(), "a locked task blocks its subscription")
        try await assertEq(
            try await f.services.callbackLockCleanup.run(), 0, "not yet older than callback.taskLockTimeout")
        advanceClock(seconds: 301)
        try await assertEq(try await f.services.callbackLockCleanup.run(), 1)
        XCTAssertTrue(
            events("Removing of task locks of abandoned tasks finished.").last?.contains("taskCount=\"1\"") ?? false)
        try await assertEq(try await executor().run().delivered, 2)
        XCTAssertEqual(s.requests.map { $0.query["batchTag"] }, [first, second])
    }

    func testDeletingTheSubscriptionRemovesPendingTasks() async throws {
        try await prepare()
        let cert = try serverCertificate()
        try await f.register(cert, "FR", .callback)
        let s = try server(cert)
        await subscribe("cb", "https://localhost:\(s.port)/cb")
        try await newBatch()
        try await newBatch()
        try await assertEq(try await f.store.pendingCallbackTaskCount(), 2)
        let del = await f.api.handle(
            method: "DELETE", path: "/diagnosiskeys/callback/cb", request: f.request("DELETE", country: "FR"))
        XCTAssertEqual(del.status, 200)
        try await assertEq(try await f.store.pendingCallbackTaskCount(), 0)
        try await assertEq(try await executor().run(), .init())
        XCTAssertEqual(s.requests.count, 0)
    }

    /// The URL is vetted again before every delivery, and the connection goes only to the addresses vetted then.
    func testURLIsVettedAgainBeforeDelivery() async throws {
        try await prepare()
        let cert = try serverCertificate()
        try await f.register(cert, "FR", .callback)
        let s = try server(cert)
        await subscribe("cb", "https://localhost:\(s.port)/cb")
        try await newBatch()
        // the host now resolves to a private address as well (DNS rebinding)
        try await assertEq(try await executor(resolveTo: [[127, 0, 0, 1], [10, 0, 0, 7]]).run().failed, 1)
        XCTAssertEqual(events("Security check for callback url has failed.").count, 1)
        XCTAssertEqual(s.requests.count, 0)
        // and with loopback no longer allowed, the same URL fails the check too
        advanceClock(seconds: 301)
        var strictSettings = f.services.config.callback
        strictSettings.allowLoopback = false
        let strict = CallbackExecutor(
            store: f.store, certificates: f.services.certificates, client: client, settings: strictSettings,
            log: f.services.log, clock: { [clock = f.clock] in clock.now }, resolve: { _ in [[127, 0, 0, 1]] })
        try await assertEq(try await strict.run().failed, 1)
        XCTAssertEqual(s.requests.count, 0)
    }
}

extension CallbackDeliveryTests {
    /// `callback.proxyUrl`: a real HTTP CONNECT proxy (Debian's tinyproxy, started here) is asked for the vetted IP
    /// literal; TLS (SNI, pin, client certificate) runs end to end through the tunnel.
    func testDeliveryThroughAConnectProxy() async throws {
        let tinyproxy = "/usr/bin/tinyproxy"
        guard FileManager.default.isExecutableFile(atPath: tinyproxy) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { return XCTFail("CI installs tinyproxy (.ci/run)") }
            throw XCTSkip("tinyproxy not installed (apt-get install tinyproxy)")
        }
        try await prepare()
        let proxyPort = try freeLoopbackPort()
        let conf = f.dir.appendingPathComponent("tinyproxy.conf")
        let logFile = f.dir.appendingPathComponent("tinyproxy.log")
        try
            "Port \(proxyPort)\nListen 127.0.0.1\nAllow 127.0.0.1\nTimeout 30\nLogLevel Info\nMaxClients 10\nLogFile \"\(logFile.path)\"\n"
            .write(to: conf, atomically: true, encoding: .utf8)
        let proxy = Process()
        proxy.executableURL = URL(fileURLWithPath: tinyproxy)
        proxy.arguments = ["-d", "-c", conf.path]
        proxy.standardOutput = FileHandle.nullDevice
        proxy.standardError = FileHandle.nullDevice
        try proxy.run()
        defer { stop(proxy) }
        for _ in 0..<100 where !isAcceptingConnections(port: proxyPort) {
            try await Task.sleep(nanoseconds: 50_000_000)
        }

        let cert = try serverCertificate()
        try await f.register(cert, "FR", .callback)
        let s = try server(cert)
        await subscribe("cb", "https://localhost:\(s.port)/via-proxy")
        let tag = try await newBatch()
        let proxied = try CallbackClient(
            certificatePath: f.dir.appendingPathComponent("callback-client.pem").path,
            keyPath: f.dir.appendingPathComponent("callback-client.key").path,
            timeout: 5, proxyURL: "http://127.0.0.1:\(proxyPort)")
        let summary = try await f.services.callbackExecutor(client: proxied, resolve: { _ in [[127, 0, 0, 1]] }).run()
        XCTAssertEqual(summary.delivered, 1, "\(f.lines.suffix(4))")
        XCTAssertEqual(s.requests.first?.query["batchTag"], tag)
        XCTAssertTrue(s.requests.first?.raw.contains("\r\nHost: localhost:\(s.port)\r\n") ?? false)
        XCTAssertEqual(
            s.requests.first?.clientCertificateThumbprint, clientIdentity.thumbprint,
            "TLS end to end through the tunnel")
        let proxyLog = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        XCTAssertTrue(
            proxyLog.contains("127.0.0.1:\(s.port)"),
            "the proxy was asked for the vetted IP literal: \(proxyLog.suffix(800))")
    }
}

/// Stops a test fixture process at once (SIGKILL: a child of the test process may inherit a mask that blocks
/// SIGTERM) and reaps it.
func stop(_ process: Process) {
    guard process.isRunning else { return }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
}
