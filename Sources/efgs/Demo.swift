// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSClient
import EFGSCrypto
import EFGSGateway
import EFGSProtocol
import EFGSStore
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOSSL
import ServiceLifecycle

/// `efgs demo`: a whole federation on one machine, end to end, with nothing but the Swift toolchain.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a demo federation: demo PKI, a gateway on loopback (SQLite), three national backends "
            + "uploading, batching, downloading and auditing.")
    @Option(help: "Working folder (recreated).") var workDir: String = "demo-work"
    @Flag(help: "Also print the gateway's event log.") var verbose = false

    func run() async throws {
        let demo = try DemoRun(dir: try WorkFolder.prepare(workDir, for: "demo"), verbose: verbose)
        try await demo.run()
        if !demo.failures.isEmpty { throw ExitCode(1) }
    }

    /// Keys of `origin` spread over the last ten days, visiting the other two demo countries.
    static func randomKeys(count: Int, origin: String) -> [DiagnosisKey] {
        let now = Int(Date().timeIntervalSince1970)
        var random = SystemRandomNumberGenerator()  // two reads per key (`UInt8.random` made one per byte)
        return (0..<count).map { i in
            var k = DiagnosisKey()
            k.keyData = withUnsafeBytes(of: (random.next() as UInt64, random.next() as UInt64)) { Data($0) }
            k.rollingStartIntervalNumber = UInt32((now / 600) - 144 * (i % 10 + 1))
            k.rollingPeriod = 144
            k.transmissionRiskLevel = Int32(i % 9)
            k.visitedCountries = ["DE", "FR", "PL"].filter { $0 != origin }
            k.origin = origin
            k.reportType = .confirmedTest
            k.daysSinceOnsetOfSymptoms = Int32(i % 14)
            return k
        }
    }
}

/// One run of the demo: each step a method, the failures collected for the summary.
final class DemoRun {
    /// A simulated national backend.
    struct Backend {
        let country: String
        let auth: CertificateFactory.Issued
        let signing: CertificateFactory.Issued
        var client: GatewayClient!
        var uploadedKeys: [DiagnosisKey] = []
    }

    let dir: String
    let verbose: Bool
    let trustAnchor: CertificateFactory.Issued
    let callbackClient: CertificateFactory.Issued
    let plCallback: CertificateFactory.Issued
    var backends: [Backend] = []
    var failures: [String] = []
    var summary = ""
    let today = UTCDay(Date())

    init(dir: String, verbose: Bool) throws {
        self.dir = dir
        self.verbose = verbose
        trustAnchor = try CertificateFactory.selfSigned(
            country: nil, organization: "EFGS Demo Operator", commonName: "EFGS Demo Trust Anchor", key: .rsa3072)
        // the gateway's callback client identity, and PL's callback endpoint (HTTPS on loopback, SAN localhost)
        callbackClient = try CertificateFactory.selfSigned(
            country: nil, organization: "EFGS Demo Operator", commonName: "efgs-callback-client", key: .p256)
        plCallback = try CertificateFactory.selfSigned(
            country: "PL", organization: "PL National Backend", commonName: "localhost", key: .p256,
            dnsNames: ["localhost"], ipAddresses: [[127, 0, 0, 1]])
    }

    func step(_ s: String) { print("==> \(s)") }

    func run() async throws {
        step("Creating the demo PKI in \(dir)")
        try writePKI()
        try writeConfiguration()

        step("Starting a gateway on loopback (SQLite at \(dir)/efgs.sqlite)")
        let runtime = try await GatewayRuntime.open(
            ConfigOption.parse(["--config", dir + "/efgs.yaml"]), callbacks: true)
        try await register(runtime.services)
        try await withRunningGateway(runtime.services) { base in
            for i in self.backends.indices {
                let b = self.backends[i]
                self.backends[i].client = try GatewayClient(
                    baseURL: base,
                    identity: .proxyHeaders(
                        thumbprint: b.auth.thumbprint, dn: "C=\(b.country),O=\(b.country) National Backend"))
            }
            try await self.exchange(runtime)
            for b in self.backends { try await b.client.shutdown() }
        }
        try await runtime.close()

        step("Summary")
        print(summary)
        if failures.isEmpty {
            print("    DEMO PASSED")
        } else {
            for f in failures { print("    FAILED: \(f)") }
        }
    }

