// SPDX-License-Identifier: EUPL-1.2

import EFGSClient
import EFGSCrypto
import EFGSGateway
import EFGSProtocol
import EFGSStore
import Foundation
import Synchronization

/// One `efgs soak`: a federation in `dir`, a real `efgs serve` child process in mutual-TLS mode, the honest traffic
/// measured without and with a ``HostilePeer``.
final class SoakRun: Sendable {
    /// One measured request of an honest country.
    struct Sample: Sendable {
        var endpoint: String
        /// nil: no HTTP answer (connection failed).
        var status: Int?
        var milliseconds: Double
    }

    /// The figures of one phase.
    struct Phase: Sendable, CustomStringConvertible {
        var samples: [Sample]
        var sorted: [Double] { samples.map(\.milliseconds).sorted() }
        func percentile(_ p: Double) -> Double { LoadReport.percentile(sorted, p) }
        var serverErrors: Int { samples.filter { ($0.status ?? 0) >= 500 }.count }
        var unanswered: Int { samples.filter { $0.status == nil }.count }
        var description: String {
            let counts = Dictionary(grouping: samples, by: \.endpoint).sorted { $0.key < $1.key }
                .map { "\($0.key) \($0.value.count)" }.joined(separator: ", ")
            return "\(samples.count) requests (\(counts)), p50 \(String(format: "%.1f", percentile(0.5))) ms, "
                + "p99 \(String(format: "%.1f", percentile(0.99))) ms, 5xx \(serverErrors), unanswered \(unanswered)"
        }
    }

    struct Report: Sendable {
        var baseline: Phase
        var attacked: Phase
        var attacker: HostilePeer.Counters
        var ratio: Double { attacked.percentile(0.99) / max(baseline.percentile(0.99), 0.001) }
        func failures(maxRatio: Double) -> [String] {
            var out: [String] = []
            if ratio > maxRatio { out.append("the honest p99 grew \(String(format: "%.2f", ratio))×") }
            for (name, phase) in [("baseline", baseline), ("attacked", attacked)] {
                if phase.serverErrors > 0 { out.append("\(phase.serverErrors) 5xx in the \(name) phase") }
                if phase.unanswered > 0 { out.append("\(phase.unanswered) unanswered in the \(name) phase") }
                if phase.samples.isEmpty { out.append("no honest request in the \(name) phase") }
            }
            return out
        }
    }

    struct Country: Sendable {
        var code: String
        var auth: CertificateFactory.Issued
        var signing: CertificateFactory.Issued
    }

    let dir: String
    let trustAnchor: CertificateFactory.Issued
    let server: CertificateFactory.Issued
    let honest: [Country]
    let hostile: Country
    let port: Int
    private let recording = Mutex<(phase: Int, samples: [Int: [Sample]])>((0, [:]))

    init(dir: String, countries: Int) throws {
        self.dir = dir
        trustAnchor = try CertificateFactory.selfSigned(
            country: nil, organization: "EFGS Soak Operator", commonName: "EFGS Soak Trust Anchor", key: .p256)
        server = try CertificateFactory.selfSigned(
            country: nil, commonName: "localhost", key: .p256, dnsNames: ["localhost"], ipAddresses: [[127, 0, 0, 1]])
        func country(_ code: String) throws -> Country {
            Country(
                code: code,
                auth: try CertificateFactory.selfSigned(
                    country: code, commonName: "efgs-auth.\(code.lowercased()).soak", key: .p256),
                signing: try CertificateFactory.selfSigned(
                    country: code, commonName: "efgs-sign.\(code.lowercased()).soak", key: .p256))
        }
        honest = try ["DE", "FR", "PL", "NL", "IT", "ES", "DK", "IE"].prefix(countries).map(country)
        hostile = try country("HU")
        port = try LoopbackPort.free()
    }

