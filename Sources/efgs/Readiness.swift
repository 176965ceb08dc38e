import ArgumentParser
import EFGSClient
import EFGSCrypto
import EFGSProtocol
import Foundation
import SwiftASN1
import X509
import Crypto
import _CryptoExtras

/// `efgs readiness`: the onboarding conformance run (docs/onboarding.md step 5). With a country's credentials it
/// runs the protocol's sequence against a gateway and writes a publishable report (Markdown and self-contained
/// HTML). A candidate runs it against the acceptance gateway; a peer or the operator runs it with the candidate's
/// test credentials as the peer check. Only the EFGSClient library is used.
struct Readiness: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the onboarding conformance sequence against a gateway and write a Markdown and HTML report; exit 1 if a step fails.",
        discussion: """
            Steps: authenticate; subscribe (with --callback-url); upload a signed test batch as protobuf and as JSON; \
            duplicate batch tag → 409; tampered signature → 400; receive the callback (with --callback-listen) and \
            download the notified batch; download the day following nextBatchTag; audit and verify every batch; \
            unsubscribe. Test data is marked: batch tags start with 'readiness-', and every test key's keyData starts \
            with the 9 ASCII bytes 'READINESS'.
            """)

    @OptionGroup var connection: ClientConnection
    @OptionGroup var signing: SigningIdentity
    @Option(help: "The federation's trust-anchor certificate (PEM), to verify the audit.") var trustAnchor: String
    @Option(help: "The callback URL to subscribe (its host needs a registered CALLBACK certificate).") var callbackUrl: String?
    @Option(help: "Run the callback endpoint here, HOST:PORT (the address --callback-url reaches), and wait for the notification.")
    var callbackListen: String?
    @Option(help: "TLS certificate of the callback endpoint (PEM; the registered CALLBACK certificate).") var callbackCert: String?
    @Option(help: "Its private key (PEM).") var callbackKey: String?
    @Option(help: "Seconds to wait for the callback (the gateway's batching interval plus delivery).") var callbackWait: Double = 900
    @Option(help: "Folder for the report files.") var reportDir: String = "."
    @Option(help: "Day to download and audit (yyyy-MM-dd, UTC); default today.") var date: String?

    func validate() throws {
        if callbackListen != nil && (callbackUrl == nil || callbackCert == nil || callbackKey == nil) {
            throw ValidationError("--callback-listen needs --callback-url, --callback-cert and --callback-key")
        }
        guard callbackWait > 0, callbackWait <= 86_400 else { throw ValidationError("--callback-wait: 1…86400 seconds") }
    }

    func run() async throws {
        guard let signer = try signing.signer() else { throw ValidationError("--signing-cert and --signing-key are required") }
        let anchor: TrustAnchor
        do { anchor = try TrustAnchor(path: trustAnchor) } catch { throw ValidationError("--trust-anchor: \(error)") }
        let authPEM = try readText(connection.cert, "--cert")
        guard let authDER = CanonicalPEM.firstCertificateDER(in: authPEM), let auth = try? CertificateFacts(der: authDER) else {
            throw ValidationError("--cert: no X.509 certificate")
        }
        guard auth.countries.count == 1, let country = auth.countries.first else { throw ValidationError("--cert: the subject must have exactly one C") }
        var endpoint: CallbackEndpoint?
        if let listen = callbackListen, let callbackCert, let callbackKey {
            let parts = listen.split(separator: ":")
            guard parts.count == 2, let port = Int(parts[1]) else { throw ValidationError("--callback-listen: HOST:PORT") }
            guard let der = CanonicalPEM.firstCertificateDER(in: try readText(callbackCert, "--callback-cert")) else { throw ValidationError("--callback-cert: no certificate") }
            do {
                endpoint = try await CallbackEndpoint.start(certificateDER: der, privateKeyPEM: try readText(callbackKey, "--callback-key"),
                                                           host: String(parts[0]), port: port, path: URLComponents(string: callbackUrl!)?.path.trimmingCharacters(in: CharacterSet(charactersIn: "/")) ?? "efgs/callback")
            } catch { throw ValidationError("--callback-listen: \(error)") }
        }
        let client = try connection.client()
        var run = ReadinessRun(client: client, signer: signer, anchor: anchor, country: country,
                               day: date ?? UTCDay(Date()).description, callbackURL: callbackUrl, endpoint: endpoint, callbackWait: callbackWait)
        let steps = await run.steps()
        try? await client.shutdown()
        try? await endpoint?.stop()

        var certificates = [ReadinessReport.CertificateInfo(role: "Authentication", facts: auth)]
        var serializer = DER.Serializer()
        try serializer.serialize(signer.certificate)
        certificates.append(ReadinessReport.CertificateInfo(role: "Signing", facts: try CertificateFacts(der: serializer.serializedBytes)))
        let report = ReadinessReport(country: country, gateway: connection.gateway, identity: connection.identity.rawValue,
                                     gatewaySoftware: run.serverHeader ?? "not reported", tool: EFGSVersion.serverName,
                                     startedAt: run.startedAt, finishedAt: Date(), certificates: certificates, steps: steps,
                                     testData: run.testDataNote)
        try FileManager.default.createDirectory(atPath: reportDir, withIntermediateDirectories: true)
        let stamp = UTCTimestamp.format(run.startedAt).prefix(19).replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "-", with: "")
        let base = (reportDir as NSString).appendingPathComponent("readiness-\(country)-\(stamp)")
        try report.markdown().write(toFile: base + ".md", atomically: true, encoding: .utf8)
        try report.html().write(toFile: base + ".html", atomically: true, encoding: .utf8)
        print("\(report.passed ? "PASSED" : "FAILED"): \(steps.filter { $0.outcome == .passed }.count) passed, \(steps.filter { $0.outcome == .failed }.count) failed, \(steps.filter { $0.outcome == .skipped }.count) skipped")
        print("report: \(base).md, \(base).html")
        if !report.passed { throw ExitCode(1) }
    }
}

