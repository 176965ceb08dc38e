// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSClient
import EFGSCrypto
import EFGSGateway
import EFGSProtocol
import EFGSStore
import Foundation
import Logging

/// `efgs benchmark-scale`: whether the gateway stays flat as its store grows (issue 14, part 4).
///
/// A real `efgs serve` (a child process of this binary, mode-a headers on loopback, download cache off so that every
/// download reads the store) on a fresh SQLite file or an emptied PostgreSQL database. At each level (by default 10
/// thousand, 1 million and 10 million stored keys) the store is first filled the fast way (``ScaleFill``: generated
/// keys sealed by the gateway's cipher, written raw and marked as fill); then DE uploads `--uploads` signed batches
/// of `--keys-per-batch` keys through HTTP one after the other (ingest: milliseconds per upload), the gateway
/// batches each on its own (early trigger), and FR downloads the first new batch `--downloads` times (p50/p99). Each
/// level's figures are printed with their ratio to the first level's (aim: within 1.5×).
///
/// Then the gateway is restarted: its first key-retention run (at start) deletes the fill (accepted
/// ``fillAgeDays`` days ago, past the legal limit) while its resident memory is sampled every 100 ms. The peak is
/// compared with the idle size of the first gateway (aim: less than 2×), measured twice: after start-up on the
/// empty store, and after the last level (warm, on the full store).
struct ScaleBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark-scale",
        abstract:
            "Fill the store to 10 thousand, 1 million and 10 million keys; time download and ingest at each, and "
            + "the gateway's memory while key retention deletes the fill.")
    /// How old the fill is: past the legal limit of 14 days, so one retention run deletes it all.
    static let fillAgeDays = 20

    @Option(help: "Stored keys at which to measure: ascending, comma-separated (each 1…50000000).")
    var levels: String = "10000,1000000,10000000"
    @Option(help: "Uploads timed at each level.") var uploads: Int = 20
    @Option(help: "Downloads of one batch timed at each level (download cache off).") var downloads: Int = 200
    @Option(help: "Keys per upload batch and per download batch (batching.docLimit), also of the fill.")
    var keysPerBatch: Int = 5000
    @Option(help: "Working folder (recreated).") var workDir: String = "bench-scale-work"
    @OptionGroup var database: BenchmarkDatabase
    @Flag(help: "Skip the retention run and its memory figures.") var noRetention = false
    @Option(help: "Maximum seconds for the retention run.") var retentionSeconds: Double = 3600

    var storedKeyLevels: [Int] {
        levels.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    func validate() throws {
        let parsed = storedKeyLevels
        guard !parsed.isEmpty, parsed.count == levels.split(separator: ",").count,
            parsed.allSatisfy({ (1...50_000_000).contains($0) }), parsed == parsed.sorted(),
            Set(parsed).count == parsed.count
        else { throw ValidationError("--levels: ascending stored-key counts, comma-separated, each 1…50000000") }
        guard (1...200).contains(uploads), (1...100_000).contains(downloads), (1...5000).contains(keysPerBatch),
            retentionSeconds > 0
        else {
            throw ValidationError(
                "--uploads 1…200, --downloads 1…100000, --keys-per-batch 1…5000, --retention-seconds above 0")
        }
    }

    /// The figures of one level.
    struct Level {
        var storedKeys: Int
        var fillSeconds: Double
        var filledKeys: Int
        /// Milliseconds per upload, sorted.
        var ingest: [Double]
        /// Milliseconds per download, sorted.
        var download: [Double]
    }

    /// The memory figures of the retention run, in bytes.
    struct Retention {
        var idleEmpty: Int
        var idleFull: Int
        var peak: Int
        var after: Int
        var keysBefore: Int
        var keysAfter: Int
        var seconds: Double
    }

    func run() async throws {
        let dir = try WorkFolder.prepare(workDir, for: "benchmark-scale")
        try await database.reset()
        let ta = try CertificateFactory.selfSigned(country: nil, commonName: "Scale TA", key: .p256)
        let port = try LoopbackPort.free()
        try writeConfiguration(dir: dir, trustAnchor: ta, port: port)
        let runtime = try await GatewayRuntime.open(ConfigOption.parse(["--config", dir + "/efgs.yaml"]))
        var clients: [GatewayClient] = []
        var fill: ScaleFill?
        var serve: ServeChild?
        do {
            let (auth, signing) = try await Benchmark.register(runtime.services, trustAnchor: ta)
            let signer = try BatchSigner(certificate: signing.certificate, privateKey: signing.privateKey)
            let base = "http://127.0.0.1:\(port)"
            let de = try GatewayClient(
                baseURL: base, identity: .proxyHeaders(thumbprint: auth["DE"]!.thumbprint, dn: "C=DE"))
            clients.append(de)
            let fr = try GatewayClient(
                baseURL: base, identity: .proxyHeaders(thumbprint: auth["FR"]!.thumbprint, dn: "C=FR"))
            clients.append(fr)
            let filler = try ScaleFill(
                runtime: runtime, databaseURL: database.databaseURL, sqlitePath: dir + "/efgs.sqlite",
                keysPerBatch: keysPerBatch,
                acceptedAt: UTCTimestamp.millis(Date()) - Int64(Self.fillAgeDays) * 86_400_000)
            fill = filler
            let first = try ServeChild.start(config: dir + "/efgs.yaml", port: port, logPath: dir + "/serve.log")
            serve = first
            // warm: one upload, its batch and a few downloads, then the idle size on the empty store
            _ = try await measure(runtime.services, de: de, fr: fr, signer: signer, uploads: 1, downloads: 5)
            let idleEmpty = try await idleSize(first)
            var results: [Level] = []
            for level in storedKeyLevels {
                let stored = try await runtime.services.store.storedKeyCount()
                let start = DispatchTime.now()
                if level > stored {
                    Self.progress("filling the store from \(stored) to \(level) keys …")
                    try await filler.add(level - stored)
                }
                let fillSeconds = Benchmark.elapsed(since: start)
                let storedNow = try await runtime.services.store.storedKeyCount()
                let (ingest, download) = try await measure(
                    runtime.services, de: de, fr: fr, signer: signer, uploads: uploads, downloads: downloads)
                results.append(
                    Level(
                        storedKeys: storedNow, fillSeconds: fillSeconds, filledKeys: max(0, level - stored),
                        ingest: ingest, download: download))
                Self.progress(Self.line(results.last!, first: results[0]))
            }
            let idleFull = try await idleSize(first)
            first.stop()
            serve = nil
            var retention: Retention?
            if !noRetention {
                retention = try await measureRetention(
                    runtime.services, dir: dir, port: port, idleEmpty: idleEmpty, idleFull: idleFull)
            }
            try await filler.close()
            for client in clients { try await client.shutdown() }
            try await runtime.close()
            report(results, retention: retention)
        } catch {
            serve?.stop()
            try? await fill?.close()
            for client in clients { try? await client.shutdown() }
            try? await runtime.close()
            throw error
        }
    }

    func writeConfiguration(dir: String, trustAnchor: CertificateFactory.Issued, port: Int) throws {
        try trustAnchor.certificatePEM.write(toFile: dir + "/ta.pem", atomically: true, encoding: .utf8)
        // no callback is subscribed, but `efgs serve` requires its client identity
        let callback = try CertificateFactory.selfSigned(country: nil, commonName: "Scale callback client", key: .p256)
        try callback.certificatePEM.write(toFile: dir + "/callback.pem", atomically: true, encoding: .utf8)
        try callback.privateKeyPEM.write(toFile: dir + "/callback.key", atomically: true, encoding: .utf8)
        let storageKey = Base64.encodeString((0..<32).map { _ in UInt8.random(in: 0...255) })
        // the download cache is off: every download reads and decrypts its keys from the store, the part that
        // could grow with the store; retention and batching run only when this benchmark says so
        try """
        # generated by `efgs benchmark-scale`: test only
        server: {host: 127.0.0.1, port: \(port)}
        trustAnchor: {certificatePath: \(dir)/ta.pem}
        database: {url: "\(database.url(in: dir))"}
        storage: {keys: ["s1:\(storageKey)"], activeKeyId: s1}
        upload: {maxKeys: \(keysPerBatch)}
        batching: {interval: 86400, docLimit: \(keysPerBatch)}
        download: {cacheMegabytes: 0}
        retention: {interval: 86400}
        callback: {clientCertificatePath: \(dir)/callback.pem, clientKeyPath: \(dir)/callback.key}
        logging: {level: INFO}

        """.write(toFile: dir + "/efgs.yaml", atomically: true, encoding: .utf8)
    }

    /// DE uploads `uploads` new signed batches one after the other; once the gateway has batched them, FR downloads
    /// the first of them `downloads` times. Returns the sorted milliseconds of each.
    func measure(
        _ services: GatewayServices, de: GatewayClient, fr: GatewayClient, signer: BatchSigner, uploads: Int,
        downloads: Int
    ) async throws -> (ingest: [Double], download: [Double]) {
        let prepared = try (0..<uploads).map { _ in
            let keys = Demo.randomKeys(count: keysPerBatch, origin: "DE")
            return (body: WireFormat.protobuf.encodeKeys(keys), signature: try signer.sign(keys: keys))
        }
        let since = UTCTimestamp.millis(Date())
        var ingest: [Double] = []
        for (i, upload) in prepared.enumerated() {
            let start = DispatchTime.now()
            let r = try await de.upload(
                body: upload.body, format: .protobuf, batchTag: "scale-\(since)-\(i)", batchSignature: upload.signature)
            ingest.append(Benchmark.elapsed(since: start) * 1000)
            guard r.status == 201 else { throw ValidationError("upload answered \(r.status) \(r.text)") }
        }
        // the early trigger (docLimit = keysPerBatch) batches each upload on its own
        var made: [DownloadBatchRecord] = []
        let deadline = Date().addingTimeInterval(300)
        while made.count < uploads {
            guard Date() < deadline else {
                throw ValidationError("the gateway made \(made.count) of \(uploads) download batches in 300 s")
            }
            try await Task.sleep(for: .milliseconds(50))
            made = try await services.store.downloadBatches(
                createdFromMillis: since, toMillis: UTCTimestamp.millis(Date()) + 86_400_000, limit: 10_000)
        }
        let batch = made[0]
        let day = UTCDay(epochMillis: batch.createdAt).description
        var download: [Double] = []
        for _ in 0..<downloads {
            let start = DispatchTime.now()
            let r = try await fr.send(
                method: .GET, path: "/diagnosiskeys/download/\(day)",
                headers: [("Accept", WireFormat.protobuf.acceptHeader()), ("batchTag", batch.tag)])
            download.append(Benchmark.elapsed(since: start) * 1000)
            guard r.status == 200, r.header("batchTag") == batch.tag else {
                throw ValidationError("download of \(batch.tag) answered \(r.status)")
            }
        }
        return (ingest.sorted(), download.sorted())
    }

    /// The gateway's resident memory after two quiet seconds.
    func idleSize(_ serve: ServeChild) async throws -> Int {
        try await Task.sleep(for: .seconds(2))
        guard let memory = serve.residentMemory() else { throw ValidationError("cannot read the gateway's memory") }
        return memory.now
    }

    /// A new gateway on the full store: its first key-retention run (at start) deletes the fill; its resident
    /// memory is sampled every 100 ms until the run's `DB Cleanup finished` event.
    func measureRetention(
        _ services: GatewayServices, dir: String, port: Int, idleEmpty: Int, idleFull: Int
    ) async throws -> Retention {
        let keysBefore = try await services.store.storedKeyCount()
        Self.progress("restarting the gateway: its key retention deletes the fill …")
        let start = DispatchTime.now()
        let serve = try ServeChild.start(
            config: dir + "/efgs.yaml", port: port, logPath: dir + "/serve-retention.log")
        defer { serve.stop() }
        var peak = 0
        while serve.occurrences(of: "DB Cleanup finished") == 0 {
            guard serve.occurrences(of: "Failed to execute DB Cleanup Job") == 0 else {
                throw ValidationError("the gateway's key retention failed (see \(serve.logPath))")
            }
            guard serve.process.isRunning else {
                throw ValidationError("the gateway stopped during retention (see \(serve.logPath))")
            }
            guard Benchmark.elapsed(since: start) < retentionSeconds else {
                throw ValidationError("retention took more than \(Int(retentionSeconds)) s (see \(serve.logPath))")
            }
            if let memory = serve.residentMemory() { peak = max(peak, memory.now, memory.peak) }
            try await Task.sleep(for: .milliseconds(100))
        }
        let seconds = Benchmark.elapsed(since: start)
        guard let memory = serve.residentMemory() else { throw ValidationError("cannot read the gateway's memory") }
        return Retention(
            idleEmpty: idleEmpty, idleFull: idleFull, peak: max(peak, memory.peak), after: memory.now,
            keysBefore: keysBefore, keysAfter: try await services.store.storedKeyCount(), seconds: seconds)
    }

    /// Prints `line` and flushes every output stream: progress shows at once also when stdout is a file.
    static func progress(_ line: String) {
        print(line)
        fflush(nil)
    }

    static func line(_ level: Level, first: Level) -> String {
        let p = LoadReport.percentile
        let fill =
            level.filledKeys > 0
            ? " (filled \(level.filledKeys) in \(Benchmark.fmt(level.fillSeconds, 1)) s)" : ""
        return "\(level.storedKeys) stored keys\(fill): ingest p50 \(Benchmark.fmt(p(level.ingest, 0.5), 1)) ms "
            + "(×\(Benchmark.fmt(p(level.ingest, 0.5) / p(first.ingest, 0.5))) of the first level), "
            + "p99 \(Benchmark.fmt(p(level.ingest, 0.99), 1)) ms; download p50 "
            + "\(Benchmark.fmt(p(level.download, 0.5), 1)) ms "
            + "(×\(Benchmark.fmt(p(level.download, 0.5) / p(first.download, 0.5)))), "
            + "p99 \(Benchmark.fmt(p(level.download, 0.99), 1)) ms "
            + "(×\(Benchmark.fmt(p(level.download, 0.99) / p(first.download, 0.99))))"
    }

    func report(_ levels: [Level], retention: Retention?) {
        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        let p = LoadReport.percentile
        let store = database.storeName
        print(
            "efgs benchmark-scale (\(build) build, \(ProcessInfo.processInfo.activeProcessorCount) cores, \(store), "
                + "efgs serve with the download cache off; \(uploads) uploads and \(downloads) downloads of "
                + "\(keysPerBatch)-key batches per level)")
        for level in levels { print("  " + Self.line(level, first: levels[0])) }
        func spread(_ values: [Double]) -> String {
            Benchmark.fmt((values.max() ?? 0) / max(values.min() ?? 1, 1e-9))
        }
        print(
            "  largest / smallest across levels: ingest p50 ×\(spread(levels.map { p($0.ingest, 0.5) })), "
                + "download p50 ×\(spread(levels.map { p($0.download, 0.5) })), "
                + "download p99 ×\(spread(levels.map { p($0.download, 0.99) })) (aim ≤ 1.5)")
        guard let r = retention else { return }
        let mib = { (bytes: Int) in Benchmark.fmt(Double(bytes) / 1_048_576, 0) + " MiB" }
        print(
            "  retention: \(r.keysBefore - r.keysAfter) keys deleted in \(Benchmark.fmt(r.seconds, 1)) s "
                + "(\(r.keysAfter) left); gateway resident memory: peak \(mib(r.peak)) during the run, "
                + "\(mib(r.after)) after it")
        print(
            "    idle before: \(mib(r.idleEmpty)) on the empty store → peak / idle = "
                + "\(Benchmark.fmt(Double(r.peak) / Double(r.idleEmpty))); \(mib(r.idleFull)) warm on the full store "
                + "→ \(Benchmark.fmt(Double(r.peak) / Double(r.idleFull))) (aim < 2)")
    }
}