    /// Writes the configuration and the PKI, registers the rows, runs both phases and returns the report.
    func run(seconds: Double, slowloris: Int, stalledHandshakes: Int) async throws -> Report {
        try writeFiles()
        let runtime = try await GatewayRuntime.open(ConfigOption.parse(["--config", dir + "/efgs.yaml"]))
        var rows: [(CertificateFactory.Issued, String, CertificateType)] = []
        for c in honest + [hostile] { rows += [(c.auth, c.code, .authentication), (c.signing, c.code, .signing)] }
        try await CertificateRows.register(
            rows, trustAnchorKeyPEM: trustAnchor.privateKeyPEM, services: runtime.services)
        try await runtime.close()

        let serve = try ServeChild.start(config: dir + "/efgs.yaml", port: port, logPath: dir + "/serve.log")
        defer { serve.stop() }
        let clients = try honest.map { try client($0) }
        let hostileClient = try client(hostile)
        let peer = try HostilePeer(
            gatewayPort: port, certificatePEM: hostile.auth.certificatePEM, privateKeyPEM: hostile.auth.privateKeyPEM,
            serverCertificatePEM: server.certificatePEM, client: hostileClient, slowlorisConnections: slowloris,
            stalledHandshakes: stalledHandshakes)

        // warm-up (connections, the first download batch: batching runs every 2 s), baseline, attack ramp, attack
        let start = ContinuousClock.now
        let ramp = Duration.seconds(3)
        let phase = Duration.seconds(seconds)
        let baselineStart = start + ramp
        let attackStart = baselineStart + phase + ramp
        let end = attackStart + phase
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, country) in honest.enumerated() {
                group.addTask { try await self.honestTraffic(country, client: clients[i], until: end) }
            }
            group.addTask {
                try await Task.sleep(until: baselineStart)
                self.recording.withLock { $0.phase = 1 }
                try await Task.sleep(until: baselineStart + phase)
                self.recording.withLock { $0.phase = 0 }
                try await Task.sleep(until: attackStart - ramp)
                let attack = Task { await peer.run(until: end) }
                try await Task.sleep(until: attackStart)
                self.recording.withLock { $0.phase = 2 }
                await attack.value
                self.recording.withLock { $0.phase = 0 }
            }
            try await group.waitForAll()
        }
        for c in clients + [hostileClient] { try await c.shutdown() }
        let samples = recording.withLock { $0.samples }
        return Report(
            baseline: Phase(samples: samples[1] ?? []), attacked: Phase(samples: samples[2] ?? []),
            attacker: peer.counters)
    }

    /// Upload 50 signed keys, download the day's batches from the first, audit the newest: again and again.
    func honestTraffic(_ country: Country, client: GatewayClient, until end: ContinuousClock.Instant) async throws {
        let signer = try BatchSigner(certificate: country.signing.certificate, privateKey: country.signing.privateKey)
        let today = UTCDay(Date()).description
        var n = 0
        while ContinuousClock.now < end {
            n += 1
            let keys = Demo.randomKeys(count: 50, origin: country.code)
            await measure("upload") {
                try await client.upload(keys: keys, batchTag: "soak-\(country.code)-\(n)", signer: signer).status
            }
            var newest: String?
            await measure("download") {
                let (r, _) = try await client.download(date: today)
                newest = r.header("batchTag")
                return r.status
            }
            if let newest {
                await measure("audit") { try await client.audit(date: today, batchTag: newest).0.status }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    private func measure(_ endpoint: String, _ request: () async throws -> Int) async {
        let start = ContinuousClock.now
        let status = try? await request()
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        recording.withLock { state in
            guard state.phase != 0 else { return }
            state.samples[state.phase, default: []].append(Sample(endpoint: endpoint, status: status, milliseconds: ms))
        }
    }

    private func client(_ country: Country) throws -> GatewayClient {
        try GatewayClient(
            baseURL: "https://localhost:\(port)",
            identity: .mutualTLS(
                certificatePEM: country.auth.certificatePEM, privateKeyPEM: country.auth.privateKeyPEM),
            serverTrust: .certificates(pem: server.certificatePEM))
    }

    // MARK: - The gateway

    private func writeFiles() throws {
        for (issued, name) in [(trustAnchor, "ta"), (server, "server")] {
            try issued.certificatePEM.write(toFile: "\(dir)/\(name).pem", atomically: true, encoding: .utf8)
            try issued.privateKeyPEM.write(toFile: "\(dir)/\(name).key", atomically: true, encoding: .utf8)
        }
        let storageKey = Base64.encodeString((0..<32).map { _ in UInt8.random(in: 0...255) })
        let yaml = """
            # generated by `efgs soak`: test only
            server:
              host: 127.0.0.1
              port: \(port)
            auth:
              mode: mutualTLS
            tls:
              certificatePath: \(dir)/server.pem
              privateKeyPath: \(dir)/server.key
            trustAnchor:
              certificatePath: \(dir)/ta.pem
            database:
              url: sqlite:\(dir)/efgs.sqlite
            storage:
              keys: ["soak1:\(storageKey)"]
              activeKeyId: soak1
            upload:
              maxKeys: 100
            batching:
              docLimit: 1000
              interval: 2
            callback:
              clientCertificatePath: \(dir)/server.pem
              clientKeyPath: \(dir)/server.key
            logging:
              level: ERROR

            """
        try yaml.write(toFile: dir + "/efgs.yaml", atomically: true, encoding: .utf8)
    }
}

struct SoakFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