/// One readiness step's result.
struct ReadinessStep: Sendable {
    enum Outcome: String, Sendable { case passed = "passed", failed = "FAILED", skipped = "skipped" }
    var name: String
    var outcome: Outcome
    var milliseconds: Int
    var detail: String
}

/// The sequence itself, printing progress as it goes.
struct ReadinessRun {
    let client: GatewayClient
    let signer: BatchSigner
    let anchor: TrustAnchor
    let country: String
    let day: String
    let callbackURL: String?
    let endpoint: CallbackEndpoint?
    let callbackWait: Double
    let startedAt = Date()
    var serverHeader: String?
    let tagPrefix: String
    var testDataNote: String { "batch tags start with `\(tagPrefix)`; every test key's keyData starts with the ASCII bytes `READINESS`" }
    static let stepCount = 10

    init(client: GatewayClient, signer: BatchSigner, anchor: TrustAnchor, country: String, day: String, callbackURL: String?,
         endpoint: CallbackEndpoint?, callbackWait: Double) {
        self.client = client; self.signer = signer; self.anchor = anchor; self.country = country; self.day = day
        self.callbackURL = callbackURL; self.endpoint = endpoint; self.callbackWait = callbackWait
        tagPrefix = "readiness-\(Int(Date().timeIntervalSince1970))-"
    }

    struct StepFailure: Error { var detail: String }

    /// Marked test keys: keyData = "READINESS" + 7 random bytes, valid for today.
    func testKeys(_ n: Int) -> [DiagnosisKey] {
        let interval = UInt32(Date().timeIntervalSince1970 / 600)
        return (0..<n).map { i in
            var k = DiagnosisKey()
            k.keyData = Data(Array("READINESS".utf8) + (0..<7).map { _ in UInt8.random(in: 0...255) })
            k.rollingStartIntervalNumber = interval - 144 - UInt32(i % 3) * 144
            k.rollingPeriod = 144
            k.transmissionRiskLevel = 0
            k.visitedCountries = []
            k.origin = country
            k.reportType = .confirmedTest
            k.daysSinceOnsetOfSymptoms = 0
            return k
        }
    }

    func expect(_ r: GatewayResponse, _ status: Int, _ what: String) throws -> String {
        guard r.status == status else { throw StepFailure(detail: "expected \(status), got \(r.status): \(gatewayMessage(r))") }
        return what
    }

