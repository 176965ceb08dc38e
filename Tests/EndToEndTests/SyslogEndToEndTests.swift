// SPDX-License-Identifier: EUPL-1.2

import EFGSClient
import EFGSCrypto
import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

/// The §7.9 copy to a syslog collector, received by a real collector: Debian's rsyslog (`rsyslogd -n`, imtcp on
/// loopback, started here), which parses each RFC 5424 message and writes its fields to a file.
final class SyslogEndToEndTests: XCTestCase {
    func testEventLinesReachRsyslogAsRFC5424() async throws {
        try EFGS.requireBinary()
        let rsyslogd = "/usr/sbin/rsyslogd"
        guard FileManager.default.isExecutableFile(atPath: rsyslogd) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { return XCTFail("CI installs rsyslog (.ci/run)") }
            throw XCTSkip("rsyslog not installed (apt-get install rsyslog)")
        }
        let dir = try temporaryFolder(self, "syslog")
        let port = try freeLoopbackPort()
        let received = dir.appendingPathComponent("received.log")
        // every parsed field, `|`-separated; %msg% is the MSG part
        let conf = """
            global(workDirectory="\(dir.path)")
            module(load="imtcp")
            template(name="fields" type="string" string="%syslogfacility-text%|%syslogseverity-text%|%protocol-version%|%app-name%|%procid%|%msgid%|%structured-data%|%msg%\\n")
            ruleset(name="efgs") { action(type="omfile" file="\(received.path)" template="fields") }
            input(type="imtcp" address="127.0.0.1" port="\(port)" ruleset="efgs")
            """
        try conf.write(to: dir.appendingPathComponent("rsyslog.conf"), atomically: true, encoding: .utf8)
        let collector = Process()
        collector.executableURL = URL(fileURLWithPath: rsyslogd)
        collector.arguments = [
            "-n", "-f", dir.appendingPathComponent("rsyslog.conf").path, "-i",
            dir.appendingPathComponent("rsyslog.pid").path,
        ]
        collector.standardOutput = FileHandle.nullDevice
        collector.standardError = FileHandle.nullDevice
        try collector.run()
        defer {
            kill(collector.processIdentifier, SIGKILL)
            collector.waitUntilExit()
        }
        for _ in 0..<100 where !isAcceptingConnections(port: port) { try await Task.sleep(for: .milliseconds(50)) }
        XCTAssertTrue(isAcceptingConnections(port: port), "rsyslogd listens")

        let fed = try Federation(
            dir: dir,
            settings: [
                "logging.syslog.host": "127.0.0.1", "logging.syslog.port": "\(port)",
                "logging.syslog.facility": "local3",
            ])
        try fed.addMember("DE")
        let server = try ServeProcess(config: fed.configPath, in: fed.dir)
        let de = try fed.client("DE", baseURL: "http://127.0.0.1:\(server.port)")
        let signer = try fed.signer("DE")
        try await assertStatus(
            await de.upload(keys: freshKeys(3, origin: "DE"), batchTag: "syslog-1", signer: signer), 201)
        let unknown = try GatewayClient(
            baseURL: "http://127.0.0.1:\(server.port)",
            identity: .proxyHeaders(thumbprint: String(repeating: "ab", count: 32), dn: "C=XX"))
        let refused = try await unknown.download(date: UTCTimestamp.format(Date()).prefix(10).description)
        XCTAssertEqual(refused.response.status, 403)
        try await de.shutdown()
        try await unknown.shutdown()
        let pid = server.process.processIdentifier
        XCTAssertEqual(server.stop(), 0)

        // every event line on stdout arrived, in order, as the MSG of a local3 message from APP-NAME efgs, PROCID pid
        let stdoutEvents = server.output.split(separator: "\n").filter { $0.hasPrefix("timestamp=\"") }.map(String.init)
        XCTAssertTrue(stdoutEvents.contains { $0.contains(#"message="successfull batch upload""#) })
        XCTAssertTrue(
            stdoutEvents.contains {
                $0.contains(#"level="ERROR""#) && $0.contains(#"message="Unknown client certificate""#)
            })
        // the serve process's lines; the `cert import` commands before it sent their operator-audit events too
        var all: [Substring] = []
        var lines: [Substring] = []
        for _ in 0..<100 {
            all = ((try? String(contentsOf: received, encoding: .utf8)) ?? "").split(separator: "\n")
            lines = all.filter { $0.split(separator: "|", maxSplits: 5).dropFirst(4).first == "\(pid)" }
            if lines.count >= stdoutEvents.count { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        XCTAssertEqual(
            all.filter { $0.contains("|OperatorAudit|") && $0.contains(#"command="cert import""#) }.count, 2,
            "the operator audit of both imports reached the collector")
        XCTAssertEqual(lines.count, stdoutEvents.count, "rsyslog received:\n\(lines.joined(separator: "\n"))")
        for (line, event) in zip(lines, stdoutEvents) {
            let f = line.split(separator: "|", maxSplits: 7, omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(f.count, 8)
            let level =
                event.contains(#"level="ERROR""#) ? "err" : event.contains(#"level="WARN""#) ? "warning" : "info"
            let component =
                event.range(of: #"class=""#).map { String(event[$0.upperBound...].prefix { $0 != "\"" }) } ?? ""
            XCTAssertEqual(Array(f.prefix(7)), ["local3", level, "1", "efgs", "\(pid)", component, "-"], String(line))
            XCTAssertEqual(f[7], event)
        }
    }
}
