// SPDX-License-Identifier: EUPL-1.2

import Crypto
import EFGSClient
import EFGSCrypto
import EFGSProtocol
import Foundation
import Synchronization

/// One `efgs load run`: every country of a ``LoadFederation`` as a national backend against one gateway URL, for a
/// bounded time — uploading signed batches at its share of the rate, polling the day's downloads and following
/// `nextBatchTag`, auditing and verifying each new batch, and receiving callbacks on its own HTTPS endpoint.
final class LoadRun: Sendable {
    struct Settings: Sendable {
        var gateway: String
        var identity: ClientConnection.Identity
        var gatewayCAPEM: String?
        var seconds: Double
        /// Uploads per minute, the whole federation together.
        var uploadsPerMinute: Double
        var keys: ClosedRange<Int>
        var pollSeconds: Double
        var callbacks: Bool
        var progressSeconds: Double
        /// Seconds a request may take before it counts as unanswered (at most 60, the client's own limit).
        var requestTimeout: Double
    }

    /// One simulated national backend, ready to run.
    struct Backend: Sendable {
        var country: String
        var client: GatewayClient
        var signer: BatchSigner
        var callback: (certificatePEM: String, privateKeyPEM: String)
    }

    let dir: String
    let federation: LoadFederation
    let settings: Settings
    let verifier: AuditVerifier?
    /// Unique per run (upload tags and the callback id carry it): the start in seconds and a random part.
    let runID =
        String(Int(Date().timeIntervalSince1970), radix: 36) + "-"
        + String(UInt32.random(in: 0...UInt32.max), radix: 36)
    /// Batch contents already checked, by the SHA-256 of the download body and of the audit body: the number of
    /// keys, their origins, and the verification's outcome. The countries that receive the same bytes share one
    /// decode and one verification (each distinct content is still verified), so the generator's own CPU does not
    /// grow with the number of countries times the batches.
    let checked = Mutex([String: (keys: Int, origins: Set<String>, verified: Int?)]())
    let day = UTCDay(Date()).description

    init(dir: String, federation: LoadFederation, settings: Settings) throws {
        self.dir = dir
        self.federation = federation
        self.settings = settings
        let anchorPath = dir + "/" + LoadFederation.trustAnchorFile
        if FileManager.default.fileExists(atPath: anchorPath) {
            verifier = AuditVerifier(trustAnchor: try TrustAnchor(pem: try readText(anchorPath, "--federation")))
        } else {
            verifier = nil
        }
    }

    /// One simulated backend per country of the federation; when one cannot be made, the clients made before it
    /// are shut down before the error is thrown.
    func backends() async throws -> [Backend] {
        let trust: ServerTrust = settings.gatewayCAPEM.map { .certificates(pem: $0) } ?? .systemRoots
        var made: [Backend] = []
        do {
            for c in federation.countries {
                let auth = try LoadFederation.identity(dir, c.authentication)
                let signing = try LoadFederation.identity(dir, c.signing)
                let callback = try LoadFederation.identity(dir, c.callback)
                let signer = try BatchSigner(
                    certificatePEM: signing.certificatePEM, privateKeyPEM: signing.privateKeyPEM)
                let client = try GatewayClient(
                    baseURL: settings.gateway,
                    identity: try ClientConnection.clientIdentity(
                        settings.identity, certificatePEM: auth.certificatePEM, privateKeyPEM: auth.privateKeyPEM),
                    serverTrust: trust)
                made.append(Backend(country: c.country, client: client, signer: signer, callback: callback))
            }
            return made
        } catch {
            await Self.close(made, endpoints: [:])
            throw error
        }
    }

    /// Stops the callback endpoints and shuts the clients down.
    static func close(_ backends: [Backend], endpoints: [String: CallbackEndpoint]) async {
        for endpoint in endpoints.values { try? await endpoint.stop() }
        for b in backends { try? await b.client.shutdown() }
    }