    mutating func steps() async -> [ReadinessStep] {
        var out: [ReadinessStep] = []
        var stop = false
        func progress(_ s: ReadinessStep) {
            print("[\(out.count)/\(Self.stepCount)] \(s.name): \(s.outcome.rawValue) (\(s.milliseconds) ms)\(s.detail.isEmpty ? "" : " — \(s.detail)")")
        }
        func step(_ name: String, skip: String? = nil, _ body: () async throws -> String) async {
            if stop {
                out.append(ReadinessStep(name: name, outcome: .skipped, milliseconds: 0, detail: "not run: authentication failed"))
            } else if let skip {
                out.append(ReadinessStep(name: name, outcome: .skipped, milliseconds: 0, detail: skip))
            } else {
                let start = DispatchTime.now()
                do {
                    let detail = try await body()
                    out.append(ReadinessStep(name: name, outcome: .passed, milliseconds: Self.ms(since: start), detail: detail))
                } catch let f as StepFailure {
                    out.append(ReadinessStep(name: name, outcome: .failed, milliseconds: Self.ms(since: start), detail: f.detail))
                } catch {
                    out.append(ReadinessStep(name: name, outcome: .failed, milliseconds: Self.ms(since: start), detail: "\(error)"))
                }
            }
            progress(out.last!)
        }
        let client = self.client, signer = self.signer
        let callbackId = "readiness"
        var header: String?
        await step("Authenticate (GET /diagnosiskeys/callback)") {
            let (r, subs) = try await client.subscriptions()
            header = r.header("Server")
            guard r.status == 200, let subs else { throw StepFailure(detail: "expected 200, got \(r.status): \(gatewayMessage(r))") }
            return "authenticated as \(country); \(subs.count) existing callback subscription(s)"
        }
        serverHeader = header
        if out[0].outcome == .failed { stop = true }
        await step("Subscribe to callbacks (PUT /diagnosiskeys/callback/\(callbackId))", skip: callbackURL == nil ? "no --callback-url given" : nil) {
            try expect(try await client.subscribe(callbackId: callbackId, url: callbackURL!), 200, "subscribed \(callbackURL!)")
        }
        let tag = tagPrefix
        await step("Upload a signed test batch (protobuf)") {
            let keys = testKeys(5)
            return try expect(try await client.upload(keys: keys, batchTag: tag + "pb", signer: signer, format: .protobuf), 201, "201 for \(keys.count) keys, batch tag \(tag)pb")
        }
        await step("Upload a signed test batch (JSON)") {
            let keys = testKeys(3)
            return try expect(try await client.upload(keys: keys, batchTag: tag + "json", signer: signer, format: .json), 201, "201 for \(keys.count) keys, batch tag \(tag)json")
        }
        await step("Duplicate batch tag is refused (409)") {
            try expect(try await client.upload(keys: testKeys(1), batchTag: tag + "pb", signer: signer), 409, "409 BatchTag already exists.")
        }
        await step("Tampered signature is refused (400)") {
            // a valid signature of other keys: the signature does not cover this batch
            let keys = testKeys(2), other = testKeys(2)
            var body = DiagnosisKeyBatch(); body.keys = keys
            let r = try await client.upload(body: body.protobufBytes(), format: .protobuf, batchTag: tag + "tampered", batchSignature: try signer.sign(keys: other))
            _ = try expect(r, 400, "")
            guard gatewayMessage(r) == "Invalid signature" else { throw StepFailure(detail: "400 but message '\(gatewayMessage(r))'") }
            return "400 Invalid signature"
        }
        let endpoint = self.endpoint, wait = callbackWait
        await step("Receive the callback and download the notified batch", skip: endpoint == nil ? "no --callback-listen given" : nil) {
            guard let notice = await endpoint!.firstNotice(timeout: wait) else {
                throw StepFailure(detail: "no callback within \(Int(wait)) s")
            }
            let (r, keys) = try await client.download(date: notice.date, batchTag: notice.batchTag)
            _ = try expect(r, 200, "")
            return "notified of batch \(notice.batchTag) (\(notice.date)); downloaded it: \(keys?.count ?? 0) keys of other countries"
        }
        var batches: [(tag: String, keys: [DiagnosisKey])] = []
        let day = self.day
        await step("Download \(day) following nextBatchTag") {
            var missingNext = false
            let refused = try await client.followChain(date: day) { batch in
                batches.append((batch.tag, batch.keys))
                if batch.nextBatchTag == nil { missingNext = true }
            }
            if let r = refused {
                if r.status == 404 && batches.isEmpty { return "404: no download batch for \(day) yet (the chain was not exercised)" }
                _ = try expect(r, 200, "")
                throw StepFailure(detail: "200 without batchTag header")
            }
            guard !missingNext else { throw StepFailure(detail: "200 without nextBatchTag header") }
            guard batches.count < 10_000 else { throw StepFailure(detail: "chain longer than 10 000 batches") }
            return "\(batches.count) batch(es), \(batches.reduce(0) { $0 + $1.keys.count }) keys, chain ends with nextBatchTag null"
        }
        let anchor = self.anchor
        await step("Audit and verify every downloaded batch", skip: batches.isEmpty ? "no batch downloaded" : nil) {
            var uploads = 0
            var problems: [String] = []
            for b in batches {
                let (r, entries) = try await client.audit(date: day, batchTag: b.tag)
                _ = try expect(r, 200, "")
                for c in AuditVerifier(trustAnchor: anchor).check(keys: b.keys, entries: entries ?? []) {
                    uploads += 1
                    if let p = c.problem { problems.append("batch \(b.tag), \(c.country) upload of \(c.uploadedTime): \(p)") }
                }
            }
            guard problems.isEmpty else { throw StepFailure(detail: problems.joined(separator: "; ")) }
            return "\(uploads) upload batch(es) in \(batches.count) batch(es) verified with the trust anchor"
        }
        await step("Unsubscribe (DELETE /diagnosiskeys/callback/\(callbackId))", skip: callbackURL == nil ? "no --callback-url given" : nil) {
            try expect(try await client.unsubscribe(callbackId: callbackId), 200, "unsubscribed")
        }
        return out
    }

