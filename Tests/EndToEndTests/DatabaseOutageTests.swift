// SPDX-License-Identifier: EUPL-1.2

import EFGSClient
import EFGSCrypto
import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

/// The database goes away under traffic (issue 12, part 4): a private PostgreSQL cluster made by the test is
/// stopped as a crash would (`pg_ctl stop -m immediate`) while DE uploads and FR downloads, then started again. While
/// it is away the gateway answers 503 within `database.leaseTimeout` (not 500, not a hang), `/readyz` says so, and
/// it recovers by itself; no upload answered 201 is lost.
final class DatabaseOutageTests: XCTestCase {
    final class Traffic: @unchecked Sendable {
        struct Answer {
            /// The phase when the request was sent and when its answer came.
            var phase: Int
            var phaseAtEnd: Int
            var request: String
            var status: Int?
            var seconds: Double
        }
        private let lock = NSLock()
        private var _phase = 0
        private var _stop = false
        private(set) var answers: [Answer] = []
        private(set) var acknowledged: [[DiagnosisKey]] = []

        var phase: Int {
            get { lock.withLock { _phase } }
            set { lock.withLock { _phase = newValue } }
        }
        var stopped: Bool {
            get { lock.withLock { _stop } }
            set { lock.withLock { _stop = newValue } }
        }

        /// Runs `request`, recording its status (nil: no HTTP answer) and duration under the phase it began in.
        func measure(_ name: String, _ request: () async throws -> Int) async -> Int? {
            let phase = self.phase
            let start = Date()
            let status = try? await request()
            let answer = Answer(
                phase: phase, phaseAtEnd: self.phase, request: name, status: status,
                seconds: Date().timeIntervalSince(start))
            lock.withLock { answers.append(answer) }
            return status
        }

        func acknowledge(_ keys: [DiagnosisKey]) { lock.withLock { acknowledged.append(keys) } }
    }

    func testPostgreSQLStopAndRestartUnderTraffic() async throws {
        try EFGS.requireBinary()
        let cluster = try PrivatePostgres(dir: try temporaryFolder(self, "pg-outage"))
        defer { cluster.stop() }
        let fed = try Federation(
            dir: try temporaryFolder(self, "outage"),
            settings: [
                "database.url": cluster.url, "database.leaseTimeout": "2", "batching.interval": "3600",
                "admin.port": "0",
            ])
        for c in ["DE", "FR"] { try fed.addMember(c) }
        let serve = try ServeProcess(config: fed.configPath, in: fed.dir)
        defer { serve.stop() }
        let admin = try XCTUnwrap(serve.port(ofEvent: "Admin listening"), serve.output)
        let base = "http://127.0.0.1:\(serve.port)"
        let de = try fed.client("DE", baseURL: base)
        let fr = try fed.client("FR", baseURL: base)
        let signer = try fed.signer("DE")
        let today = UTCDay(Date()).description

        let traffic = Traffic()
        let uploads = Task {
            var n = 0
            while !traffic.stopped && n < 100_000 {
                n += 1
                let keys = freshKeys(20, origin: "DE")
                let status = await traffic.measure("upload") {
                    try await de.upload(keys: keys, batchTag: "outage-\(n)", signer: signer).status
                }
                if status == 201 { traffic.acknowledge(keys) }
                try? await Task.sleep(nanoseconds: 50_000_000)
            }
        }
        let downloads = Task {
            var n = 0
            while !traffic.stopped && n < 100_000 {
                n += 1
                _ = await traffic.measure("download") { try await fr.download(date: today).0.status }
                try? await Task.sleep(nanoseconds: 50_000_000)
            }
        }

        try await Task.sleep(nanoseconds: 2_000_000_000)
        XCTAssertEqual(try Curl.request("http://127.0.0.1:\(admin)/readyz").status, 200)
        try cluster.crash()
        traffic.phase = 1
        // the outage: /readyz says the database is away within the lease timeout and a little more
        let deadline = Date().addingTimeInterval(15)
        var ready = try Curl.request("http://127.0.0.1:\(admin)/readyz")
        while ready.status != 503 && Date() < deadline {
            try await Task.sleep(nanoseconds: 200_000_000)
            ready = try Curl.request("http://127.0.0.1:\(admin)/readyz")
        }
        XCTAssertEqual(ready.status, 503, ready.body)
        XCTAssertTrue(ready.body.contains("\"database\":\"FAILED"), ready.body)
        traffic.phase = 2  // fully away from here on
        try await Task.sleep(nanoseconds: 8_000_000_000)
        traffic.phase = 3
        try cluster.start()
        let recovery = Date()
        var back = try Curl.request("http://127.0.0.1:\(admin)/readyz")
        while back.status != 200 && Date().timeIntervalSince(recovery) < 90 {
            try await Task.sleep(nanoseconds: 500_000_000)
            back = try Curl.request("http://127.0.0.1:\(admin)/readyz")
        }
        XCTAssertEqual(back.status, 200, "recovered by itself: \(back.body)")
        let recoveredAfter = Date().timeIntervalSince(recovery)
        traffic.phase = 4
        try await Task.sleep(nanoseconds: 2_000_000_000)
        traffic.stopped = true
        _ = await uploads.result
        _ = await downloads.result

        let answers = traffic.answers
        let unanswered = answers.filter { $0.status == nil }
        XCTAssertTrue(
            unanswered.isEmpty,
            "every request answered; unanswered: "
                + unanswered.map { "\($0.request) in phase \($0.phase)-\($0.phaseAtEnd) after \($0.seconds) s" }
                .joined(separator: ", ") + "\nthe gateway's warnings and errors:\n"
                + serve.output.split(separator: "\n").filter { !$0.contains("level=\"INFO\"") }.suffix(40)
                .joined(separator: "\n"))
        XCTAssertFalse(answers.contains { ($0.status ?? 0) >= 500 && $0.status != 503 }, "no 5xx but 503")
        let away = answers.filter { $0.phase == 2 && $0.phaseAtEnd == 2 }
        XCTAssertGreaterThanOrEqual(away.count, 3, "requests sent and answered while the database was away")
        XCTAssertEqual(Set(away.compactMap(\.status)), [503], "while the database is away: 503")
        let slowest = away.map(\.seconds).max() ?? 0
        XCTAssertLessThan(slowest, 2 + 3, "503 within database.leaseTimeout (2 s) and a margin, not a hang")
        let after = answers.filter { $0.phase == 4 }
        XCTAssertFalse(after.isEmpty)
        XCTAssertEqual(
            Set(after.compactMap(\.status)), [201, 404], "after recovery: uploads 201, downloads 404 (no batch yet)")
        print(
            "database outage: \(answers.filter { $0.phase <= 1 }.count) requests before it was noticed, "
                + "\(away.count) while away (all 503, slowest \(String(format: "%.2f", slowest)) s), recovered "
                + "\(String(format: "%.1f", recoveredAfter)) s after PostgreSQL was back, \(after.count) after")

        // nothing acknowledged was lost
        let batch = try EFGS.run(["batch", "--config", fed.configPath], in: fed.dir)
        XCTAssertEqual(batch.status, 0, batch.output)
        var downloaded = Set<Data>()
        let refused = try await fr.followChain(date: today) { downloaded.formUnion($0.keys.map(\.keyData)) }
        XCTAssertNil(refused)
        let acknowledged = traffic.acknowledged
        XCTAssertTrue(acknowledged.allSatisfy { $0.allSatisfy { downloaded.contains($0.keyData) } })
        XCTAssertGreaterThan(acknowledged.count, 0)
        try await de.shutdown()
        try await fr.shutdown()
    }
}

