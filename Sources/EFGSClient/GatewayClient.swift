import AsyncHTTPClient
import EFGSCrypto
import EFGSProtocol
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// How a national backend proves who it is to the gateway (PROTOCOL.md §4.1).
public enum ClientIdentity: Sendable {
    /// Mutual TLS with a client certificate and key: the gateway terminating TLS (mode c) or a TLS proxy in front of
    /// it (nginx with mode a or b) — what a national backend uses in production.
    case mutualTLS(certificatePEM: String, privateKeyPEM: String)
    /// Speaking as the trusted proxy itself, mode a: thumbprint and DN headers (tests, a backend inside the proxy's
    /// network).
    case proxyHeaders(thumbprint: String, dn: String)
    /// Speaking as the trusted proxy itself, mode b: the certificate as a URL-encoded PEM header.
    case proxyCertificate(certificatePEM: String)
}

/// Which certificates the client accepts from the gateway's TLS endpoint (https URLs only).
public enum ServerTrust: Sendable {
    /// The system's trust roots and the URL's host name.
    case systemRoots
    /// Only these CA or self-signed certificates (PEM), and the URL's host name.
    case certificates(pem: String)
    /// No verification (tests only).
    case noVerification
}

/// A response from the gateway.
public struct GatewayResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    public var text: String { String(decoding: body, as: UTF8.self) }
    public func header(_ name: String) -> String? { headers.first(name: name) }
}

/// The national-backend side of the protocol, on AsyncHTTPClient.
public final class GatewayClient: Sendable {
    public let baseURL: String
    let identity: ClientIdentity
    let http: HTTPClient