    static func ms(since start: DispatchTime) -> Int { Int((DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1_000_000) }
}

/// The publishable report: the same content as Markdown and as one self-contained HTML file (inline CSS, no
/// external resources).
struct ReadinessReport {
    struct CertificateInfo {
        var role: String
        var subject: String
        var thumbprint: String
        var key: String
        var notBefore: Date
        var notAfter: Date

        init(role: String, facts: CertificateFacts) {
            self.role = role
            subject = facts.certificate.subject.description
            thumbprint = facts.thumbprint
            key = Self.keyDescription(facts.certificate.publicKey)
            notBefore = facts.notBefore
            notAfter = facts.notAfter
        }

        static func keyDescription(_ key: Certificate.PublicKey) -> String {
            if let rsa = _RSA.Signing.PublicKey(key) { return "RSA \(rsa.keySizeInBits)" }
            if P256.Signing.PublicKey(key) != nil { return "EC P-256" }
            if P384.Signing.PublicKey(key) != nil { return "EC P-384" }
            if P521.Signing.PublicKey(key) != nil { return "EC P-521" }
            return "other"
        }

        var expiry: String {
            let days = Int(notAfter.timeIntervalSinceNow / 86_400)
            return "\(UTCTimestamp.format(notAfter)) (\(days) days left)"
        }
    }

    var country: String
    var gateway: String
    var identity: String
    var gatewaySoftware: String
    var tool: String
    var startedAt: Date
    var finishedAt: Date
    var certificates: [CertificateInfo]
    var steps: [ReadinessStep]
    var testData: String

    var passed: Bool { !steps.contains { $0.outcome == .failed } }
    var verdict: String { passed ? "PASSED" : "FAILED" }

