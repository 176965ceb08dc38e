// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import Crypto
import EFGSClient
import EFGSCrypto
import EFGSProtocol
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// One readiness step's result.
struct ReadinessStep: Sendable {
    enum Outcome: String, Sendable {
        case passed = "passed"
        case failed = "FAILED"
        case skipped = "skipped"
    }
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
    var testDataNote: String {
        "batch tags start with `\(tagPrefix)`; every test key's keyData starts with the ASCII bytes `READINESS`"
    }
    static let stepCount = 10

    init(
        client: GatewayClient, signer: BatchSigner, anchor: TrustAnchor, country: String, day: String,
        callbackURL: String?,
        endpoint: CallbackEndpoint?, callbackWait: Double
    ) {
        self.client = client
        self.signer = signer
        self.anchor = anchor
        self.country = country
        self.day = day
        self.callbackURL = callbackURL
        self.endpoint = endpoint
        self.callbackWait = callbackWait
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
        guard r.status == status else {
            throw StepFailure(detail: "expected \(status), got \(r.status): \(gatewayMessage(r))")
        }
        return what
    }

    mutating func steps() async -> [ReadinessStep] {
        var out: [ReadinessStep] = []
        var stop = false
        func progress(_ s: ReadinessStep) {
            print(
                "[\(out.count)/\(Self.stepCount)] \(s.name): \(s.outcome.rawValue) (\(s.milliseconds) ms)\(s.detail.isEmpty ? "" : " — \(s.detail)")"
            )
        }
        func step(_ name: String, skip: String? = nil, _ body: () async throws -> String) async {
            if stop {
                out.append(
                    ReadinessStep(
                        name: name, outcome: .skipped, milliseconds: 0, detail: "not run: authentication failed"))
            } else if let skip {
                out.append(ReadinessStep(name: name, outcome: .skipped, milliseconds: 0, detail: skip))
            } else {
                let start = DispatchTime.now()
                do {
                    let detail = try await body()
                    out.append(
                        ReadinessStep(name: name, outcome: .passed, milliseconds: Self.ms(since: start), detail: detail)
                    )
                } catch let f as StepFailure {
                    out.append(
                        ReadinessStep(
                            name: name, outcome: .failed, milliseconds: Self.ms(since: start), detail: f.detail))
                } catch {
                    out.append(
                        ReadinessStep(
                            name: name, outcome: .failed, milliseconds: Self.ms(since: start), detail: "\(error)"))
                }
            }
            progress(out.last!)
        }
        let client = self.client
        let signer = self.signer
        let callbackId = "readiness"
        var header: String?
        await step("Authenticate (GET /diagnosiskeys/callback)") {
            let (r, subs) = try await client.subscriptions()
            header = r.header("Server")
            guard r.status == 200, let subs else {
                throw StepFailure(detail: "expected 200, got \(r.status): \(gatewayMessage(r))")
            }
            return "authenticated as \(country); \(subs.count) existing callback subscription(s)"
        }
        serverHeader = header
        if out[0].outcome == .failed { stop = true }
        await step(
            "Subscribe to callbacks (PUT /diagnosiskeys/callback/\(callbackId))",
            skip: callbackURL == nil ? "no --callback-url given" : nil
        ) {
            try expect(
                try await client.subscribe(callbackId: callbackId, url: callbackURL!), 200, "subscribed \(callbackURL!)"
            )
        }
        let tag = tagPrefix
        await step("Upload a signed test batch (protobuf)") {
            let keys = testKeys(5)
            return try expect(
                try await client.upload(keys: keys, batchTag: tag + "pb", signer: signer, format: .protobuf), 201,
                "201 for \(keys.count) keys, batch tag \(tag)pb")
        }
        await step("Upload a signed test batch (JSON)") {
            let keys = testKeys(3)
            return try expect(
                try await client.upload(keys: keys, batchTag: tag + "json", signer: signer, format: .json), 201,
                "201 for \(keys.count) keys, batch tag \(tag)json")
        }
        await step("Duplicate batch tag is refused (409)") {
            try expect(
                try await client.upload(keys: testKeys(1), batchTag: tag + "pb", signer: signer), 409,
                "409 BatchTag already exists.")
        }
        await step("Tampered signature is refused (400)") {
            // a valid signature of other keys: the signature does not cover this batch
            let keys = testKeys(2)
            let other = testKeys(2)
            var body = DiagnosisKeyBatch()
            body.keys = keys
            let r = try await client.upload(
                body: body.protobufBytes(), format: .protobuf, batchTag: tag + "tampered",
                batchSignature: try signer.sign(keys: other))
            _ = try expect(r, 400, "")
            guard gatewayMessage(r) == "Invalid signature" else {
                throw StepFailure(detail: "400 but message '\(gatewayMessage(r))'")
            }
            return "400 Invalid signature"
        }
        let endpoint = self.endpoint
        let wait = callbackWait
        await step(
            "Receive the callback and download the notified batch",
            skip: endpoint == nil ? "no --callback-listen given" : nil
        ) {
            guard let notice = await endpoint!.firstNotice(timeout: wait) else {
                throw StepFailure(detail: "no callback within \(Int(wait)) s")
            }
            let (r, keys) = try await client.download(date: notice.date, batchTag: notice.batchTag)
            _ = try expect(r, 200, "")
            return
                "notified of batch \(notice.batchTag) (\(notice.date)); downloaded it: \(keys?.count ?? 0) keys of other countries"
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
                if r.status == 404 && batches.isEmpty {
                    return "404: no download batch for \(day) yet (the chain was not exercised)"
                }
                _ = try expect(r, 200, "")
                throw StepFailure(detail: "200 without batchTag header")
            }
            guard !missingNext else { throw StepFailure(detail: "200 without nextBatchTag header") }
            guard batches.count < 10_000 else { throw StepFailure(detail: "chain longer than 10 000 batches") }
            return
                "\(batches.count) batch(es), \(batches.reduce(0) { $0 + $1.keys.count }) keys, chain ends with nextBatchTag null"
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
                    if let p = c.problem {
                        problems.append("batch \(b.tag), \(c.country) upload of \(c.uploadedTime): \(p)")
                    }
                }
            }
            guard problems.isEmpty else { throw StepFailure(detail: problems.joined(separator: "; ")) }
            return "\(uploads) upload batch(es) in \(batches.count) batch(es) verified with the trust anchor"
        }
        await step(
            "Unsubscribe (DELETE /diagnosiskeys/callback/\(callbackId))",
            skip: callbackURL == nil ? "no --callback-url given" : nil
        ) {
            try expect(try await client.unsubscribe(callbackId: callbackId), 200, "unsubscribed")
        }
        return out
    }

    static func ms(since start: DispatchTime) -> Int {
        Int((DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1_000_000)
    }
}
