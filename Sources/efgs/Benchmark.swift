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
/// (c) downloads one full batch repeatedly and reports requests/s; (d) times the batching run over all keys.
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
    @Option(
        help:
            "PostgreSQL database to measure instead of SQLite (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE); needs --reset-database."
    )
    var databaseURL: String?
    @Flag(
        help: "Allow the benchmark to drop every table of --database-url's public schema (a throw-away database only).")
    var resetDatabase = false

    func validate() throws {
        guard (1...200).contains(batches), (1...16).contains(concurrency), (1...5000).contains(keysPerBatch),
            (1...100_000).contains(downloads), seconds > 0, seconds <= 600
        else {
            throw ValidationError(
                "--batches 1…200, --concurrency 1…16, --keys-per-batch 1…5000, --downloads 1…100000, --seconds 0…600")
        }
        if databaseURL != nil && !resetDatabase {
            throw ValidationError("--database-url: the benchmark empties that database; confirm with --reset-database")
        }
    }

    func run() async throws {
        let fm = FileManager.default
        try? fm.removeItem(atPath: workDir)
        try fm.createDirectory(atPath: workDir, withIntermediateDirectories: true)
        let dir = URL(fileURLWithPath: workDir).standardizedFileURL.path

        // PKI and configuration: trust anchor, DE uploads (RSA-3072 signer, the common case A-RSA), FR downloads
        let ta = try CertificateFactory.selfSigned(country: nil, commonName: "Bench TA", key: .p256)
        try ta.certificatePEM.write(toFile: dir + "/ta.pem", atomically: true, encoding: .utf8)
        let storageKey = Base64.encodeString((0..<32).map { _ in UInt8.random(in: 0...255) })
        let postgres = databaseURL != nil
        if let databaseURL {
            let store = try await SQLGatewayStore.open(url: databaseURL, logger: Logger(label: "bench"))
            try await store.resetSchema()
            try await store.close()
        }
        try """
        server: {host: 127.0.0.1, port: 0}
        trustAnchor: {certificatePath: \(dir)/ta.pem}
        database: {url: "\(databaseURL ?? "sqlite:\(dir)/efgs.sqlite")"}
        storage: {keys: ["b1:\(storageKey)"], activeKeyId: b1}
        batching: {interval: 86400, docLimit: 5000}
        logging: {level: ERROR}

        """.write(toFile: dir + "/efgs.yaml", atomically: true, encoding: .utf8)
        let runtime = try await GatewayRuntime.open(ConfigOption.parse(["--config", dir + "/efgs.yaml"]))
        let gw = runtime.services
        let operatorSigner = try OperatorSigner(pem: ta.privateKeyPEM)
        var auth: [String: CertificateFactory.Issued] = [:]
        var signing: CertificateFactory.Issued?
        for c in ["DE", "FR"] {
            let a = try CertificateFactory.selfSigned(country: c, commonName: "auth-\(c)", key: .p256)
            auth[c] = a
            var rows = [(a, CertificateType.authentication)]
            if c == "DE" {
                let s = try CertificateFactory.selfSigned(country: c, commonName: "sign-\(c)", key: .rsa3072)
                signing = s
                rows.append((s, .signing))
            }
            for (issued, type) in rows {
                _ = try await runtime.services.store.insertCertificate(
                    CertificateRow(
                        createdAt: UTCTimestamp.millis(Date()), thumbprint: issued.thumbprint, country: c, type: type,
                        pem: issued.certificatePEM, operatorSignature: try operatorSigner.sign(issued.certificatePEM)))
            }
        }

        // prepared outside every timed section: distinct keys, protobuf bodies, CMS signatures
        print("preparing \(batches) signed batches of \(keysPerBatch) keys …")
        let signer = try BatchSigner(certificate: signing!.certificate, privateKey: signing!.privateKey)
        var prepared: [(tag: String, body: [UInt8], signature: String, keys: [DiagnosisKey])] = []
        for i in 0..<batches {
            let keys = Demo.randomKeys(count: keysPerBatch, origin: "DE")
            var b = DiagnosisKeyBatch()
            b.keys = keys
            prepared.append(("bench-\(i)", b.protobufBytes(), try signer.sign(keys: keys), keys))
        }

        let portBox = PortBox()
        var logger = Logger(label: "efgs.benchmark")
        logger.logLevel = .critical
        let app = try GatewayServer.application(api: GatewayAPI(services: gw), services: [], logger: logger) { port in
            await portBox.set(port)
        }
        let serverTask = Task { try await app.runService() }
        let base = "http://127.0.0.1:\(await portBox.wait())"
        let de = try GatewayClient(
            baseURL: base, identity: .proxyHeaders(thumbprint: auth["DE"]!.thumbprint, dn: "C=DE"))
        let fr = try GatewayClient(
            baseURL: base, identity: .proxyHeaders(thumbprint: auth["FR"]!.thumbprint, dn: "C=FR"))

        // (a) HTTP ingest
        let totalKeys = batches * keysPerBatch
        let uploads = prepared.map { ($0.tag, $0.body, $0.signature) }
        let lanes = concurrency
        let startA = DispatchTime.now()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<lanes {
                group.addTask {
                    for (tag, body, signature) in uploads.enumerated().filter({ $0.offset % lanes == lane }).map(
                        \.element)
                    {
                        let r = try await de.send(
                            method: .POST, path: "/diagnosiskeys/upload",
                            headers: [
                                ("Content-Type", WireFormat.protobuf.requestContentType()), ("batchTag", tag),
                                ("batchSignature", signature),
                            ], body: body)
                        guard r.status == 201 else {
                            throw ValidationError("upload \(tag) answered \(r.status) \(r.text)")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let secondsA = Self.elapsed(since: startA)

        // (d) batching: every upload batch into download batches
        let startD = DispatchTime.now()
        let created = try await gw.batching.run()
        let secondsD = Self.elapsed(since: startD)

        // (c) download one full batch repeatedly
        let today = UTCDay(Date()).description
        let first = created.first!
        var requests = 0
        let startC = DispatchTime.now()
        while requests < downloads && Self.elapsed(since: startC) < seconds {
            let r = try await fr.send(
                method: .GET, path: "/diagnosiskeys/download/\(today)",
                headers: [
                    ("Accept", WireFormat.protobuf.acceptHeader()), ("batchTag", first.tag),
                ])
            guard r.status == 200, r.header("batchTag") == first.tag else {
                throw ValidationError("download answered \(r.status)")
            }
            requests += 1
        }
        let secondsC = Self.elapsed(since: startC)

        try await de.shutdown()
        try await fr.shutdown()
        serverTask.cancel()
        _ = try? await serverTask.value
        try await runtime.close()

        // (b) the raw baseline of the same rows
        let rows = try prepared.map { p in try gw.upload.sealedKeys(p.keys, records: gw.upload.canonicalRecords(p.keys))
        }
        let secondsB: Double
        var stages: [(name: String, seconds: Double)] = []
        if let databaseURL {
            secondsB = try await RawPostgresCopy.run(
                url: databaseURL, uploads: prepared.map { ($0.tag, $0.signature) }, rows: rows)
        } else {
            let baselinePath = dir + "/baseline.sqlite"
            let baselineStore = try await SQLGatewayStore.open(
                url: "sqlite:" + baselinePath, logger: Logger(label: "bench"))
            try await baselineStore.migrate()
            try await baselineStore.close()
            secondsB = try RawSQLiteInsert.run(
                path: baselinePath, uploads: prepared.map { ($0.tag, $0.signature) }, rows: rows)
            // where (a)'s time goes: each step of the upload pipeline, on the same batches, without HTTP
            stages = try await Self.uploadStages(
                prepared.map { ($0.tag, $0.body, $0.signature) }, gateway: gw, dir: dir)
        }

        let a = Double(totalKeys) / secondsA
        let b = Double(totalKeys) / secondsB
        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        print(
            """
            efgs benchmark (\(build) build, \(ProcessInfo.processInfo.activeProcessorCount) cores, \(postgres ? "PostgreSQL" : "SQLite WAL"))
            (a) HTTP ingest, \(concurrency) uploader(s): \(batches) × \(keysPerBatch) keys in \(Self.fmt(secondsA)) s → \(Self.fmt(a, 0)) keys/s \
            (\(Self.fmt(secondsA * 1000 / Double(batches), 1)) ms per batch)
            (b) \(postgres ? "raw COPY into the same tables" : "raw prepared insert"), one transaction: \(totalKeys) rows in \(Self.fmt(secondsB)) s → \(Self.fmt(b, 0)) keys/s
                ratio a/b = \(Self.fmt(a / b, 3)) (target ≥ 0.5)\(stages.isEmpty ? "" : "\n    per batch: " + stages.map { "\($0.name) \(Self.fmt($0.seconds * 1000 / Double(batches), 1)) ms" }.joined(separator: ", "))
            (c) download of one \(first.keyCount)-key batch: \(requests) requests in \(Self.fmt(secondsC)) s → \(Self.fmt(Double(requests) / secondsC, 1)) requests/s \
            (\(Self.fmt(Double(requests * first.keyCount) / secondsC, 0)) keys/s)
            (d) batching: \(totalKeys) keys into \(created.count) download batches in \(Self.fmt(secondsD)) s → \(Self.fmt(Double(totalKeys) / secondsD, 0)) keys/s
            """)
    }

    /// Times the steps of the upload path (§5.3 checks 10–18) over the prepared batches, storing into a fresh
    /// SQLite store with the gateway's schema.
    static func uploadStages(
        _ batches: [(tag: String, body: [UInt8], signature: String)], gateway gw: GatewayServices,
        dir: String
    ) async throws -> [(name: String, seconds: Double)] {
        let store = try await SQLGatewayStore.open(url: "sqlite:\(dir)/stages.sqlite", logger: Logger(label: "bench"))
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
