// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSClient
import EFGSCrypto
import EFGSProtocol
import Foundation

/// `efgs client …`: a national backend's side of the protocol, on the EFGSClient library only (no gateway code).
struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "A national backend's reference client: sign, upload, download, audit, callback subscriptions.",
        subcommands: [
            Sign.self, Upload.self, Download.self, Audit.self, Subscribe.self, Unsubscribe.self, Subscriptions.self,
            SampleBatch.self,
        ])
}

extension ClientCommand {
    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Sign a batch file: detached CMS signature (docs/api.md §8) over the canonical batch stream (§7); "
                + "prints the batchSignature.")
        @OptionGroup var file: BatchFile
        @OptionGroup var signing: SigningIdentity
        @Flag(help: "Also print the canonical batch stream (Base64) to standard error.") var showStream = false

        func run() async throws {
            guard let signer = try signing.signer() else {
                throw ValidationError("--signing-cert and --signing-key are required")
            }
            let keys = try file.read().keys
            if showStream {
                FileHandle.standardError.write(Data((Base64.encodeString(BatchStream.bytes(of: keys)) + "\n").utf8))
            }
            print(try signer.sign(keys: keys))
        }
    }

    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Upload a batch file (sent byte for byte) with its batchSignature; explains the answer. Exit 0 only on 201."
        )
        @OptionGroup var connection: ClientConnection
        @OptionGroup var file: BatchFile
        @OptionGroup var signing: SigningIdentity
        @Option(help: "The upload's batchTag (unique per country).") var batchTag: String
        @Option(help: "A batchSignature made before (client sign); otherwise --signing-cert/--signing-key sign now.")
        var signature: String?

        func run() async throws {
            let (body, keys) = try file.read()
            let batchSignature: String
            if let signature {
                batchSignature = signature
            } else if let signer = try signing.signer() {
                batchSignature = try signer.sign(keys: keys)
            } else {
                throw ValidationError("give --signature or --signing-cert and --signing-key")
            }
            let r = try await connection.withClient {
                try await $0.upload(
                    body: body, format: file.wireFormat, batchTag: batchTag, batchSignature: batchSignature)
            }
            print(UploadAnswer.explain(r, batchTag: batchTag, keyCount: keys.count))
            if r.status != 201 { throw ExitCode(1) }
        }
    }

    struct Download: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Download batches of a day; with --follow walks nextBatchTag to the end of the chain. Writes one file per batch; exit 2 when the day has no batch."
        )
        @OptionGroup var connection: ClientConnection
        @Option(help: "Day (yyyy-MM-dd, UTC).") var date: String
        @Option(help: "Start at this batch tag (default: the day's first batch).") var batchTag: String?
        @Flag(help: "Follow nextBatchTag until it is null.") var follow = false
        @Option(help: "protobuf or json.") var format: WireFormat = .protobuf
        @Option(help: "Folder for the batch files (<batchTag>.pb or .json).") var out: String = "."

        func run() async throws {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try await connection.withClient { try await download($0) }
        }

        func download(_ client: GatewayClient) async throws {
            var batches = 0
            var keys = 0
            let refused: GatewayResponse?
            do {
                refused = try await client.followChain(date: date, from: batchTag, format: format, follow: follow) {
                    batch in
                    // the file name comes from the server: only a checked download batch tag (yyyyMMdd-N) names it
                    let path = (out as NSString).appendingPathComponent(
                        "\(batch.batchTag.description).\(format == .protobuf ? "pb" : "json")")
                    try Data(batch.response.body).write(to: URL(fileURLWithPath: path))
                    print(
                        "\(batch.tag): \(batch.keys.count) keys → \(path) (nextBatchTag \(batch.nextBatchTag ?? "null"))"
                    )
                    batches += 1
                    keys += batch.keys.count
                }
            } catch let error as UnexpectedBatchTag {
                print(error)
                throw ExitCode(1)
            }
            if let r = refused {
                if batches == 0 {
                    print("\(r.status): \(gatewayMessage(r))")
                    throw ExitCode(r.status == 404 ? 2 : 1)
                }
                print("\(r.status) while following the chain: \(gatewayMessage(r))")
                throw ExitCode(1)
            }
            print("\(batches) batch(es), \(keys) keys")
        }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Fetch the audit of batches and, with --verify, re-verify every upload batch in them (operator signatures with the trust anchor, batch signatures over the slices). Exit 1 if any fails."
        )
        @OptionGroup var connection: ClientConnection
        @Option(help: "Day (yyyy-MM-dd, UTC).") var date: String
        @Option(help: "One batch tag; by default every batch of the day (following the chain).") var batchTag: String?
        @Flag(help: "Verify each upload batch (needs --trust-anchor).") var verify = false
        @Option(help: "The federation's trust-anchor certificate (PEM); repeat it during a trust-anchor rotation.")
        var trustAnchor: [String] = []
        @Flag(help: "Accept legacy SHA-1 batch signatures (signature.allowLegacySha1 on the gateway).")
        var allowLegacySha1 = false

        func run() async throws {
            var verifier: AuditVerifier?
            if verify {
                guard !trustAnchor.isEmpty else { throw ValidationError("--trust-anchor: required with --verify") }
                do {
                    verifier = AuditVerifier(
                        trustAnchors: try trustAnchor.map { try TrustAnchor(path: $0) },
                        allowLegacySha1: allowLegacySha1)
                } catch {
                    throw ValidationError("--trust-anchor: \(error)")
                }
            }
            let (failures, entries, batches) = try await connection.withClient {
                try await audit($0, verifier: verifier)
            }
            if verify {
                print(
                    failures == 0
                        ? "all \(entries) upload batch(es) in \(batches) batch(es) verified" : "\(failures) failure(s)")
            }
            if failures > 0 { throw ExitCode(1) }
        }

        /// Failures, audit entries checked, batches seen. The walk stops at the first audit the gateway refuses.
        func audit(_ client: GatewayClient, verifier: AuditVerifier?) async throws -> (Int, Int, Int) {
            struct AuditRefused: Error {}
            var failures = 0
            var entries = 0
            var batches = 0
            var requested = batchTag
            var refused: GatewayResponse?
            do {
                refused = try await client.followChain(date: date, from: batchTag, follow: batchTag == nil) { batch in
                    batches += 1
                    requested = batch.nextBatchTag
                    let (a, audit) = try await client.audit(date: date, batchTag: batch.tag)
                    guard a.status == 200, let audit else {
                        print("audit \(batch.tag): \(a.status) \(gatewayMessage(a))")
                        failures += 1
                        throw AuditRefused()
                    }
                    let (f, e) = report(batch, audit, verifier)
                    failures += f
                    entries += e
                }
            } catch is AuditRefused {}
            if let r = refused {
                print("download \(requested ?? "(first)"): \(r.status) \(gatewayMessage(r))")
                if batches == 0 { failures += 1 }
            }
            return (failures, entries, batches)
        }

        /// Prints one batch's audit (verified when `verifier` is given); returns failures and entries checked.
        func report(_ batch: GatewayClient.ChainBatch, _ audit: [AuditEntry], _ verifier: AuditVerifier?) -> (Int, Int)
        {
            print("batch \(batch.tag): \(batch.keys.count) keys from \(audit.count) upload batch(es)")
            guard let verifier else {
                for e in audit {
                    print(
                        "  \(e.country) upload of \(e.uploadedTime): \(e.amount) keys, signer \(e.uploaderSigningThumbprint)"
                    )
                }
                return (0, 0)
            }
            var failures = 0
            var entries = 0
            for c in verifier.check(keys: batch.keys, entries: audit) {
                entries += 1
                if let problem = c.problem {
                    failures += 1
                    print("  FAILED  \(c.country) upload of \(c.uploadedTime) (\(c.amount) keys): \(problem)")
                } else {
                    print("  ok      \(c.country) upload of \(c.uploadedTime) (\(c.amount) keys)")
                }
            }
            return (failures, entries)
        }
    }

    struct Subscribe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or update a callback subscription (docs/api.md §12.1).")
        @OptionGroup var connection: ClientConnection
        @Option(help: "callbackId (1–32 of A-Z a-z 0-9 . _ -).") var id: String
        @Option(help: "The HTTPS URL the gateway calls (its host must have a registered CALLBACK certificate).")
        var url: String

        func run() async throws {
            let r = try await connection.withClient { try await $0.subscribe(callbackId: id, url: url) }
            print(r.status == 200 ? "subscribed \(id) → \(url)" : "\(r.status): \(gatewayMessage(r))")
            if r.status != 200 { throw ExitCode(1) }
        }
    }

    struct Unsubscribe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a callback subscription and its pending notifications (docs/api.md §12.1).")
        @OptionGroup var connection: ClientConnection
        @Option(help: "callbackId.") var id: String

        func run() async throws {
            let r = try await connection.withClient { try await $0.unsubscribe(callbackId: id) }
            print(r.status == 200 ? "unsubscribed \(id)" : "\(r.status): \(gatewayMessage(r))")
            if r.status != 200 { throw ExitCode(1) }
        }
    }

    struct Subscriptions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List this country's callback subscriptions (docs/api.md §12.1).")
        @OptionGroup var connection: ClientConnection

        func run() async throws {
            let (r, subs) = try await connection.withClient { try await $0.subscriptions() }
            guard let subs else {
                print("\(r.status): \(gatewayMessage(r))")
                throw ExitCode(1)
            }
            if subs.isEmpty { print("no callback subscriptions") }
            for s in subs { print("\(s.callbackId)  \(s.url)") }
        }
    }
}

extension WireFormat: ExpressibleByArgument {}