    /// The trust anchor, each country's authentication and signing certificates, and the callback identities.
    func writePKI() throws {
        try write(trustAnchor, "ta")
        let kinds: [(String, CertificateFactory.KeyKind, CertificateFactory.KeyKind)] = [
            ("DE", .rsa3072, .rsa3072), ("FR", .p256, .p256), ("PL", .p256, .rsa3072),
        ]
        for (c, authKind, signKind) in kinds {
            let organization = "\(c) National Backend"
            let auth = try CertificateFactory.selfSigned(
                country: c, organization: organization, commonName: "efgs-auth.\(c.lowercased()).demo", key: authKind)
            let sign = try CertificateFactory.selfSigned(
                country: c, organization: organization, commonName: "efgs-sign.\(c.lowercased()).demo", key: signKind)
            try write(auth, "\(c.lowercased())-auth")
            try write(sign, "\(c.lowercased())-signing")
            print(
                "    \(c): authentication \(authKind.rawValue) \(auth.thumbprint.prefix(16))…, "
                    + "signing \(signKind.rawValue) \(sign.thumbprint.prefix(16))…")
            backends.append(Backend(country: c, auth: auth, signing: sign))
        }
        try write(callbackClient, "callback-client")
        print(
            "    PL callback endpoint certificate \(plCallback.thumbprint.prefix(16))… (SAN localhost); "
                + "gateway callback client \(callbackClient.thumbprint.prefix(16))…")
    }

    func write(_ issued: CertificateFactory.Issued, _ name: String) throws {
        try issued.certificatePEM.write(toFile: "\(dir)/\(name).pem", atomically: true, encoding: .utf8)
        try issued.privateKeyPEM.write(toFile: "\(dir)/\(name).key", atomically: true, encoding: .utf8)
    }

    func writeConfiguration() throws {
        let storageKey = Base64.encodeString((0..<32).map { _ in UInt8.random(in: 0...255) })
        let yaml = """
            # generated by `efgs demo` — demo only
            server:
              host: 127.0.0.1
              port: 0
            trustAnchor:
              certificatePath: \(dir)/ta.pem
            database:
              url: sqlite:\(dir)/efgs.sqlite
            storage:
              keys: ["demo1:\(storageKey)"]
              activeKeyId: demo1
            upload:
              maxKeys: 60
            batching:
              docLimit: 100
              interval: 3600
            callback:
              allowLoopback: true   # demo only: PL's callback endpoint runs on this machine
              clientCertificatePath: \(dir)/callback-client.pem
              clientKeyPath: \(dir)/callback-client.key
            logging:
              level: \(verbose ? "INFO" : "ERROR")

            """
        try yaml.write(toFile: dir + "/efgs.yaml", atomically: true, encoding: .utf8)
    }

    /// Every certificate row, signed by the trust anchor and registered as `efgs cert import` would.
    func register(_ services: GatewayServices) async throws {
        var rows: [(CertificateFactory.Issued, String, CertificateType)] = []
        for b in backends { rows += [(b.auth, b.country, .authentication), (b.signing, b.country, .signing)] }
        rows.append((plCallback, "PL", .callback))
        try await CertificateRows.register(rows, trustAnchorKeyPEM: trustAnchor.privateKeyPEM, services: services)
        print("    registered \(rows.count) certificate rows signed by the trust anchor")
    }

