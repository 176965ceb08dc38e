// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

@testable import EFGSGateway

/// The RFC 5424 copy of the event log (PROTOCOL.md §7.9, `logging.syslog.*`) against collectors on loopback made
/// by the tests (plain TCP and TLS with a certificate made here). The end-to-end test with Debian's rsyslog is in
/// `ServeProcessTests.testSyslogCopyReachesRsyslog`.
final class SyslogForwarderTests: XCTestCase {
    var forwarders: [SyslogForwarder] = []
    var collectors: [TestSyslogCollector] = []

    override func tearDown() async throws {
        for f in forwarders { await f.shutdown(timeout: .milliseconds(200)) }
        for c in collectors { c.stop() }
    }

    func collector(identity: CertificateFactory.Issued? = nil, port: Int = 0) throws -> TestSyslogCollector {
        let c = try TestSyslogCollector(identity: identity, port: port)
        collectors.append(c)
        return c
    }

    func forwarder(_ settings: SyslogForwarder.Settings, capacity: Int = 10_000) throws -> SyslogForwarder {
        let f = try SyslogForwarder(settings: settings, capacity: capacity)
        forwarders.append(f)
        return f
    }

    static let line =
        #"timestamp="2024-05-02T10:00:00.123Z", level="INFO", hostname="gw1", pid="4711", traceId="5f1c0a7e9b2d4c81", spanId="5f1c0a7e9b2d4c81", thread="http-3", class="UploadController", message="successfull batch upload", batchTag="2020-9-8-AbCd1A==-0", numKeys="3", country="DE""#

    func testFrameIsOctetCountedRFC5424WithTheLineAsMSG() throws {
        let date = Date(timeIntervalSince1970: 1_714_644_000.1235)
        let m = SyslogMessage(
            facility: 16, level: .info, timestamp: date, hostname: "gw1", procId: "4711", msgId: "UploadController",
            line: Self.line)
        let message = "<134>1 2024-05-02T10:00:00.123Z gw1 efgs 4711 UploadController - " + Self.line
        XCTAssertEqual(String(decoding: m.frame, as: UTF8.self), "\(message.utf8.count) " + message)
        // PRI = facility × 8 + severity (RFC 5424 §6.2.1)
        XCTAssertTrue(
            String(
                decoding: SyslogMessage(
                    facility: 16, level: .error, timestamp: date, hostname: "gw1", procId: "1", msgId: "x", line: "l"
                ).frame, as: UTF8.self
            ).hasPrefix("48 <131>1 2024-05-02T10:00:00.123Z gw1 efgs 1 x - l"))
        XCTAssertTrue(
            String(
                decoding: SyslogMessage(
                    facility: 3, level: .warn, timestamp: date, hostname: "gw1", procId: "1", msgId: "x", line: "l"
                ).frame, as: UTF8.self
            ).contains(" <28>1 "))
        XCTAssertTrue(
            String(
                decoding: SyslogMessage(
                    facility: 23, level: .debug, timestamp: date, hostname: "gw1", procId: "1", msgId: "x", line: "l"
                ).frame, as: UTF8.self
            ).contains(" <191>1 "))
        // header fields: PRINTUSASCII only, bounded, "-" when empty
        let odd = SyslogMessage(
            facility: 16, level: .info, timestamp: date, hostname: "", procId: "1",
            msgId: "a b" + String(repeating: "c", count: 40), line: "l")
        XCTAssertTrue(
            String(decoding: odd.syslogMessage, as: UTF8.self).hasPrefix(
                "<134>1 2024-05-02T10:00:00.123Z - efgs 1 ab" + String(repeating: "c", count: 30) + " - l"))
    }

    func testNonASCIILineStartsWithBOMAndIsCountedInBytes() throws {
        let m = SyslogMessage(
            facility: 16, level: .info, timestamp: Date(timeIntervalSince1970: 0), hostname: "h", procId: "1",
            msgId: "x", line: "dnString='O=Gesundheitsbehörde'")
        let message = m.syslogMessage
        let prefix = Array("<134>1 1970-01-01T00:00:00.000Z h efgs 1 x - ".utf8)
        XCTAssertEqual(Array(message.prefix(prefix.count)), prefix)
        XCTAssertEqual(Array(message[prefix.count..<prefix.count + 3]), [0xEF, 0xBB, 0xBF])
        XCTAssertEqual(
            String(decoding: m.frame, as: UTF8.self), "\(message.count) " + String(decoding: message, as: UTF8.self))
        XCTAssertEqual(message.count, prefix.count + 3 + "dnString='O=Gesundheitsbehörde'".utf8.count)
    }