    public init(baseURL: String, identity: ClientIdentity, serverTrust: ServerTrust = .systemRoots) throws {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.identity = identity
        var config = HTTPClient.Configuration()
        config.redirectConfiguration = .disallow
        config.timeout = .init(connect: .seconds(10), read: .seconds(60))
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        switch serverTrust {
        case .systemRoots: break
        case .certificates(let pem): tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)))
        case .noVerification: tls.certificateVerification = .none
        }
        if case .mutualTLS(let certPEM, let keyPEM) = identity {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certPEM.utf8)).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem))
        }
        config.tlsConfiguration = tls
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    public func shutdown() async throws { try await http.shutdown() }

    func identityHeaders() -> [(String, String)] {
        switch identity {
        case .proxyHeaders(let tp, let dn): return [("X-SSL-Client-SHA256", tp), ("X-SSL-Client-DN", dn)]
        case .proxyCertificate(let pem):
            return [("X-SSL-Client-Cert", Self.percentEncoded(pem))] // as nginx's $ssl_client_escaped_cert
        case .mutualTLS: return []
        }
    }

    public func send(method: HTTPMethod, path: String, headers: [(String, String)] = [], body: [UInt8]? = nil) async throws -> GatewayResponse {
        var req = HTTPClientRequest(url: baseURL + path)
        req.method = method
        for (k, v) in identityHeaders() + headers { req.headers.add(name: k, value: v) }
        if let body { req.body = .bytes(ByteBuffer(bytes: body)) }
        let resp = try await http.execute(req, timeout: .seconds(60))
        let buffer = try await resp.body.collect(upTo: 64 * 1024 * 1024)
        return GatewayResponse(status: Int(resp.status.code), headers: resp.headers, body: Array(buffer.readableBytesView))
    }

    /// Uploads signed keys (§5.3).
    public func upload(keys: [DiagnosisKey], batchTag: String, signer: BatchSigner, format: WireFormat = .protobuf) async throws -> GatewayResponse {
        let body: [UInt8]
        switch format {
        case .protobuf:
            var b = DiagnosisKeyBatch()
            b.keys = keys
            body = b.protobufBytes()
        case .json:
            body = DiagnosisKeyJSONEncoder.encode(keys)
        }
        return try await upload(body: body, format: format, batchTag: batchTag, batchSignature: try signer.sign(keys: keys))
    }

    /// Uploads a body as given, with its `batchSignature` (§5.3).
    public func upload(body: [UInt8], format: WireFormat, batchTag: String, batchSignature: String) async throws -> GatewayResponse {
        let contentType = format == .protobuf ? "application/protobuf; version=1.0" : "application/json; version=1.0"
        return try await send(method: .POST, path: "/diagnosiskeys/upload",
                              headers: [("Content-Type", contentType), ("batchTag", batchTag), ("batchSignature", batchSignature)], body: body)
    }

    /// The country's callback subscriptions (§5.6).
    public func subscriptions() async throws -> (response: GatewayResponse, subscriptions: [CallbackSubscriptionEntry]?) {
        let r = try await send(method: .GET, path: "/diagnosiskeys/callback", headers: [("Accept", "application/json")])
        guard r.status == 200 else { return (r, nil) }
        return (r, try JSONDecoder().decode([CallbackSubscriptionEntry].self, from: Data(r.body)))
    }

    /// Creates or updates the subscription `callbackId` (§5.6).
    public func subscribe(callbackId: String, url: String) async throws -> GatewayResponse {
        try await send(method: .PUT, path: "/diagnosiskeys/callback/\(Self.percentEncoded(callbackId))?url=\(Self.percentEncoded(url))",
                       headers: [("Accept", "application/json")])
    }

    /// Deletes the subscription `callbackId` and its pending notifications (§5.6).
    public func unsubscribe(callbackId: String) async throws -> GatewayResponse {
        try await send(method: .DELETE, path: "/diagnosiskeys/callback/\(Self.percentEncoded(callbackId))", headers: [("Accept", "application/json")])
    }

    /// Percent-encodes everything but RFC 3986's unreserved ASCII characters (`A–Z a–z 0–9 - . _ ~`).
    static func percentEncoded(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: unreserved) ?? s
    }

    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// One download (§5.4). `keys` is nil unless the status is 200.
    public func download(date: String, batchTag: String? = nil, format: WireFormat = .protobuf) async throws -> (response: GatewayResponse, keys: [DiagnosisKey]?) {
        var headers = [("Accept", format == .protobuf ? "application/protobuf; version=1.0" : "application/json; version=1.0")]
        if let batchTag { headers.append(("batchTag", batchTag)) }
        let r = try await send(method: .GET, path: "/diagnosiskeys/download/\(date)", headers: headers)
        guard r.status == 200 else { return (r, nil) }
        let keys = format == .protobuf ? try DiagnosisKeyBatch.parseProtobuf(r.body).keys : try DiagnosisKeyJSONDecoder.decode(r.body)
        return (r, keys)
    }

    /// One downloaded batch of a chain walk.
    public struct ChainBatch: Sendable {
        public var tag: String
        public var keys: [DiagnosisKey]
        /// The `nextBatchTag` header as sent (`null` at the end of the chain; nil when absent).
        public var nextBatchTag: String?
        public var response: GatewayResponse
    }

    /// Downloads the batches of `date` from `startTag` (the day's first batch when nil), following `nextBatchTag`
    /// while `follow` and until it is `null` or absent, at most `limit` batches (§5.4). Stops at the first answer
    /// that is not a 200 with a `batchTag` and returns it; nil when the walk ended normally.
    @discardableResult
    public func followChain(date: String, from startTag: String? = nil, format: WireFormat = .protobuf, follow: Bool = true, limit: Int = 10_000,
                            _ visit: (ChainBatch) async throws -> Void) async throws -> GatewayResponse? {
        var tag = startTag
        for _ in 0..<limit {
            let (r, keys) = try await download(date: date, batchTag: tag, format: format)
            guard r.status == 200, let keys, let served = r.header("batchTag") else { return r }
            let next = r.header("nextBatchTag")
            try await visit(ChainBatch(tag: served, keys: keys, nextBatchTag: next, response: r))
            guard follow, let next, next != "null" else { return nil }
            tag = next
        }
        return nil
    }

    /// Every batch of `date`, following `nextBatchTag` (stops at `null` or the first non-200).
    public func downloadDay(date: String, format: WireFormat = .protobuf) async throws -> [(tag: String, keys: [DiagnosisKey])] {
        var out: [(String, [DiagnosisKey])] = []
        try await followChain(date: date, format: format) { out.append(($0.tag, $0.keys)) }
        return out
    }

    /// The audit of one batch (§5.5).
    public func audit(date: String, batchTag: String) async throws -> (response: GatewayResponse, entries: [AuditEntry]?) {
        let r = try await send(method: .GET, path: "/diagnosiskeys/audit/download/\(date)/\(batchTag)", headers: [("Accept", "application/json")])
        guard r.status == 200 else { return (r, nil) }
        return (r, try JSONDecoder().decode([AuditEntry].self, from: Data(r.body)))
    }
}