    func markdown() -> String {
        var s = """
            # EFGS readiness report: \(country)

            **Result: \(verdict)** — \(steps.filter { $0.outcome == .passed }.count) passed, \(steps.filter { $0.outcome == .failed }.count) failed, \(steps.filter { $0.outcome == .skipped }.count) skipped

            | | |
            |---|---|
            | Country | \(country) |
            | Gateway | \(Self.mdCell(gateway)) |
            | Gateway software | \(Self.mdCell(gatewaySoftware)) |
            | Client identity | \(identity) |
            | Run | \(UTCTimestamp.format(startedAt)) – \(UTCTimestamp.format(finishedAt)) |
            | Tool | \(tool) (`efgs readiness`) |
            | Test data | \(testData) |

            ## Certificates

            | Role | Subject | SHA-256 thumbprint | Key | Valid from | Expires |
            |---|---|---|---|---|---|

            """
        for c in certificates {
            s += "| \(c.role) | \(Self.mdCell(c.subject)) | `\(c.thumbprint)` | \(c.key) | \(UTCTimestamp.format(c.notBefore)) | \(c.expiry) |\n"
        }
        s += "\n## Steps\n\n| # | Step | Result | Time | Detail |\n|---|---|---|---|---|\n"
        for (i, step) in steps.enumerated() {
            s += "| \(i + 1) | \(Self.mdCell(step.name)) | \(step.outcome == .failed ? "**FAILED**" : step.outcome.rawValue) | \(step.milliseconds) ms | \(Self.mdCell(step.detail)) |\n"
        }
        return s
    }

    func html() -> String {
        func e(_ t: String) -> String {
            t.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        var rows = ""
        for (i, step) in steps.enumerated() {
            rows += "<tr class=\"\(step.outcome == .failed ? "failed" : step.outcome == .passed ? "passed" : "skipped")\"><td>\(i + 1)</td><td>\(e(step.name))</td><td>\(e(step.outcome.rawValue))</td><td>\(step.milliseconds) ms</td><td>\(e(step.detail))</td></tr>\n"
        }
        var certs = ""
        for c in certificates {
            certs += "<tr><td>\(e(c.role))</td><td>\(e(c.subject))</td><td><code>\(c.thumbprint)</code></td><td>\(e(c.key))</td><td>\(UTCTimestamp.format(c.notBefore))</td><td>\(e(c.expiry))</td></tr>\n"
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>EFGS readiness report: \(e(country))</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:1rem 0}
            td,th{border:1px solid #bbb;padding:.3rem .6rem;text-align:left;vertical-align:top}th{background:#eee}
            .verdict{font-size:1.4rem;font-weight:bold}.ok{color:#116611}.bad{color:#aa1111}
            tr.failed td{background:#fbe3e3}tr.passed td:nth-child(3){color:#116611}tr.skipped td{color:#777}code{font-size:.85rem}
            </style></head><body>
            <h1>EFGS readiness report: \(e(country))</h1>
            <p class="verdict \(passed ? "ok" : "bad")">Result: \(verdict)</p>
            <table>
            <tr><th>Country</th><td>\(e(country))</td></tr>
            <tr><th>Gateway</th><td>\(e(gateway))</td></tr>
            <tr><th>Gateway software</th><td>\(e(gatewaySoftware))</td></tr>
            <tr><th>Client identity</th><td>\(e(identity))</td></tr>
            <tr><th>Run</th><td>\(UTCTimestamp.format(startedAt)) – \(UTCTimestamp.format(finishedAt))</td></tr>
            <tr><th>Tool</th><td>\(e(tool)) (efgs readiness)</td></tr>
            <tr><th>Test data</th><td>\(e(testData.replacingOccurrences(of: "`", with: "")))</td></tr>
            </table>
            <h2>Certificates</h2>
            <table><tr><th>Role</th><th>Subject</th><th>SHA-256 thumbprint</th><th>Key</th><th>Valid from</th><th>Expires</th></tr>
            \(certs)</table>
            <h2>Steps</h2>
            <table><tr><th>#</th><th>Step</th><th>Result</th><th>Time</th><th>Detail</th></tr>
            \(rows)</table>
            </body></html>

            """
    }

    /// A Markdown table cell: `|` escaped, one line, and `<` `>` `&` as entities, so text from the gateway (its
    /// messages end up in the details) cannot inject HTML into a published report.
    static func mdCell(_ t: String) -> String {
        t.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
    }
}