/// A PostgreSQL cluster of the test's own (initdb in a temporary folder, loopback, trust authentication), run as the
/// `postgres` user when the test runs as root. Skips the test when PostgreSQL's server binaries are not installed.
final class PrivatePostgres {
    let bin: String
    let data: String
    let port: Int
    var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }

    init(dir: URL) throws {
        let versions =
            (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?
            .compactMap { Int($0) }.sorted() ?? []
        guard let version = versions.last else { throw XCTSkip("PostgreSQL server binaries not installed") }
        bin = "/usr/lib/postgresql/\(version)/bin"
        data = dir.appendingPathComponent("data").path
        port = try freeLoopbackPort()
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        if getuid() == 0 {
            _ = try runProcess(URL(fileURLWithPath: "/bin/chown"), ["-R", "postgres", dir.path])
        }
        try run("\(bin)/initdb -D \(data) -U postgres --auth=trust")
        try start()
    }

    /// Starts the cluster and waits until it accepts connections.
    func start() throws {
        try run(
            "\(bin)/pg_ctl -D \(data) -w -l \(data)/server.log -o '-c listen_addresses=127.0.0.1 -p \(port) -k \(data)' start"
        )
    }

    /// Stops the cluster the way a crash would: no checkpoint, every connection dropped at once.
    func crash() throws { try run("\(bin)/pg_ctl -D \(data) -m immediate stop") }

    func stop() { _ = try? run("\(bin)/pg_ctl -D \(data) -m fast stop") }

    /// Runs `command` with `/bin/sh` (as `postgres` when the test runs as root) and waits for it with `waitpid`:
    /// Foundation's `Process` did not notice the exit of a shell that had started a daemon (`pg_ctl start`) and
    /// waited for ever.
    private func run(_ command: String) throws {
        let output = data + ".out"
        let shell = "\(command) > \(output) 2>&1 < /dev/null"
        let argv =
            getuid() == 0
            ? ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "/bin/sh", "-c", shell]
            : ["/bin/sh", "-c", shell]
        var pid: pid_t = 0
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for a in cArgs { free(a) } }
        let spawned = posix_spawn(&pid, argv[0], nil, nil, &cArgs, environ)
        guard spawned == 0 else { throw HarnessError("posix_spawn \(argv[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exited = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        guard exited == 0 else {
            throw HarnessError(
                "\(command): exit \(exited): \((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
        }
    }
}
