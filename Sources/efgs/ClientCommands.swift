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
        subcommands: [Sign.self, Upload.self, Download.self, Audit.self, Subscribe.self, Unsubscribe.self, Subscriptions.self])
}

/// How to reach the gateway and who we are (PROTOCOL.md §4.1).
struct ClientConnection: ParsableArguments {
    enum Identity: String, ExpressibleByArgument, CaseIterable {
        /// TLS client certificate (the gateway in mode c, or nginx in front of it in mode a or b).
        case mtls
        /// As the trusted proxy: thumbprint and DN headers (mode a).
        case headers
        /// As the trusted proxy: the certificate as a URL-encoded PEM header (mode b).
        case certificateHeader = "certificate-header"
    }

    @Option(help: "Gateway base URL, e.g. https://efgs.example.eu (the path before /diagnosiskeys).") var gateway: String
    @Option(help: "Authentication certificate (PEM).") var cert: String
    @Option(help: "Its private key (PEM); needed for --identity mtls.") var key: String?
    @Option(help: "How the identity is presented: mtls (default), headers (mode a, as the trusted proxy) or certificate-header (mode b, as the trusted proxy).")
    var identity: Identity = .mtls
    @Option(help: "CA or self-signed certificate(s) (PEM) trusted for the gateway's TLS certificate; the system roots when absent.")
    var gatewayCa: String?

    func client() throws -> GatewayClient {
        let certPEM = try readText(cert, "--cert")
        guard let der = CanonicalPEM.firstCertificateDER(in: certPEM), let facts = try? CertificateFacts(der: der) else {
            throw ValidationError("--cert: \(cert) holds no X.509 certificate")
        }
        let id: ClientIdentity
        switch identity {
        case .mtls:
            guard let key else { throw ValidationError("--key: required with --identity mtls") }
            id = .mutualTLS(certificatePEM: certPEM, privateKeyPEM: try readText(key, "--key"))
        case .headers:
            id = .proxyHeaders(thumbprint: facts.thumbprint, dn: facts.certificate.subject.description)
        case .certificateHeader:
            id = .proxyCertificate(certificatePEM: CanonicalPEM.encode(der: der))
        }
        let trust: ServerTrust = try gatewayCa.map { .certificates(pem: try readText($0, "--gateway-ca")) } ?? .systemRoots
        do { return try GatewayClient(baseURL: gateway, identity: id, serverTrust: trust) } catch {
            throw ValidationError("cannot set up the connection: \(error)")
        }
    }

