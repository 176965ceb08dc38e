// SPDX-License-Identifier: EUPL-1.2

import EFGSClient
import EFGSCrypto
import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

/// Crash consistency, proven repeatedly (issue 12, part 4): `SIGKILL` of `efgs serve` during concurrent uploads, of
/// `efgs batch` during batching, of `efgs deliver-callbacks` during delivery and of `efgs purge-keys` during a
/// purge, each followed by a restart and the checks of ``CrashRun``. `EFGS_CRASH_CYCLES` kill cycles per scenario
/// (default 3, as in CI; `EFGS_CRASH_CYCLES=100` for a long run). The PostgreSQL run needs `EFGS_TEST_POSTGRES_URL`
/// (CI's second pass).
final class CrashConsistencyTests: XCTestCase {
    static var cycles: Int { Int(ProcessInfo.processInfo.environment["EFGS_CRASH_CYCLES"] ?? "") ?? 3 }

    func testKillsOnSQLite() async throws {
        try EFGS.requireBinary()
        let dir = try temporaryFolder(self, "crash-sqlite")
        let run = try CrashRun(dir: dir, databaseURL: "sqlite:" + dir.appendingPathComponent("efgs.sqlite").path)
        try await run.all(cycles: Self.cycles)
    }

    func testKillsOnPostgreSQL() async throws {
        try EFGS.requireBinary()
        guard let pg = TestDatabase.postgresURL else { throw XCTSkip("EFGS_TEST_POSTGRES_URL not set") }
        try await TestDatabase.openFresh(url: pg).close()
        let run = try CrashRun(dir: try temporaryFolder(self, "crash-pg"), databaseURL: pg)
        try await run.all(cycles: Self.cycles)
    }
}

/// One federation (DE and PL upload, FR downloads and subscribes to callbacks) killed and restarted again and again.
///
/// After every kill it checks, reading the database with its own client (``SQLShell``): no upload batch is partly
/// stored (its `key_count` equals its key rows), every download batch holds exactly the keys of its upload batches,
/// and the chain of each day is `1…N` without gaps. After every cycle of the upload, batching and callback scenarios
/// FR downloads, through a fresh `serve`, the part of the day's chain that is new since the cycle before (walking on
/// from the last batch it saw): every upload answered 201 is there completely and once, an upload whose answer was
/// lost to the kill is there completely or not at all, no key comes twice in the whole day, the tags go on from the
/// last one without a gap and the chain ends with `null`. Callbacks reach FR's endpoint for every batch at least
/// once, never out of order. The retention scenario checks after every kill that no upload batch is partly deleted,
/// and after the restarted purge that every expired key is gone.
final class CrashRun: @unchecked Sendable {
    struct Upload: Sendable {
        var country: String
        var tag: String
        var keys: [DiagnosisKey]
        /// The HTTP status, nil when the kill took the answer.
        var status: Int?
    }

    let fed: Federation
    let sql: SQLShell
    let signers: [String: BatchSigner]
    let endpoint: TestCallbackServer
    private let lock = NSLock()
    private var uploads: [Upload] = []
    /// How many kills hit a run that had begun its work and not finished it, per scenario (the figures of a run).
    private(set) var midWork: [String: Int] = [:]
    /// Today's download batches FR has walked so far, in chain order, and every key they held.
    private var walked: [String] = []
    private var downloadedKeys: Set<Data> = []
    /// The uploads before this index were checked by an earlier walk.
    private var checkedUploads = 0

