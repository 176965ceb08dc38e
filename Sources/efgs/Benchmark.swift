// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSClient
import EFGSCrypto
import EFGSGateway
import EFGSProtocol
import EFGSStore
import Foundation
import Logging
import NIOHTTP1
import PostgresNIO
import ServiceLifecycle
import VaporCSQLite

/// `efgs benchmark`: ingest and download figures on this machine, each with its baseline measured in the same run.
///
/// (a) uploads N distinct signed batches through the real HTTP path (AsyncHTTPClient → loopback → Hummingbird →
/// authentication, parsing, validation, CMS verification, encryption → the store) and reports keys/s;
/// (b) the baseline: the same rows (same columns, same MACs and sealed payloads) written raw in one transaction —
/// SQLite: into the same schema with one prepared statement through the SQLite C API; PostgreSQL
/// (`--database-url`): into the same tables, emptied first, with `COPY … FROM STDIN` — and a/b;
/// (c) downloads one full batch repeatedly and reports requests/s; (d) times the batching run over all keys;
/// (e), with `--http-load`: `wrk` against the gateway's download (protobuf, JSON), an authenticated 404 and an
/// unauthenticated 405, and against nginx serving the same download bytes (protobuf and JSON), with the ratios
/// (``HTTPLoad``).
struct Benchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Measure ingest (HTTP vs raw prepared SQLite insert) and download throughput; prints figures and ratios.")
    @Option(help: "Upload batches to send in (a).") var batches: Int = 10
    @Option(help: "Concurrent uploaders in (a) (national backends uploading at the same time).") var concurrency: Int =
        1
    @Option(help: "Keys per upload batch.") var keysPerBatch: Int = 5000
    @Option(help: "Maximum download requests in (c).") var downloads: Int = 500
    @Option(help: "Maximum seconds for (c).") var seconds: Double = 20
    @Option(help: "Working folder (recreated).") var workDir: String = "bench-work"
    @Flag(help: "Also run (e): wrk against the gateway and nginx serving the same bytes (needs wrk and nginx).")
    var httpLoad = false
    @Option(help: "Seconds of each wrk run in (e).") var loadSeconds: Int = 10
    @Option(help: "Connections of each wrk run in (e).") var loadConnections: Int = 8
    @Option(help: "The gateway's download.cacheMegabytes (0: every download decrypts and encodes its batch).")
    var downloadCacheMegabytes: Int = 256
    @OptionGroup var database: BenchmarkDatabase

    func validate() throws {
        guard (1...200).contains(batches), (1...16).contains(concurrency), (1...5000).contains(keysPerBatch),
            (1...100_000).contains(downloads), seconds > 0, seconds <= 600, (1...600).contains(loadSeconds),
            (1...1000).contains(loadConnections), (0...65_536).contains(downloadCacheMegabytes)
        else {
            throw ValidationError(
                "--batches 1…200, --concurrency 1…16, --keys-per-batch 1…5000, --downloads 1…100000, --seconds 0…600, "
                    + "--load-seconds 1…600, --load-connections 1…1000, --download-cache-megabytes 0…65536")
        }
        if httpLoad {
            _ = try HTTPLoad.executable("wrk")
            _ = try HTTPLoad.executable("nginx")
        }
    }

    /// A prepared upload: distinct keys, the protobuf body and its CMS signature (made outside every timed section).
    struct PreparedBatch {
        var tag: String
        var body: [UInt8]
        var signature: String
        var keys: [DiagnosisKey]
    }

    /// The figures of one run.
    struct Figures {
        var secondsA = 0.0
        var secondsB = 0.0
        /// (b′): the raw baseline with a durable commit per ``durableBaselineBatchesPerCommit`` batches.
        var secondsDurableB = 0.0
        var secondsC = 0.0
        var secondsD = 0.0
        var requests = 0
        var created: [DownloadBatchRecord] = []
        var stages: [(name: String, seconds: Double)] = []
        /// (a)'s uploads and the commits that stored them, where uploads share commits (SQLite).
        var sharedCommits: SharedCommits?
        /// (e): nginx (protobuf bytes), protobuf, nginx (JSON bytes), JSON, authenticated 404, unauthenticated 405.
        var load: [HTTPLoad.Result] = []
    }

    func run() async throws {
        let dir = try WorkFolder.prepare(workDir, for: "benchmark")
        try await database.reset()
        // trust anchor, DE uploads (RSA-3072 signer, the common case A-RSA), FR downloads
        let ta = try CertificateFactory.selfSigned(country: nil, commonName: "Bench TA", key: .p256)
        try writeConfiguration(dir: dir, trustAnchor: ta)
        let runtime = try await GatewayRuntime.open(ConfigOption.parse(["--config", dir + "/efgs.yaml"]))
        let services = runtime.services
        let (auth, signing) = try await Self.register(services, trustAnchor: ta)

        print("preparing \(batches) signed batches of \(keysPerBatch) keys …")
        let signer = try BatchSigner(certificate: signing.certificate, privateKey: signing.privateKey)
        let prepared = try (0..<batches).map { i in
            let keys = Demo.randomKeys(count: keysPerBatch, origin: "DE")
            return PreparedBatch(
                tag: "bench-\(i)", body: WireFormat.protobuf.encodeKeys(keys), signature: try signer.sign(keys: keys),
                keys: keys)
        }
        var figures = try await measureThroughHTTP(services, auth: auth, prepared: prepared)
        try await runtime.close()
        try await measureBaseline(services, dir: dir, prepared: prepared, into: &figures)
        report(figures)
    }

    func writeConfiguration(dir: String, trustAnchor: CertificateFactory.Issued) throws {
        try trustAnchor.certificatePEM.write(toFile: dir + "/ta.pem", atomically: true, encoding: .utf8)
        let storageKey = Base64.encodeString((0..<32).map { _ in UInt8.random(in: 0...255) })
        try """
        server: {host: 127.0.0.1, port: 0}
        trustAnchor: {certificatePath: \(dir)/ta.pem}
        database: {url: "\(database.url(in: dir))"}
        storage: {keys: ["b1:\(storageKey)"], activeKeyId: b1}
        batching: {interval: 86400, docLimit: 5000}
        download: {cacheMegabytes: \(downloadCacheMegabytes)}
        logging: {level: ERROR}

        """.write(toFile: dir + "/efgs.yaml", atomically: true, encoding: .utf8)
    }

    /// DE's and FR's AUTHENTICATION rows and DE's SIGNING row (RSA-3072).
    static func register(
        _ services: GatewayServices, trustAnchor: CertificateFactory.Issued
    ) async throws -> (auth: [String: CertificateFactory.Issued], signing: CertificateFactory.Issued) {
        let operatorSigner = try OperatorSigner(pem: trustAnchor.privateKeyPEM)
        let auth = try ["DE", "FR"].reduce(into: [String: CertificateFactory.Issued]()) { issued, country in
            issued[country] = try CertificateFactory.selfSigned(
                country: country, commonName: "auth-\(country)", key: .p256)
        }
        let signing = try CertificateFactory.selfSigned(country: "DE", commonName: "sign-DE", key: .rsa3072)
        let rows =
            [(auth["DE"]!, "DE", CertificateType.authentication), (auth["FR"]!, "FR", .authentication)]
            + [(signing, "DE", .signing)]
        for (issued, country, type) in rows {
            _ = try await services.store.insertCertificate(
                CertificateRow(
                    createdAt: UTCTimestamp.millis(Date()), thumbprint: issued.thumbprint, country: country,
                    type: type, pem: issued.certificatePEM,
                    operatorSignature: try operatorSigner.sign(issued.certificatePEM)))
        }
        return (auth, signing)
    }

    /// (a) ingest over HTTP, (d) batching, (c) repeated downloads, with the gateway on a loopback port.
    func measureThroughHTTP(
        _ services: GatewayServices, auth: [String: CertificateFactory.Issued], prepared: [PreparedBatch]
    ) async throws -> Figures {
        let portBox = PortBox()
        var logger = Logger(label: "efgs.benchmark")
        logger.logLevel = .critical
        let app = try GatewayServer.application(api: GatewayAPI(services: services), services: [], logger: logger) {
            await portBox.set($0)
        }
        let server = InProcessServer(app, logger: logger)
        let base = "http://127.0.0.1:\(await portBox.wait())"
        let de = try GatewayClient(
            baseURL: base, identity: .proxyHeaders(thumbprint: auth["DE"]!.thumbprint, dn: "C=DE"))
        let fr = try GatewayClient(
            baseURL: base, identity: .proxyHeaders(thumbprint: auth["FR"]!.thumbprint, dn: "C=FR"))
        var figures = Figures()
        do {
            let committedBefore = services.store.sharedCommits
            figures.secondsA = try await ingest(prepared, client: de)
            if let before = committedBefore, let after = services.store.sharedCommits {
                figures.sharedCommits = SharedCommits(
                    transactions: after.transactions - before.transactions, commits: after.commits - before.commits)
            }
            let startD = DispatchTime.now()
            figures.created = try await services.batching.run()
            figures.secondsD = Self.elapsed(since: startD)
            (figures.requests, figures.secondsC) = try await downloadRepeatedly(figures.created[0], client: fr)
            if httpLoad {
                figures.load = try await loadFigures(
                    base: base, batch: figures.created[0], thumbprint: auth["FR"]!.thumbprint, client: fr,
                    settings: services.config.auth, store: services.store)
            }
        } catch {
            try? await de.shutdown()
            try? await fr.shutdown()
            await server.stop()
            throw error
        }
        try await de.shutdown()
        try await fr.shutdown()
        await server.stop()
        return figures
    }

    /// (a): every prepared batch uploaded from `concurrency` lanes; returns the seconds taken.
    func ingest(_ prepared: [PreparedBatch], client: GatewayClient) async throws -> Double {
        let uploads = prepared.map { ($0.tag, $0.body, $0.signature) }
        let lanes = concurrency
        let start = DispatchTime.now()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<lanes {
                group.addTask {
                    for (offset, (tag, body, signature)) in uploads.enumerated() where offset % lanes == lane {
                        let r = try await client.upload(
                            body: body, format: .protobuf, batchTag: tag, batchSignature: signature)
                        guard r.status == 201 else {
                            throw ValidationError("upload \(tag) answered \(r.status) \(r.text)")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        return Self.elapsed(since: start)
    }

    /// (c): one full batch downloaded until `--downloads` or `--seconds`; returns requests and seconds.
    func downloadRepeatedly(_ batch: DownloadBatchRecord, client: GatewayClient) async throws -> (Int, Double) {
        let today = UTCDay(Date()).description
        var requests = 0
        let start = DispatchTime.now()
        while requests < downloads && Self.elapsed(since: start) < seconds {
            // raw request: the client does not parse the body, so (c) times the gateway
            let r = try await client.send(
                method: .GET, path: "/diagnosiskeys/download/\(today)",
                headers: [("Accept", WireFormat.protobuf.acceptHeader()), ("batchTag", batch.tag)])
            guard r.status == 200, r.header("batchTag") == batch.tag else {
                throw ValidationError("download answered \(r.status)")
            }
            requests += 1
        }
        return (requests, Self.elapsed(since: start))
    }

    /// (e): wrk against nginx serving the bytes of FR's protobuf download, the gateway's protobuf download, nginx
    /// serving the bytes of FR's JSON download (about five times as many: per request, the JSON download cannot be as
    /// fast as the protobuf one, and nginx shows how much of the difference the bytes alone make), the gateway's JSON
    /// download, an authenticated 404 (tomorrow) and an unauthenticated 405; for each gateway run, how busy `store`'s
    /// connections were on average (SQLite: 0 to 2, its writing and its reading connection together).
    func loadFigures(
        base: String, batch: DownloadBatchRecord, thumbprint: String, client: GatewayClient, settings: AuthSettings,
        store: any StoreLifecycle
    ) async throws -> [HTTPLoad.Result] {
        let today = UTCDay(Date()).description
        let tomorrow = UTCDay(Date().addingTimeInterval(86_400)).description
        let identity = [(settings.thumbprintHeader, thumbprint), (settings.dnHeader, "C=FR")]
        let protobuf = [("Accept", WireFormat.protobuf.acceptHeader()), ("batchTag", batch.tag)]
        let json = [("Accept", WireFormat.json.acceptHeader()), ("batchTag", batch.tag)]
        let sample = try await client.send(
            method: .GET, path: "/diagnosiskeys/download/\(today)", headers: protobuf)
        guard sample.status == 200 else { throw ValidationError("download answered \(sample.status)") }
        let jsonSample = try await client.send(
            method: .GET, path: "/diagnosiskeys/download/\(today)", headers: json)
        guard jsonSample.status == 200 else { throw ValidationError("JSON download answered \(jsonSample.status)") }
        print("(e) wrk, \(loadConnections) connections, \(loadSeconds) s each …")
        let nginx = try HTTPLoad.Nginx(serving: sample.body)
        defer { nginx.stop() }
        let nginxJSON = try HTTPLoad.Nginx(serving: jsonSample.body)
        defer { nginxJSON.stop() }
        let runs: [(String, String, [(String, String)])] = [
            ("nginx, the same \(sample.body.count) bytes as a static file", nginx.url, []),
            ("gateway download, protobuf", base + "/diagnosiskeys/download/\(today)", identity + protobuf),
            ("nginx, the JSON download's \(jsonSample.body.count) bytes as a static file", nginxJSON.url, []),
            ("gateway download, JSON", base + "/diagnosiskeys/download/\(today)", identity + json),
            (
                "gateway authenticated 404 (tomorrow)", base + "/diagnosiskeys/download/\(tomorrow)",
                identity + [("Accept", WireFormat.protobuf.acceptHeader())]
            ),
            ("gateway unauthenticated 405 (GET /diagnosiskeys/upload)", base + "/diagnosiskeys/upload", []),
        ]
        var results: [HTTPLoad.Result] = []
        for (name, url, headers) in runs {
            let busyBefore = store.connectionBusyTime
            var result = try await HTTPLoad.wrk(
                name, url: url, headers: headers, seconds: loadSeconds, connections: loadConnections)
            if url != nginx.url && url != nginxJSON.url {
                let busy = (store.connectionBusyTime - busyBefore).components
                result.databaseBusy = (Double(busy.seconds) + Double(busy.attoseconds) / 1e18) / result.seconds
            }
            results.append(result)
        }
        return results
    }

    /// (b): the same rows written raw; then where (a)'s time goes, step by step, without HTTP (``uploadStages``): on
    /// SQLite into a file of its own, on PostgreSQL into the same database, emptied again after (b).
    func measureBaseline(
        _ services: GatewayServices, dir: String, prepared: [PreparedBatch], into figures: inout Figures
    ) async throws {
        let rows = try prepared.map {
            try services.upload.sealedKeys($0.keys, records: services.upload.canonicalRecords($0.keys))
        }
        let uploads = prepared.map { ($0.tag, $0.signature) }
        let stages = prepared.map { ($0.tag, $0.body, $0.signature) }
        let perCommit = durableBaselineBatchesPerCommit
        if let databaseURL = database.databaseURL {
            figures.secondsB = try await RawPostgresCopy.run(url: databaseURL, uploads: uploads, rows: rows)
            figures.secondsDurableB = try await RawPostgresCopy.run(
                url: databaseURL, uploads: uploads, rows: rows, batchesPerCommit: perCommit)
            try await database.reset()
            figures.stages = try await Self.uploadStages(stages, gateway: services, storeURL: databaseURL)
            return
        }
        func emptyStore(_ name: String) async throws -> String {
            let path = dir + "/" + name
            let store = try await SQLGatewayStore.open(url: "sqlite:" + path, logger: Logger(label: "bench"))
            try await store.migrate()
            try await store.close()
            return path
        }
        figures.secondsB = try RawSQLiteInsert.run(
            path: try await emptyStore("baseline.sqlite"), uploads: uploads, rows: rows)
        figures.secondsDurableB = try RawSQLiteInsert.run(
            path: try await emptyStore("baseline-durable.sqlite"), uploads: uploads, rows: rows,
            batchesPerCommit: perCommit)
        figures.stages = try await Self.uploadStages(stages, gateway: services, storeURL: "sqlite:\(dir)/stages.sqlite")
    }

    /// (b′)'s batches per commit: as many as (a)'s uploaders could share a commit — on SQLite up to
    /// ``SQLiteBackend/maximumUploadsPerCommit`` concurrent uploads share one; on PostgreSQL each commits alone.
    var durableBaselineBatchesPerCommit: Int {
        database.databaseURL != nil ? 1 : min(concurrency, SQLiteBackend.maximumUploadsPerCommit)
    }

    func report(_ f: Figures) {
        let totalKeys = batches * keysPerBatch
        let a = Double(totalKeys) / f.secondsA
        let b = Double(totalKeys) / f.secondsB
        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        let store = database.storeName
        let baseline = database.databaseURL != nil ? "raw COPY into the same tables" : "raw prepared insert"
        let perBatch = f.stages.map { "\($0.name) \(Self.fmt($0.seconds * 1000 / Double(batches), 1)) ms" }
        let first = f.created[0]
        print("efgs benchmark (\(build) build, \(ProcessInfo.processInfo.activeProcessorCount) cores, \(store))")
        print(
            "(a) HTTP ingest, \(concurrency) uploader(s): \(batches) × \(keysPerBatch) keys in "
                + "\(Self.fmt(f.secondsA)) s → \(Self.fmt(a, 0)) keys/s "
                + "(\(Self.fmt(f.secondsA * 1000 / Double(batches), 1)) ms per batch)")
        print(
            "(b) \(baseline), one transaction: \(totalKeys) rows in \(Self.fmt(f.secondsB)) s → "
                + "\(Self.fmt(b, 0)) keys/s")
        // issue 14's aims: SQLite 0.5 with one uploader and 0.7 with four, PostgreSQL 0.8 with one
        let aim = database.databaseURL != nil ? "0.8" : concurrency >= 4 ? "0.7" : "0.5"
        let durableB = Double(totalKeys) / f.secondsDurableB
        let perCommit = durableBaselineBatchesPerCommit
        print(
            "(b′) the same, a durable commit per \(perCommit) batch\(perCommit == 1 ? "" : "es"): "
                + "\(totalKeys) rows in \(Self.fmt(f.secondsDurableB)) s → \(Self.fmt(durableB, 0)) keys/s "
                + "(b′/b = \(Self.fmt(durableB / b, 3)))")
        print(
            "    ratio a/b = \(Self.fmt(a / b, 3)) (target ≥ \(aim)); a/b′ = \(Self.fmt(a / durableB, 3)) "
                + "(against the raw insert with (a)'s commits)")
        if !perBatch.isEmpty { print("    per batch: " + perBatch.joined(separator: ", ")) }
        if let shared = f.sharedCommits {
            print(
                "    \(shared.transactions) upload transactions in \(shared.commits) commits "
                    + "(\(Self.fmt(shared.transactionsPerCommit, 2)) per commit)")
        }
        print(
            "(c) download of one \(first.keyCount)-key batch: \(f.requests) requests in \(Self.fmt(f.secondsC)) s → "
                + "\(Self.fmt(Double(f.requests) / f.secondsC, 1)) requests/s "
                + "(\(Self.fmt(Double(f.requests * first.keyCount) / f.secondsC, 0)) keys/s)")
        print(
            "(d) batching: \(totalKeys) keys into \(f.created.count) download batches in \(Self.fmt(f.secondsD)) s → "
                + "\(Self.fmt(Double(totalKeys) / f.secondsD, 0)) keys/s")
        if f.load.count == 6 {
            let (nginx, protobuf, nginxJSON, json) = (f.load[0], f.load[1], f.load[2], f.load[3])
            let (notFound, notAllowed) = (f.load[4], f.load[5])
            print(
                "(e) HTTP load, wrk -t 2 -c \(loadConnections) -d \(loadSeconds)s, download.cacheMegabytes "
                    + "\(downloadCacheMegabytes), in this order:")
            for result in f.load { print("    " + result.line) }
            print(
                "    download protobuf / nginx = \(Self.fmt(protobuf.requestsPerSecond / nginx.requestsPerSecond, 3)) "
                    + "(target ≥ 0.25), download p99 \(Self.fmt(protobuf.p99Milliseconds, 2)) ms (target < 20)")
            print(
                "    download JSON / protobuf = \(Self.fmt(json.requestsPerSecond / protobuf.requestsPerSecond, 3)) "
                    + "(target ≥ 0.5); the same bytes from nginx: JSON / protobuf = "
                    + "\(Self.fmt(nginxJSON.requestsPerSecond / nginx.requestsPerSecond, 3)), download JSON / nginx = "
                    + "\(Self.fmt(json.requestsPerSecond / nginxJSON.requestsPerSecond, 3))")
            print(
                "    authenticated 404 / unauthenticated 405 = "
                    + "\(Self.fmt(notFound.requestsPerSecond / notAllowed.requestsPerSecond, 3)) (target ≥ 0.5)")
        }
    }

    /// Times the steps of the upload path (§5.3 checks 10–18) over the prepared batches, one after the other,
    /// storing into the empty store at `storeURL` (a fresh SQLite file, or the PostgreSQL database emptied after (b))
    /// with the gateway's schema.
    static func uploadStages(
        _ batches: [(tag: String, body: [UInt8], signature: String)], gateway gw: GatewayServices,
        storeURL: String
    ) async throws -> [(name: String, seconds: Double)] {
        let store = try await SQLGatewayStore.open(url: storeURL, logger: Logger(label: "bench"))
        try await store.migrate()
        var t: [String: Double] = [:]
        func time<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
            let start = DispatchTime.now()
            defer { t[name, default: 0] += elapsed(since: start) }
            return try body()
        }
        for b in batches {
            let keys = try time("parse") { try WireFormat.protobuf.decodeKeys(b.body) }
            let upload = UploadService.Upload(
                batchTag: b.tag, batchSignature: b.signature, format: .protobuf, keys: keys)
            try time("validate") { try gw.upload.validate(upload) }
            let records = time("records") { gw.upload.canonicalRecords(keys) }
            let stream = time("sort") { BatchStream.bytes(ofRecords: records) }
            _ = try time("verify") {
                try BatchSignatureVerifier(allowLegacySha1: false).verify(
                    batchSignature: b.signature, stream: stream, now: Date())
            }
            let stored = try time("mac+seal") { try gw.upload.sealedKeys(keys, records: records) }
            let record = UploadBatchRecord(
                country: "DE", uploadTag: b.tag, acceptedAt: UTCTimestamp.millis(Date()), keyCount: keys.count,
                format: .protobuf, batchSignature: b.signature, authThumbprint: "", authPEM: "",
                authOperatorSignature: "", signerThumbprint: "", signerPEM: "", signerOperatorSignature: "")
            let start = DispatchTime.now()
            guard case .stored = try await store.storeUpload(record, keys: stored) else {
                throw ValidationError("stage store failed")
            }
            t["store", default: 0] += elapsed(since: start)
        }
        try await store.close()
        return ["parse", "validate", "records", "sort", "verify", "mac+seal", "store"].map { ($0, t[$0] ?? 0) }
    }

    static func elapsed(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    static func fmt(_ v: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", v) }
}