    /// Runs `body` with a client that is shut down afterwards, whether `body` returns or throws.
    func withClient<T>(_ body: (GatewayClient) async throws -> T) async throws -> T {
        let client = try client()
        do {
            let result = try await body(client)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

/// A batch file: protobuf `DiagnosisKeyBatch` or the JSON upload form (§2.1, §2.3).
struct BatchFile: ParsableArguments {
    @Option(help: "Batch file: protobuf DiagnosisKeyBatch or JSON {\"keys\":[…]}.") var batch: String
    @Option(help: "protobuf or json; by default json for a .json file, else protobuf.") var format: WireFormat?

    var wireFormat: WireFormat { format ?? (batch.lowercased().hasSuffix(".json") ? .json : .protobuf) }

    func read() throws -> (body: [UInt8], keys: [DiagnosisKey]) {
        guard let data = FileManager.default.contents(atPath: batch) else { throw ValidationError("--batch: cannot read \(batch)") }
        let body = Array(data)
        do {
            let keys = wireFormat == .protobuf ? try DiagnosisKeyBatch.parseProtobuf(body).keys : try DiagnosisKeyJSONDecoder.decode(body)
            return (body, keys)
        } catch {
            throw ValidationError("--batch: \(batch) is not a \(wireFormat.rawValue) batch: \(error)")
        }
    }
}

/// The signing identity of `client sign` / `client upload`.
struct SigningIdentity: ParsableArguments {
    @Option(help: "Signing certificate (PEM), RSA or EC.") var signingCert: String?
    @Option(help: "Its private key (PEM).") var signingKey: String?

    func signer() throws -> BatchSigner? {
        guard let signingCert else { return nil }
        guard let signingKey else { throw ValidationError("--signing-key: required with --signing-cert") }
        do { return try BatchSigner(certificatePEM: try readText(signingCert, "--signing-cert"), privateKeyPEM: try readText(signingKey, "--signing-key")) } catch let e as ValidationError {
            throw e
        } catch {
            throw ValidationError("--signing-cert/--signing-key: \(error)")
        }
    }
}

func readText(_ path: String, _ option: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("\(option): cannot read \(path)") }
    return String(decoding: data, as: UTF8.self)
}

/// The gateway's `{"message":"…"}`, or the body as text.
func gatewayMessage(_ r: GatewayResponse) -> String {
    if let body = ErrorBody.decode(r.body) { return body.message }
    return r.text.isEmpty ? "(empty body)" : r.text
}

extension ClientCommand {
    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a batch file: canonical batch stream (§3) and detached CMS signature (§6); prints the batchSignature.")
        @OptionGroup var file: BatchFile
        @OptionGroup var signing: SigningIdentity
        @Flag(help: "Also print the canonical batch stream (Base64) to standard error.") var showStream = false

        func run() async throws {
            guard let signer = try signing.signer() else { throw ValidationError("--signing-cert and --signing-key are required") }
            let keys = try file.read().keys
            if showStream { FileHandle.standardError.write(Data((Base64.encodeString(BatchStream.bytes(of: keys)) + "\n").utf8)) }
            print(try signer.sign(keys: keys))
        }
    }

    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload a batch file (sent byte for byte) with its batchSignature; explains the answer. Exit 0 only on 201.")
        @OptionGroup var connection: ClientConnection
        @OptionGroup var file: BatchFile
        @OptionGroup var signing: SigningIdentity
        @Option(help: "The upload's batchTag (unique per country).") var batchTag: String
        @Option(help: "A batchSignature made before (client sign); otherwise --signing-cert/--signing-key sign now.") var signature: String?

        func run() async throws {
            let (body, keys) = try file.read()
            let batchSignature: String
            if let signature { batchSignature = signature } else if let signer = try signing.signer() { batchSignature = try signer.sign(keys: keys) } else {
                throw ValidationError("give --signature or --signing-cert and --signing-key")
            }
            let r = try await connection.withClient { try await $0.upload(body: body, format: file.wireFormat, batchTag: batchTag, batchSignature: batchSignature) }
            print(UploadAnswer.explain(r, batchTag: batchTag, keyCount: keys.count))
            if r.status != 201 { throw ExitCode(1) }
        }
    }

    struct Download: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download batches of a day; with --follow walks nextBatchTag to the end of the chain. Writes one file per batch; exit 2 when the day has no batch.")
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
            var batches = 0, keys = 0
            let refused = try await client.followChain(date: date, from: batchTag, format: format, follow: follow) { batch in
                let path = (out as NSString).appendingPathComponent("\(batch.tag).\(format == .protobuf ? "pb" : "json")")
                try Data(batch.response.body).write(to: URL(fileURLWithPath: path))
                print("\(batch.tag): \(batch.keys.count) keys → \(path) (nextBatchTag \(batch.nextBatchTag ?? "null"))")
                batches += 1; keys += batch.keys.count
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
            abstract: "Fetch the audit of batches and, with --verify, re-verify every upload batch in them (operator signatures with the trust anchor, batch signatures over the slices). Exit 1 if any fails.")
        @OptionGroup var connection: ClientConnection
        @Option(help: "Day (yyyy-MM-dd, UTC).") var date: String
        @Option(help: "One batch tag; by default every batch of the day (following the chain).") var batchTag: String?
        @Flag(help: "Verify each upload batch (needs --trust-anchor).") var verify = false
        @Option(help: "The federation's trust-anchor certificate (PEM).") var trustAnchor: String?
        @Flag(help: "Accept legacy SHA-1 batch signatures (signature.allowLegacySha1 on the gateway).") var allowLegacySha1 = false

        func run() async throws {
            var verifier: AuditVerifier?
            if verify {
                guard let trustAnchor else { throw ValidationError("--trust-anchor: required with --verify") }
                do { verifier = AuditVerifier(trustAnchor: try TrustAnchor(path: trustAnchor), allowLegacySha1: allowLegacySha1) } catch {
                    throw ValidationError("--trust-anchor: \(error)")
                }
            }
            let (failures, entries, batches) = try await connection.withClient { try await audit($0, verifier: verifier) }
            if verify { print(failures == 0 ? "all \(entries) upload batch(es) in \(batches) batch(es) verified" : "\(failures) failure(s)") }
            if failures > 0 { throw ExitCode(1) }
        }