    /// The public API on a free loopback port while `body` runs.
    func withRunningGateway(
        _ services: GatewayServices, _ body: @escaping (String) async throws -> Void
    ) async throws {
        let portBox = PortBox()
        var logger = Logger(label: "efgs.demo")
        logger.logLevel = .critical
        let app = try GatewayServer.application(api: GatewayAPI(services: services), services: [], logger: logger) {
            await portBox.set($0)
        }
        let server = InProcessServer(app, logger: logger)
        let base = "http://127.0.0.1:\(await portBox.wait())"
        print("    listening on \(base) (auth mode proxyHeaders; loopback is the trusted proxy)")
        do {
            try await body(base)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    /// Subscribe, upload, batch, deliver callbacks, download and audit: the federation's day.
    func exchange(_ runtime: GatewayRuntime) async throws {
        step("PL starts its callback endpoint and subscribes (the others poll)")
        let endpoint = try await CallbackEndpoint.start(
            certificateDER: plCallback.der, privateKeyPEM: plCallback.privateKeyPEM,
            trustedClients: [callbackClient.der])
        let pl = backends.first { $0.country == "PL" }!
        let target = "/diagnosiskeys/callback/pl-demo?url=https://localhost:\(await endpoint.port)/efgs/callback"
        let sub = try await pl.client.send(method: .PUT, path: target)
        print("    PUT \(target) → HTTP \(sub.status)")
        if sub.status != 200 { failures.append("PL subscription answered \(sub.status) \(sub.text)") }

        step("Uploading signed batches (protobuf and JSON)")
        try await upload()

        step("Batching")
        let created = try await runtime.services.batching.run()
        print(
            "    created \(created.count) download batches: "
                + created.map { "\($0.tag) (\($0.keyCount) keys)" }.joined(separator: ", "))

        step("Callback delivery (as serve does right after a batching run that created batches)")
        let delivery = try await runtime.services.callbackExecutor(client: runtime.callbackClient!).run()
        try await downloadNotified(endpoint, pl: pl, created: created, delivered: delivery.delivered)
        try await endpoint.stop()

        step("Each backend downloads \(today) following nextBatchTag, then audits and verifies every key")
        let verified = try await downloadAndAudit()
        summary =
            ("    callbacks delivered: \(delivery.delivered), countries: \(backends.count), keys uploaded: "
                + "\(backends.reduce(0) { $0 + $1.uploadedKeys.count }), download batches: \(created.count), "
                + "keys verified through the audit: \(verified)")
    }

    /// Each backend uploads a protobuf and a JSON batch; DE re-sends two stored keys (207).
    func upload() async throws {
        for i in backends.indices {
            let b = backends[i]
            let signer = try BatchSigner(certificate: b.signing.certificate, privateKey: b.signing.privateKey)
            for (n, format) in [(40, WireFormat.protobuf), (25, .json)] {
                let keys = Demo.randomKeys(count: n, origin: b.country)
                let tag = "\(b.country)-\(format.rawValue)-\(UInt32.random(in: 0...UInt32.max))"
                let r = try await b.client.upload(keys: keys, batchTag: tag, signer: signer, format: format)
                print("    \(b.country) \(format.rawValue) \(n) keys tag=\(tag) → HTTP \(r.status)")
                if r.status == 201 {
                    backends[i].uploadedKeys += keys
                } else {
                    failures.append("\(b.country) upload \(format) answered \(r.status) \(r.text)")
                }
            }
        }
        let de = backends[0]
        let dupe = try await de.client.upload(
            keys: Array(de.uploadedKeys.prefix(2)), batchTag: "DE-replay",
            signer: try BatchSigner(certificate: de.signing.certificate, privateKey: de.signing.privateKey))
        print("    DE re-sends 2 stored keys → HTTP \(dupe.status) \(dupe.text)")
        if dupe.status != 207 { failures.append("duplicate upload answered \(dupe.status)") }
    }

    /// PL downloads exactly the batches it was notified of.
    func downloadNotified(
        _ endpoint: CallbackEndpoint, pl: Backend, created: [DownloadBatchRecord], delivered: Int
    ) async throws {
        let notices = await endpoint.notices
        print(
            "    delivered \(delivered) callback(s) over mutual TLS; PL's endpoint received: "
                + notices.map { "batchTag=\($0.batchTag) date=\($0.date)" }.joined(separator: ", "))
        if notices.map(\.batchTag) != created.map(\.tag) {
            failures.append("PL was notified of \(notices.map(\.batchTag)), batches are \(created.map(\.tag))")
        }
        var onCallback = 0
        for n in notices {
            let (r, keys) = try await pl.client.download(date: n.date, batchTag: n.batchTag)
            if r.status != 200 { failures.append("PL download of notified \(n.batchTag) answered \(r.status)") }
            onCallback += keys?.count ?? 0
        }
        let expected = backends.filter { $0.country != "PL" }.reduce(0) { $0 + $1.uploadedKeys.count }
        print("    PL downloaded the notified batches: \(onCallback) keys (expected \(expected)), no polling")
        if onCallback != expected {
            failures.append("PL downloaded \(onCallback) keys on callback, expected \(expected)")
        }
    }

    /// Every backend downloads the day in both formats and verifies every key through the audit; returns the keys
    /// verified.
    func downloadAndAudit() async throws -> Int {
        let verifier = AuditVerifier(trustAnchor: try TrustAnchor(pem: trustAnchor.certificatePEM))
        var verifiedTotal = 0
        for b in backends {
            let expected = backends.filter { $0.country != b.country }.reduce(0) { $0 + $1.uploadedKeys.count }
            var got = 0
            for format in [WireFormat.protobuf, .json] {
                got = try await b.client.downloadDay(date: today.description, format: format)
                    .reduce(0) { $0 + $1.keys.count }
                if got != expected {
                    failures.append("\(b.country) \(format.rawValue) download got \(got) keys, expected \(expected)")
                }
            }
            var verified = 0
            for (tag, keys) in try await b.client.downloadDay(date: today.description) {
                let (response, entries) = try await b.client.audit(date: today.description, batchTag: tag)
                guard let entries else {
                    failures.append("\(b.country) audit \(tag) answered \(response.status)")
                    continue
                }
                do {
                    verified += try verifier.verify(keys: keys, entries: entries)
                } catch {
                    failures.append("\(b.country) audit of \(tag): \(error)")
                }
            }
            verifiedTotal += verified
            print(
                "    \(b.country): downloaded \(got) keys of the other countries; \(verified) verified against the "
                    + "audit (operator + batch signatures)")
        }
        return verifiedTotal
    }
}