    /// Runs the federation and returns what was measured.
    func run() async throws -> LoadReport {
        let backends = try await backends()
        let setup = LoadRecorder(start: .now, requestTimeout: settings.requestTimeout)
        var endpoints: [String: CallbackEndpoint] = [:]
        if settings.callbacks {
            do {
                for b in backends {
                    guard let der = CanonicalPEM.firstCertificateDER(in: b.callback.certificatePEM) else { continue }
                    let endpoint = try await CallbackEndpoint.start(
                        certificateDER: der, privateKeyPEM: b.callback.privateKeyPEM)
                    endpoints[b.country] = endpoint
                    let url = "https://localhost:\(await endpoint.port)/efgs/callback"
                    let callbackID = "efgs-load-\(runID)"
                    let answer = await setup.measure(.subscribe, country: b.country) {
                        try await b.client.subscribe(callbackId: callbackID, url: url)
                    }
                    if let answer, answer.status != 200 {
                        setup.problem(
                            "\(b.country) subscription answered \(answer.status): \(answer.text.prefix(200))")
                    }
                }
            } catch {
                // the subscriptions made so far would point at endpoints that are gone (best effort)
                for b in backends where endpoints[b.country] != nil {
                    _ = try? await b.client.unsubscribe(callbackId: "efgs-load-\(runID)")
                }
                await Self.close(backends, endpoints: endpoints)
                throw error
            }
        }
        // the measured run starts here; the subscriptions count as sent at its start
        let recorder = LoadRecorder(start: .now, requestTimeout: settings.requestTimeout, takingOver: setup)
        let end = recorder.start + .milliseconds(Int64(settings.seconds * 1000))
        let seen = await withTaskGroup(of: (String, Set<String>).self) { group in
            for b in backends {
                group.addTask {
                    await self.uploads(b, recorder: recorder, until: end)
                    return (b.country, [])
                }
                group.addTask { (b.country, await self.downloads(b, recorder: recorder, until: end)) }
            }
            group.addTask {
                await self.progress(recorder, until: end)
                return ("", [])
            }
            var seen: [String: Set<String>] = [:]
            for await (country, tags) in group where !country.isEmpty { seen[country, default: []].formUnion(tags) }
            return seen
        }
        let elapsed = recorder.seconds(.now)
        var notified: [String: Set<String>] = [:]
        for b in backends {
            if let endpoint = endpoints[b.country] {
                notified[b.country] = Set(await endpoint.notices.map(\.batchTag))
                let callbackID = "efgs-load-\(runID)"
                _ = await recorder.measure(.unsubscribe, country: b.country) {
                    try await b.client.unsubscribe(callbackId: callbackID)
                }
                try? await endpoint.stop()
            }
            try? await b.client.shutdown()
        }
        return LoadReport(
            settings: settings, countries: backends.map(\.country), state: recorder.snapshot,
            elapsed: elapsed, downloadedBatches: seen, notifiedBatches: notified,
            auditsVerified: verifier != nil)
    }

    /// Uploads of `b` on a fixed schedule (its share of the federation's rate, first one at a random offset), one
    /// at a time: a late upload is sent at once, and the slots that fall due while an upload is under way at the end
    /// are counted too, so a slow gateway shows as uploads behind the schedule.
    func uploads(_ b: Backend, recorder: LoadRecorder, until end: ContinuousClock.Instant) async {
        // in nanoseconds, never 0: at the highest rates a slot is well under a millisecond
        let interval = Duration.nanoseconds(
            max(1_000, Int64(60e9 * Double(federation.countries.count) / settings.uploadsPerMinute)))
        var next = ContinuousClock.now + interval * Double.random(in: 0..<1)
        var n = 0
        while next < end {
            recorder.update { $0.uploadsScheduled += 1 }
            try? await Task.sleep(until: next)
            next += interval
            if ContinuousClock.now >= end { break }
            n += 1
            let keys = Demo.randomKeys(count: Int.random(in: settings.keys), origin: b.country)
            let signature: String
            do { signature = try b.signer.sign(keys: keys) } catch {
                recorder.problem("\(b.country): cannot sign a batch: \(error)")
                return
            }
            let body = WireFormat.protobuf.encodeKeys(keys)
            let tag = "load-\(runID)-\(n)"
            let answer = await recorder.measure(.upload, country: b.country) {
                try await b.client.upload(body: body, format: .protobuf, batchTag: tag, batchSignature: signature)
            }
            if answer?.status == 201 { recorder.update { $0.keysUploaded += keys.count } }
        }
        if next < end {  // the slots left, counted without a loop (at a microsecond apart there may be millions)
            let left = Int(((end - next) / interval).rounded(.up))
            recorder.update { $0.uploadsScheduled += left }
        }
    }