/// One callback subscription (§5.6).
public struct CallbackSubscriptionEntry: Codable, Sendable, Equatable {
    public var callbackId: String
    public var url: String
}

/// One audit entry (§7.4).
public struct AuditEntry: Codable, Sendable {
    public var country: String
    public var uploadedTime: String
    public var uploaderCertificate: String
    public var uploaderThumbprint: String
    public var uploaderOperatorSignature: String
    public var signingCertificate: String
    public var uploaderSigningThumbprint: String
    public var signingCertificateOperatorSignature: String
    public var amount: Int
    public var batchSignature: String
}

/// Re-verifies a downloaded batch against its audit (§7.4): slices the keys by `amount` in order, checks each
/// slice's batch signature and both operator signatures with the trust anchor.
public struct AuditVerifier: Sendable {
    public let trustAnchor: TrustAnchor
    public let allowLegacySha1: Bool

    public init(trustAnchor: TrustAnchor, allowLegacySha1: Bool = false) {
        self.trustAnchor = trustAnchor
        self.allowLegacySha1 = allowLegacySha1
    }

    public struct Failure: Error, CustomStringConvertible {
        public var country: String
        public var uploadedTime: String
        public var reason: String
        public var description: String { "upload batch of \(country) at \(uploadedTime): \(reason)" }
    }

    /// The verdict on one audit entry (one upload batch of one country).
    public struct EntryCheck: Sendable {
        public var country: String
        public var uploadedTime: String
        public var amount: Int
        /// nil when the entry verifies.
        public var problem: String?
    }

    /// Checks every entry; the slices are taken in order by `amount`. A last entry with country `-` reports
    /// downloaded keys that no entry covers.
    public func check(keys: [DiagnosisKey], entries: [AuditEntry], now: Date = Date()) -> [EntryCheck] {
        var offset = 0
        var out: [EntryCheck] = []
        for e in entries {
            func entry(_ problem: String?) -> EntryCheck { EntryCheck(country: e.country, uploadedTime: e.uploadedTime, amount: e.amount, problem: problem) }
            guard e.amount >= 0, offset + e.amount <= keys.count else {
                out.append(entry("audit amounts exceed the downloaded keys"))
                offset = keys.count
                continue
            }
            let slice = Array(keys[offset..<(offset + e.amount)])
            offset += e.amount
            guard trustAnchor.isValidSignature(base64: e.uploaderOperatorSignature, over: e.uploaderCertificate) else {
                out.append(entry("operator signature of the authentication certificate does not verify")); continue
            }
            guard trustAnchor.isValidSignature(base64: e.signingCertificateOperatorSignature, over: e.signingCertificate) else {
                out.append(entry("operator signature of the signing certificate does not verify")); continue
            }
            let verified: VerifiedBatchSignature
            do {
                verified = try BatchSignatureVerifier(allowLegacySha1: allowLegacySha1).verify(batchSignature: e.batchSignature, stream: BatchStream.bytes(of: slice), now: now)
            } catch {
                out.append(entry("batch signature does not verify: \(error)")); continue
            }
            guard verified.signer.thumbprint == e.uploaderSigningThumbprint else { out.append(entry("signer is not the audited signing certificate")); continue }
            guard slice.allSatisfy({ $0.origin == e.country }) else { out.append(entry("keys of another origin in the slice")); continue }
            out.append(entry(nil))
        }
        if offset < keys.count {
            out.append(EntryCheck(country: "-", uploadedTime: "-", amount: keys.count - offset, problem: "\(keys.count - offset) downloaded keys are not covered by the audit"))
        }
        return out
    }

    /// Returns the number of keys verified; throws the first failing entry.
    public func verify(keys: [DiagnosisKey], entries: [AuditEntry], now: Date = Date()) throws -> Int {
        for c in check(keys: keys, entries: entries, now: now) {
            if let problem = c.problem { throw Failure(country: c.country, uploadedTime: c.uploadedTime, reason: problem) }
        }
        return keys.count
    }
}