    func testEveryEventLineArrivesInOrder() async throws {
        let c = try collector()
        let f = try forwarder(.init(host: "127.0.0.1", port: c.port))
        let lines = NIOLockedLines()
        let log = EventLog(minimumLevel: .info, syslog: f, sink: { lines.add($0) })
        let scope = log.scope("UploadController", thread: "http-1")
        for i in 0..<500 {
            scope.info("successfull batch upload", ["batchTag": "tag-\(i)", "numKeys": "3", "country": "DE"])
        }
        scope.debug("below the minimum level: neither on stdout nor in syslog")
        scope.error("Invalid signature", ["dnString": "C=DE,\r\nO=\"x\""])
        let frames = try await c.waitForFrames(501)
        XCTAssertEqual(frames.count, 501)
        XCTAssertEqual(lines.all.count, 501)
        let pid = ProcessInfo.processInfo.processIdentifier
        let host = ProcessInfo.processInfo.hostName
        for (frame, line) in zip(frames, lines.all) {
            // MSG = the stdout line, byte for byte
            XCTAssertTrue(frame.hasSuffix(" UploadController - " + line), frame)
            XCTAssertTrue(frame.hasPrefix(line.contains(#"level="ERROR""#) ? "<131>1 " : "<134>1 "), frame)
            XCTAssertTrue(frame.contains(" \(SyslogMessage.headerField(host, max: 255)) efgs \(pid) "), frame)
        }
        XCTAssertTrue(frames[499].hasSuffix(#"batchTag="tag-499", numKeys="3", country="DE""#))
        XCTAssertTrue(frames[500].hasSuffix(#"dnString="C=DE,, O='x'""#), frames[500])
        XCTAssertEqual(f.pendingCount, 0)
    }

    func testLinesLoggedWhileTheCollectorIsDownArriveWhenItIsBack() async throws {
        let port = try freeLoopbackPort()
        let f = try forwarder(.init(host: "127.0.0.1", port: port))
        for i in 0..<3 { f.send(level: .info, component: "C", timestamp: Date(), line: "line \(i)") }
        try await Task.sleep(for: .milliseconds(600))
        XCTAssertEqual(f.pendingCount, 3, "nothing can be written while no collector listens")
        let c = try collector(port: port)
        let frames = try await c.waitForFrames(3)
        XCTAssertEqual(
            frames.map { String($0.split(separator: " ", maxSplits: 7).last!) }, ["line 0", "line 1", "line 2"])
        // the collector goes away and comes back: the connection is re-established
        c.stop()
        try await Task.sleep(for: .milliseconds(200))
        f.send(level: .info, component: "C", timestamp: Date(), line: "written into the dead connection or queued")
        try await Task.sleep(for: .milliseconds(300))
        let again = try collector(port: port)
        f.send(level: .info, component: "C", timestamp: Date(), line: "after the restart")
        let later = try await again.waitForFrames(1)
        XCTAssertTrue(later.last?.hasSuffix("after the restart") == true, "\(later)")
    }

    func testFullQueueDropsTheOldestLines() async throws {
        let port = try freeLoopbackPort()
        let f = try forwarder(.init(host: "127.0.0.1", port: port), capacity: 3)
        for i in 0..<5 { f.send(level: .info, component: "C", timestamp: Date(), line: "line \(i)") }
        XCTAssertEqual(f.droppedCount, 2)
        XCTAssertEqual(f.pendingCount, 3)
        let c = try collector(port: port)
        func texts() -> [String] { (c.frames ?? []).map { String($0.split(separator: " ", maxSplits: 7).last!) } }
        for _ in 0..<200 where texts().last != "line 4" { try await Task.sleep(for: .milliseconds(50)) }
        // the three newest arrive, in order and once each; an older line only if the writer already had it in hand
        // when it was dropped from the queue (the sends race the writer's first connection attempt)
        let received = texts()
        XCTAssertEqual(received.suffix(3), ["line 2", "line 3", "line 4"])
        XCTAssertEqual(received, received.sorted(), "in order")
        XCTAssertEqual(Set(received).count, received.count, "no line twice")
    }

    func testShutdownSendsWhatIsQueued() async throws {
        let c = try collector()
        let f = try SyslogForwarder(settings: .init(host: "127.0.0.1", port: c.port))
        for i in 0..<200 { f.send(level: .warn, component: "C", timestamp: Date(), line: "line \(i)") }
        await f.shutdown()
        XCTAssertEqual(f.pendingCount, 0)
        // shutdown returns once every line is written; the collector reads them on its own event loop
        for _ in 0..<100 where (c.frames?.count ?? 0) < 200 { try await Task.sleep(for: .milliseconds(50)) }
        XCTAssertEqual(c.frames?.count, 200)
        f.send(level: .warn, component: "C", timestamp: Date(), line: "after shutdown: ignored")
        XCTAssertEqual(f.pendingCount, 0)
    }

    func testTLSCollectorWithItsCAAndNotWithAnother() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("efgs-syslog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let identity = try CertificateFactory.selfSigned(
            country: nil, commonName: "syslog.test", key: .p256, dnsNames: ["localhost"])
        let other = try CertificateFactory.selfSigned(
            country: nil, commonName: "other", key: .p256, dnsNames: ["localhost"])
        let ca = dir.appendingPathComponent("ca.pem")
        let wrongCA = dir.appendingPathComponent("other.pem")
        try identity.certificatePEM.write(to: ca, atomically: true, encoding: .utf8)
        try other.certificatePEM.write(to: wrongCA, atomically: true, encoding: .utf8)
        let c = try collector(identity: identity)
        let good = try forwarder(.init(host: "localhost", port: c.port, tls: true, caPath: ca.path))
        good.send(level: .info, component: "C", timestamp: Date(), line: "over TLS")
        let frames = try await c.waitForFrames(1)
        XCTAssertEqual(frames.count, 1)
        XCTAssertTrue(frames[0].hasSuffix(" C - over TLS"))
        // a collector whose certificate does not chain to the configured CA gets nothing (not even in plain text)
        let bad = try forwarder(.init(host: "localhost", port: c.port, tls: true, caPath: wrongCA.path))
        bad.send(level: .info, component: "C", timestamp: Date(), line: "must not arrive")
        try await Task.sleep(for: .milliseconds(800))
        XCTAssertEqual(c.frames?.count, 1)
        XCTAssertFalse(String(decoding: c.bytes, as: UTF8.self).contains("must not arrive"))
        XCTAssertEqual(bad.pendingCount, 1)
    }

    func testSettings() async throws {
        var env = [
            "TRUST_ANCHOR_CERTIFICATE_PATH": "/x",
            "STORAGE_KEYS": "k1:" + Base64.encodeString([UInt8](repeating: 7, count: 32)),
            "STORAGE_ACTIVE_KEY_ID": "k1",
        ]
        let off = try await GatewayConfiguration.load(path: nil, environment: env)
        XCTAssertNil(off.logging.syslog)
        env["LOGGING_SYSLOG_HOST"] = "logs.example"
        let defaults = try await GatewayConfiguration.load(path: nil, environment: env)
        XCTAssertEqual(
            defaults.logging.syslog, .init(host: "logs.example", port: 601, tls: false, caPath: nil, facility: 16))
        env["LOGGING_SYSLOG_PORT"] = "6514"
        env["LOGGING_SYSLOG_TLS"] = "true"
        env["LOGGING_SYSLOG_FACILITY"] = "daemon"
        let set = try await GatewayConfiguration.load(path: nil, environment: env)
        XCTAssertEqual(set.logging.syslog, .init(host: "logs.example", port: 6514, tls: true, caPath: nil, facility: 3))
        env["LOGGING_SYSLOG_FACILITY"] = "local9"
        do {
            _ = try await GatewayConfiguration.load(path: nil, environment: env)
            XCTFail("local9 accepted")
        } catch let e as GatewayConfiguration.InvalidSetting {
            XCTAssertEqual(e.setting, "logging.syslog.facility")
        }
    }
}

/// Lines written to a test sink.
final class NIOLockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ l: String) {
        lock.lock()
        lines.append(l)
        lock.unlock()
    }
    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }
}