    /// Polls the day's download batches every `pollSeconds`: from the last batch seen (or the day's first), following
    /// `nextBatchTag`; each new batch is checked (none of `b`'s own keys) and audited. Returns the tags seen.
    func downloads(_ b: Backend, recorder: LoadRecorder, until end: ContinuousClock.Instant) async -> Set<String> {
        var seen = Set<String>()
        var last: String?
        var polls = 0  // batches seen in the first poll existed before the run (no callback is due for them)
        while ContinuousClock.now < end {
            var tag = last
            while ContinuousClock.now < end {
                let asked = tag
                let path = "/diagnosiskeys/download/\(day)"
                let headers =
                    [("Accept", WireFormat.protobuf.acceptHeader())] + (asked.map { [("batchTag", $0)] } ?? [])
                let response = await recorder.measure(.download, country: b.country, askedBatchTag: asked != nil) {
                    try await b.client.send(method: .GET, path: path, headers: headers)
                }
                guard let response, response.status == 200, let current = response.header("batchTag") else {
                    // the batch asked for is gone (withdrawn 410, deleted 404): the next poll starts at the day's first
                    if asked != nil, asked == last, [404, 410].contains(response?.status) { last = nil }
                    break
                }
                last = current
                if !seen.contains(current) {
                    seen.insert(current)
                    if polls > 0 { recorder.update { $0.batchesAppeared += 1 } }
                    await check(b, batchTag: current, body: response.body, recorder: recorder)
                }
                guard let next = response.header("nextBatchTag"), !next.isEmpty, next != "null" else { break }
                tag = next
            }
            polls += 1
            try? await Task.sleep(until: min(end, .now + .milliseconds(Int64(settings.pollSeconds * 1000))))
        }
        return seen
    }

    /// A new batch: audited, decoded, free of `b`'s own keys, and (with the trust anchor) every key verified against
    /// the batch's audit (§7.4); a content another country already checked is not decoded and verified again.
    func check(_ b: Backend, batchTag: String, body: [UInt8], recorder: LoadRecorder) async {
        let path = "/diagnosiskeys/audit/download/\(day)/\(batchTag)"
        let audit = await recorder.measure(.audit, country: b.country) {
            try await b.client.send(method: .GET, path: path, headers: [("Accept", WireFormat.jsonAccept)])
        }
        let content = Hex.encode(SHA256.hash(data: body)) + (audit.map { Hex.encode(SHA256.hash(data: $0.body)) } ?? "")
        let outcome: (keys: Int, origins: Set<String>, verified: Int?)
        if let known = checked.withLock({ $0[content] }) {
            outcome = known
        } else {
            let keys: [DiagnosisKey]
            do { keys = try WireFormat.protobuf.decodeKeys(body) } catch {
                recorder.problem("\(b.country) download \(batchTag): the body does not decode: \(error)")
                return
            }
            var verified: Int?
            if let audit, audit.status == 200, let verifier {
                do {
                    verified = try verifier.verify(keys: keys, entries: try AuditEntry.decodeList(audit.body))
                } catch {
                    recorder.problem("\(b.country) audit \(batchTag): \(error)")
                }
            }
            outcome = (keys.count, Set(keys.map(\.origin)), verified)
            checked.withLock { $0[content] = outcome }
        }
        recorder.update {
            $0.keysDownloaded += outcome.keys
            $0.batchesDownloaded += 1
            $0.keysVerified += outcome.verified ?? 0
        }
        if outcome.origins.contains(b.country) {
            recorder.problem("\(b.country) download \(batchTag): holds keys of \(b.country) itself (§5.4)")
        }
        if verifier != nil, audit?.status == 200, outcome.verified == nil {
            recorder.problem("\(b.country) audit \(batchTag): a content that failed verification before")
        }
    }

    /// Writes `text` to standard output at once (not buffered: the progress shows live, also into a pipe).
    static func say(_ text: String, terminator: String = "\n") {
        FileHandle.standardOutput.write(Data((text + terminator).utf8))
    }

    /// One line every `progressSeconds` until `end`.
    func progress(_ recorder: LoadRecorder, until end: ContinuousClock.Instant) async {
        while ContinuousClock.now < end {
            try? await Task.sleep(
                until: min(end, .now + .milliseconds(Int64(settings.progressSeconds * 1000))))
            Self.say(LoadReport.progressLine(recorder.snapshot, elapsed: recorder.seconds(.now)))
        }
    }
}