        /// Failures, audit entries checked, batches seen. The walk stops at the first audit the gateway refuses.
        func audit(_ client: GatewayClient, verifier: AuditVerifier?) async throws -> (Int, Int, Int) {
            struct AuditRefused: Error {}
            var failures = 0, entries = 0, batches = 0
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
                    failures += f; entries += e
                }
            } catch is AuditRefused {}
            if let r = refused {
                print("download \(requested ?? "(first)"): \(r.status) \(gatewayMessage(r))")
                if batches == 0 { failures += 1 }
            }
            return (failures, entries, batches)
        }

        /// Prints one batch's audit (verified when `verifier` is given); returns failures and entries checked.
        func report(_ batch: GatewayClient.ChainBatch, _ audit: [AuditEntry], _ verifier: AuditVerifier?) -> (Int, Int) {
            print("batch \(batch.tag): \(batch.keys.count) keys from \(audit.count) upload batch(es)")
            guard let verifier else {
                for e in audit { print("  \(e.country) upload of \(e.uploadedTime): \(e.amount) keys, signer \(e.uploaderSigningThumbprint)") }
                return (0, 0)
            }
            var failures = 0, entries = 0
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
        static let configuration = CommandConfiguration(abstract: "Create or update a callback subscription (§5.6).")
        @OptionGroup var connection: ClientConnection
        @Option(help: "callbackId (1–32 of A-Z a-z 0-9 . _ -).") var id: String
        @Option(help: "The HTTPS URL the gateway calls (its host must have a registered CALLBACK certificate).") var url: String

        func run() async throws {
            let r = try await connection.withClient { try await $0.subscribe(callbackId: id, url: url) }
            print(r.status == 200 ? "subscribed \(id) → \(url)" : "\(r.status): \(gatewayMessage(r))")
            if r.status != 200 { throw ExitCode(1) }
        }
    }

    struct Unsubscribe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a callback subscription and its pending notifications (§5.6).")
        @OptionGroup var connection: ClientConnection
        @Option(help: "callbackId.") var id: String

        func run() async throws {
            let r = try await connection.withClient { try await $0.unsubscribe(callbackId: id) }
            print(r.status == 200 ? "unsubscribed \(id)" : "\(r.status): \(gatewayMessage(r))")
            if r.status != 200 { throw ExitCode(1) }
        }
    }

    struct Subscriptions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List this country's callback subscriptions (§5.6).")
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

/// Upload answers (§5.3) in plain words.
enum UploadAnswer {
    static func explain(_ r: GatewayResponse, batchTag: String, keyCount: Int) -> String {
        switch r.status {
        case 201:
            return "201 Created: upload batch \(batchTag) accepted (\(keyCount) keys)"
        case 207:
            var detail = ""
            if let status = UploadMultiStatus.decode(r.body) {
                let duplicates = status.conflicts
                let fresh = status.fresh
                detail = ": keys at positions \(duplicates.map(String.init).joined(separator: ", ")) are already stored (or repeated in the batch); "
                    + "the other \(fresh.count) are new. Send those again, signed anew, under a batch tag (this one is still free)"
            }
            return "207 Multi-Status: nothing was stored\(detail)"
        case 409:
            return "409 Conflict: your country has used batch tag \(batchTag) before; choose a new tag (\(gatewayMessage(r)))"
        case 400:
            return "400 Bad Request: \(gatewayMessage(r))"
        case 403:
            return "403 Forbidden: the gateway did not accept the client identity (\(gatewayMessage(r)))"
        case 406:
            return "406 Not Acceptable: \(gatewayMessage(r)) (the gateway speaks another protocol version)"
        case 413:
            return "413 Content Too Large: \(gatewayMessage(r))"
        case 415:
            return "415 Unsupported Media Type: \(gatewayMessage(r))"
        default:
            return "\(r.status): \(gatewayMessage(r))"
        }
    }
}

extension WireFormat: ExpressibleByArgument {}