    init(dir: URL, databaseURL: String) throws {
        let fed = try Federation(
            dir: dir,
            settings: [
                "database.url": databaseURL, "batching.interval": "3600", "batching.docLimit": "100",
                "upload.maxKeys": "80", "callback.allowLoopback": "true", "callback.executeInterval": "3600",
                "callback.timeout": "2", "callback.dnsTimeout": "0.5", "callback.taskLockTimeout": "3",
                "jobs.lockLease": "3",
                "retention.chunkSize": "60",
            ])
        self.fed = fed
        sql = SQLShell(url: databaseURL)
        guard sql.isAvailable else {
            // CI installs both (.ci/run): there a missing client must fail the run, not skip the proof
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                throw HarnessError("no sqlite3/psql client to read \(databaseURL)")
            }
            throw XCTSkip("no sqlite3/psql client to read \(databaseURL)")
        }
        for c in ["DE", "PL", "FR"] { try fed.addMember(c) }
        signers = try Dictionary(
            uniqueKeysWithValues: ["DE", "PL"].map { c in
                (
                    c,
                    try fed.signer(c)
                )
            })
        let endpointCert = try CertificateFactory.selfSigned(
            country: "FR", commonName: "callback.fr", key: .p256, dnsNames: ["localhost"],
            ipAddresses: [[127, 0, 0, 1]])
        guard try fed.onboard(endpointCert, country: "FR", type: "CALLBACK").status == 0 else {
            throw HarnessError("CALLBACK certificate not onboarded")
        }
        // each delivery takes 0.05 s: a kill lands inside a run of several
        endpoint = try TestCallbackServer(identity: endpointCert, answers: [.delayed(seconds: 0.05)])
    }

    deinit { endpoint.stop() }

    func client(_ country: String, _ base: String) throws -> GatewayClient {
        try fed.client(country, baseURL: base)
    }

    /// Every scenario, `cycles` kills each, then the checks.
    func all(cycles: Int) async throws {
        let serve = try ServeProcess(config: fed.configPath, in: fed.dir)
        let fr = try client("FR", "http://127.0.0.1:\(serve.port)")
        let sub = try await fr.send(
            method: .PUT, path: "/diagnosiskeys/callback/fr-crash?url=https://127.0.0.1:\(endpoint.port)/cb")
        XCTAssertEqual(sub.status, 200, sub.text)
        try await fr.shutdown()
        serve.stop()

        for cycle in 0..<cycles {
            try await killServeDuringUploads(cycle)
            try await checkDownloads("upload kill \(cycle)")
        }
        for cycle in 0..<cycles {
            try await killBatching(cycle)
            try await checkDownloads("batching kill \(cycle)")
        }
        for cycle in 0..<cycles {
            try await killCallbackDelivery(cycle)
            try await checkDownloads("callback kill \(cycle)")
        }
        let expected = uploads.filter { $0.status == 201 }.reduce(0) { $0 + $1.keys.count }
        XCTAssertGreaterThanOrEqual(downloadedKeys.count, expected, "FR downloaded every acknowledged key")
        for cycle in 0..<cycles { try await killRetention(cycle) }
        print(
            "crash consistency on \(sql.url.hasPrefix("postgres") ? "PostgreSQL" : "SQLite"): \(cycles) cycles per "
                + "scenario, \(uploads.count) uploads (\(uploads.filter { $0.status == 201 }.count) answered 201, "
                + "\(uploads.filter { $0.status == nil }.count) answers lost to a kill), kills that hit a run at work: "
                + "\(midWork.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
    }

    // MARK: - Scenarios

    /// Four uploaders (DE and PL) as fast as the gateway answers, until `SIGKILL` 0.3–1.5 s in.
    func killServeDuringUploads(_ cycle: Int) async throws {
        let serve = try ServeProcess(config: fed.configPath, in: fed.dir)
        let base = "http://127.0.0.1:\(serve.port)"
        let clients = try ["DE", "PL"].map { try client($0, base) }
        let pid = serve.process.processIdentifier
        let killer = Task {
            try await Task.sleep(nanoseconds: UInt64.random(in: 300_000_000...1_500_000_000))
            kill(pid, SIGKILL)
        }
        let signers = self.signers
        let done = await withTaskGroup(of: [Upload].self) { group in
            for u in 0..<4 {
                group.addTask {
                    var mine: [Upload] = []
                    for i in 0..<2000 {
                        let country = u % 2 == 0 ? "DE" : "PL"
                        var up = Upload(
                            country: country, tag: "a\(cycle)-\(u)-\(i)",
                            keys: freshKeys(Int.random(in: 20...80), origin: country), status: nil)
                        do {
                            up.status = try await clients[u % 2].upload(
                                keys: up.keys, batchTag: up.tag, signer: signers[country]!
                            ).status
                            mine.append(up)
                        } catch {
                            mine.append(up)
                            break
                        }
                    }
                    return mine
                }
            }
            var all: [Upload] = []
            for await part in group { all += part }
            return all
        }
        _ = await killer.result
        serve.process.waitUntilExit()
        XCTAssertEqual(serve.process.terminationReason, .uncaughtSignal, "killed, not exited")
        for c in clients { try await c.shutdown() }
        let answered = done.compactMap(\.status)
        XCTAssertEqual(Set(answered), answered.isEmpty ? [] : [201], "every answered upload is a 201")
        if done.contains(where: { $0.status == nil }) && !answered.isEmpty { count("uploads") }
        record(done)
        try checkStoredState("cycle \(cycle) of the upload kills")
    }

    /// Uploads through a fresh `serve` (stopped cleanly), then `efgs batch` killed at a random point of its run.
    func killBatching(_ cycle: Int) async throws {
        let startup = try startupSeconds()
        // serve batches as soon as batching.docLimit keys wait: uploaded under a large limit, the keys wait for the
        // killed run, which makes a download batch of at most 100 keys per transaction, some 30 of them
        try setDocLimit(5000)
        try await uploadSome(cycle: "b\(cycle)", count: 60)
        try setDocLimit(100)
        let before = try sql.integer("SELECT COUNT(*) FROM download_batches")
        let elapsed = try killCommand(["batch"], after: startup...(startup + 0.1))
        let during = try sql.integer("SELECT COUNT(*) FROM download_batches")
        try checkStoredState("cycle \(cycle) of the batching kills, killed after \(elapsed) s")
        try runUntilDone(["batch"], done: { $0.contains("created") })
        let after = try sql.integer("SELECT COUNT(*) FROM download_batches")
        XCTAssertEqual(
            try sql.integer("SELECT COUNT(*) FROM upload_batches WHERE download_batch_tag IS NULL"), 0,
            "the restarted batching batched everything")
        if during > before && during < after { count("batching") }
        print(
            "batching kill \(cycle): after \(elapsed) s (start-up \(String(format: "%.3f", startup)) s); download "
                + "batches before \(before), at the kill \(during), after the restart \(after)")
        try checkStoredState("cycle \(cycle) of the batching kills, after the restart")
    }

    /// New download batches, then `efgs deliver-callbacks` killed while it delivers (each delivery takes 0.05 s).
    func killCallbackDelivery(_ cycle: Int) async throws {
        // uploaded under a large docLimit, so that serve neither batches nor delivers: some ten tasks wait for the run
        try setDocLimit(5000)
        try await uploadSome(cycle: "c\(cycle)", count: 20)
        try setDocLimit(100)
        try runUntilDone(["batch"], done: { $0.contains("created") })
        let startup = try startupSeconds()
        let seenBefore = endpoint.requests.count
        let pending = try sql.integer("SELECT COUNT(*) FROM callback_tasks")
        // each delivery: a TLS handshake with the endpoint and its 0.05 s answer
        let elapsed = try killCommand(
            ["deliver-callbacks"], after: startup...(startup + 0.06 * Double(max(pending, 1))))
        let pendingAfterKill = try sql.integer("SELECT COUNT(*) FROM callback_tasks")
        if endpoint.requests.count > seenBefore && pendingAfterKill > 0 { count("callbacks") }
        print(
            "callback kill \(cycle): after \(elapsed) s (start-up \(String(format: "%.3f", startup)) s); tasks "
                + "pending before \(pending), after the kill \(pendingAfterKill); the endpoint got "
                + "\(endpoint.requests.count - seenBefore) call(s) from the killed run")
        // the killed run's task lock is released by the lock cleanup (serve runs it periodically; here the command)
        // once older than callback.taskLockTimeout, its job lock expires after jobs.lockLease
        try runUntilDone(
            ["deliver-callbacks"], after: ["release-callback-locks"], done: { $0.contains("; 0 task(s) pending") })
        let tags = try sql.rows("SELECT tag FROM download_batches ORDER BY tag_day, tag_number").map { $0[0] }
        let received = endpoint.requests.map { $0.query["batchTag"] ?? "" }
        XCTAssertEqual(
            Set(received), Set(tags), "cycle \(cycle): every download batch notified at least once, nothing else")
        let order = Dictionary(uniqueKeysWithValues: tags.enumerated().map { ($1, $0) })
        let positions = received.compactMap { order[$0] }
        XCTAssertEqual(
            positions, positions.sorted(), "cycle \(cycle): never a batch before its predecessor: \(received)")
    }

    /// Everything stored made older than the retention period, then `efgs purge-keys` (60 keys per transaction)
    /// killed during the purge.
    func killRetention(_ cycle: Int) async throws {
        try await uploadSome(cycle: "r\(cycle)", count: 40)
        try runUntilDone(["batch"], done: { $0.contains("created") })
        let day: Int64 = 86_400_000
        try sql.execute("UPDATE upload_batches SET accepted_at = accepted_at - \(4 * day)")
        try sql.execute("UPDATE download_batches SET created_at = created_at - \(4 * day)")
        let before = try sql.integer("SELECT COUNT(*) FROM diagnosis_keys")
        let startup = try startupSeconds()
        _ = try killCommand(["purge-keys"], after: startup...(startup + 0.1))
        let during = try sql.integer("SELECT COUNT(*) FROM diagnosis_keys")
        if during > 0 && during < before { count("retention") }
        try checkNoPartialUploadBatch("cycle \(cycle) of the retention kills")
        try runUntilDone(["purge-keys"], done: { $0.contains("deleted") })
        XCTAssertEqual(
            try sql.integer("SELECT COUNT(*) FROM diagnosis_keys"), 0, "cycle \(cycle): all expired keys gone")
        XCTAssertEqual(try sql.integer("SELECT COUNT(*) FROM upload_batches"), 0, "cycle \(cycle): and their uploads")
    }

    // MARK: - Checks

    /// No upload batch partly stored; download batches whole; the chains without gaps.
    func checkStoredState(_ when: String) throws {
        try checkNoPartialUploadBatch(when)
        let mismatched = try sql.rows(
            """
            SELECT d.tag, d.key_count, COALESCE(SUM(u.key_count), 0) FROM download_batches d
            LEFT JOIN upload_batches u ON u.download_batch_tag = d.tag
            GROUP BY d.tag, d.key_count HAVING d.key_count <> COALESCE(SUM(u.key_count), 0)
            """)
        XCTAssertEqual(mismatched, [], "\(when): a download batch whose keys are not all there")
        let dangling = try sql.rows(
            """
            SELECT u.upload_tag FROM upload_batches u LEFT JOIN download_batches d ON d.tag = u.download_batch_tag
            WHERE u.download_batch_tag IS NOT NULL AND d.tag IS NULL
            """)
        XCTAssertEqual(dangling, [], "\(when): upload batches in a download batch that does not exist")
        let chain = try sql.rows(
            "SELECT tag_day, tag_number, tag, next_tag FROM download_batches ORDER BY tag_day, tag_number")
        for (day, rows) in Dictionary(grouping: chain, by: { $0[0] }) {
            let sorted = rows.sorted { Int($0[1])! < Int($1[1])! }
            XCTAssertEqual(sorted.map { Int($0[1])! }, Array(1...sorted.count), "\(when): day \(day) has gaps")
            for (a, b) in zip(sorted, sorted.dropFirst()) {
                XCTAssertEqual(a[3], b[2], "\(when): \(a[2]) links to \(a[3]), not to \(b[2])")
            }
            XCTAssertEqual(sorted.last?[3] ?? "", "", "\(when): the last batch of day \(day) links nowhere")
        }
    }

    func checkNoPartialUploadBatch(_ when: String) throws {
        let partial = try sql.rows(
            """
            SELECT u.upload_tag, u.key_count, COUNT(k.id) FROM upload_batches u
            LEFT JOIN diagnosis_keys k ON k.upload_batch_id = u.id
            GROUP BY u.id, u.upload_tag, u.key_count HAVING u.key_count <> COUNT(k.id)
            """)
        XCTAssertEqual(partial, [], "\(when): upload batches partly stored")
        let orphans = try sql.integer(
            "SELECT COUNT(*) FROM diagnosis_keys k WHERE NOT EXISTS (SELECT 1 FROM upload_batches u WHERE u.id = k.upload_batch_id)"
        )
        XCTAssertEqual(orphans, 0, "\(when): keys without their upload batch")
    }

    /// FR walks on along today's chain through a fresh `serve`, from the last batch the walk before saw (the day's
    /// first when none): the new tags follow on without a gap and the chain ends with `nextBatchTag` null; no key of
    /// the new batches was downloaded before; each upload made since the walk before is there completely when it was
    /// answered 201, completely or not at all when its answer was lost to a kill.
    func checkDownloads(_ when: String) async throws {
        try runUntilDone(["batch"], done: { $0.contains("created") })
        let serve = try ServeProcess(config: fed.configPath, in: fed.dir)
        defer { serve.stop() }
        let fr = try client("FR", "http://127.0.0.1:\(serve.port)")
        let today = UTCDay(Date())
        let last = walked.last
        var tags: [String] = []
        var keys: [Data] = []
        let refused = try await fr.followChain(date: today.description, from: last, limit: 10_000) { batch in
            guard batch.tag != last else { return }  // seen by the walk before; visited again for its nextBatchTag
            tags.append(batch.tag)
            keys += batch.keys.map(\.keyData)
        }
        try await fr.shutdown()
        if let refused, refused.status == 404, last == nil {
            // nothing batched yet: the kill came before any upload was stored
            XCTAssertEqual(try sql.integer("SELECT COUNT(*) FROM upload_batches"), 0, "\(when): \(refused.text)")
        } else {
            XCTAssertNil(refused, "\(when): the chain ends with nextBatchTag null: \(refused?.text ?? "")")
        }
        XCTAssertEqual(
            tags, (0..<tags.count).map { "\(today.compact)-\(walked.count + 1 + $0)" },
            "\(when): the tags go on from \(last ?? "the start") without a gap")
        let repeated = keys.count - keys.reduce(into: 0) { n, key in n += downloadedKeys.insert(key).inserted ? 1 : 0 }
        XCTAssertEqual(repeated, 0, "\(when): keys downloaded twice")
        walked += tags
        var acknowledged = 0
        var lostPresent = 0
        for up in uploads[checkedUploads...] {
            let found = up.keys.filter { downloadedKeys.contains($0.keyData) }.count
            if up.status == 201 {
                acknowledged += 1
                XCTAssertEqual(found, up.keys.count, "\(when): upload \(up.tag) was answered 201")
            } else {
                XCTAssert(found == 0 || found == up.keys.count, "\(when): upload \(up.tag) partly there: \(found)")
                if found > 0 { lostPresent += 1 }
            }
        }
        checkedUploads = uploads.count
        print(
            "\(when): \(acknowledged) acknowledged uploads all downloaded; \(lostPresent) uploads whose answer was "
                + "lost are stored whole, the others not at all; \(tags.count) new batches, \(walked.count) in all")
    }

    // MARK: - Helpers

    /// `count` uploads of 20–80 keys (DE and PL in turn) through a `serve` stopped cleanly afterwards.
    func uploadSome(cycle: String, count n: Int) async throws {
        let serve = try ServeProcess(config: fed.configPath, in: fed.dir)
        defer { serve.stop() }
        let base = "http://127.0.0.1:\(serve.port)"
        var done: [Upload] = []
        for c in ["DE", "PL"] {
            let gateway = try client(c, base)
            for i in 0..<(n / 2) {
                var up = Upload(
                    country: c, tag: "\(cycle)-\(c)-\(i)", keys: freshKeys(Int.random(in: 20...80), origin: c),
                    status: nil)
                up.status = try await gateway.upload(keys: up.keys, batchTag: up.tag, signer: signers[c]!).status
                XCTAssertEqual(up.status, 201)
                done.append(up)
            }
            try await gateway.shutdown()
        }
        record(done)
    }

    func setDocLimit(_ n: Int) throws {
        fed.settings["batching.docLimit"] = String(n)
        try fed.writeConfig()
    }

    /// How long `efgs batch` takes with nothing to batch (start-up, configuration, database, lock): the kills aim
    /// at the moments after it, when a command does its work.
    func startupSeconds() throws -> Double {
        let start = Date()
        let r = try EFGS.run(["batch", "--config", fed.configPath], in: fed.dir)
        guard r.status == 0 else { throw HarnessError("efgs batch: \(r.output)") }
        return Date().timeIntervalSince(start)
    }

    /// Starts `efgs ARGS`, kills it with `SIGKILL` after a random time in `range` (seconds); returns that time.
    func killCommand(_ args: [String], after range: ClosedRange<Double>) throws -> Double {
        let p = Process()
        p.executableURL = EFGS.binary
        p.arguments = args + ["--config", fed.configPath]
        p.currentDirectoryURL = fed.dir
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        let delay = Double.random(in: range)
        try p.run()
        Thread.sleep(forTimeInterval: delay)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        return (delay * 1000).rounded() / 1000
    }

    /// Runs `efgs ARGS` (each time after `efgs FIRST` when given) until its output satisfies `done` (a killed
    /// holder's locks expire after a few seconds); at most 30 tries.
    func runUntilDone(_ args: [String], after first: [String]? = nil, done: (String) -> Bool) throws {
        var last = ""
        for _ in 0..<30 {
            if let first {
                let cleanup = try EFGS.run(first + ["--config", fed.configPath], in: fed.dir)
                XCTAssertEqual(cleanup.status, 0, cleanup.output)
            }
            let r = try EFGS.run(args + ["--config", fed.configPath], in: fed.dir)
            last = r.output
            if r.status == 0 && done(r.output) { return }
            XCTAssertFalse(r.output.contains("rror") && !r.output.contains("lock"), "\(args): \(r.output)")
            Thread.sleep(forTimeInterval: 1)
        }
        throw HarnessError("\(args) never completed: \(last)")
    }

    private func record(_ done: [Upload]) {
        lock.lock()
        uploads += done
        lock.unlock()
    }

    private func count(_ scenario: String) {
        lock.lock()
        midWork[scenario, default: 0] += 1
        lock.unlock()
    }
}
