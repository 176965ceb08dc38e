import AsyncHTTPClient
import EFGSCrypto
import EFGSProtocol
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// How a national backend proves who it is to the gateway (PROTOCOL.md §4.1).
public enum ClientIdentity: Sendable {
    /// Behind a trusted proxy: the proxy's thumbprint and DN headers (mode a).
    case proxyHeaders(thumbprint: String, dn: String)
    /// Mutual TLS with a client certificate and key (mode c).
    case mutualTLS(certificatePEM: String, privateKeyPEM: String)
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

    public init(baseURL: String, identity: ClientIdentity) throws {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.identity = identity
        var config = HTTPClient.Configuration()
        config.redirectConfiguration = .disallow
        config.timeout = .init(connect: .seconds(10), read: .seconds(60))
        if case .mutualTLS(let certPEM, let keyPEM) = identity {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certPEM.utf8)).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem))
            tls.certificateVerification = .none // the gateway's server certificate is pinned by deployment, not by a CA here
            config.tlsConfiguration = tls
        }
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    public func shutdown() async throws { try await http.shutdown() }

    func identityHeaders() -> [(String, String)] {
        if case .proxyHeaders(let tp, let dn) = identity { return [("X-SSL-Client-SHA256", tp), ("X-SSL-Client-DN", dn)] }
        return []
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
        let signature = try signer.sign(keys: keys)
        let body: [UInt8]
        let contentType: String
        switch format {
        case .protobuf:
            var b = DiagnosisKeyBatch()
            b.keys = keys
            body = b.protobufBytes(); contentType = "application/protobuf; version=1.0"
        case .json:
            body = DiagnosisKeyJSONEncoder.encode(keys); contentType = "application/json; version=1.0"
        }
        return try await send(method: .POST, path: "/diagnosiskeys/upload",
                              headers: [("Content-Type", contentType), ("batchTag", batchTag), ("batchSignature", signature)], body: body)
    }

    /// One download (§5.4). `keys` is nil unless the status is 200.
    public func download(date: String, batchTag: String? = nil, format: WireFormat = .protobuf) async throws -> (response: GatewayResponse, keys: [DiagnosisKey]?) {
        var headers = [("Accept", format == .protobuf ? "application/protobuf; version=1.0" : "application/json; version=1.0")]
        if let batchTag { headers.append(("batchTag", batchTag)) }
        let r = try await send(method: .GET, path: "/diagnosiskeys/download/\(date)", headers: headers)
        guard r.status == 200 else { return (r, nil) }
        let keys = format == .protobuf ? try DiagnosisKeyBatch.parseProtobuf(r.body).keys : try DiagnosisKeyJSONDecoder.decode(r.body)
        return (r, keys)
    }

    /// Follows `nextBatchTag` from the first batch of `date` until `null` (or a 404).
    public func downloadDay(date: String, format: WireFormat = .protobuf) async throws -> [(tag: String, keys: [DiagnosisKey])] {
        var out: [(String, [DiagnosisKey])] = []
        var tag: String? = nil
        while true {
            let (r, keys) = try await download(date: date, batchTag: tag, format: format)
            guard r.status == 200, let keys, let served = r.header("batchTag") else { break }
            out.append((served, keys))
            guard let next = r.header("nextBatchTag"), next != "null" else { break }
            tag = next
        }
        return out
    }

    /// The audit of one batch (§5.5).
    public func audit(date: String, batchTag: String) async throws -> (response: GatewayResponse, entries: [AuditEntry]?) {
        let r = try await send(method: .GET, path: "/diagnosiskeys/audit/download/\(date)/\(batchTag)", headers: [("Accept", "application/json")])
        guard r.status == 200 else { return (r, nil) }
        return (r, try JSONDecoder().decode([AuditEntry].self, from: Data(r.body)))
    }
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

    /// Returns the number of keys verified.
    public func verify(keys: [DiagnosisKey], entries: [AuditEntry], now: Date = Date()) throws -> Int {
        var offset = 0
        for e in entries {
            func fail(_ r: String) -> Failure { Failure(country: e.country, uploadedTime: e.uploadedTime, reason: r) }
            guard trustAnchor.isValidSignature(base64: e.uploaderOperatorSignature, over: e.uploaderCertificate) else { throw fail("operator signature of the authentication certificate does not verify") }
            guard trustAnchor.isValidSignature(base64: e.signingCertificateOperatorSignature, over: e.signingCertificate) else { throw fail("operator signature of the signing certificate does not verify") }
            guard offset + e.amount <= keys.count else { throw fail("audit amounts exceed the downloaded keys") }
            let slice = Array(keys[offset..<(offset + e.amount)])
            offset += e.amount
            let verified: VerifiedBatchSignature
            do {
                verified = try BatchSignatureVerifier(allowLegacySha1: allowLegacySha1).verify(batchSignature: e.batchSignature, stream: BatchStream.bytes(of: slice), now: now)
            } catch {
                throw fail("batch signature does not verify: \(error)")
            }
            guard verified.signer.thumbprint == e.uploaderSigningThumbprint else { throw fail("signer is not the audited signing certificate") }
            guard slice.allSatisfy({ $0.origin == e.country }) else { throw fail("keys of another origin in the slice") }
        }
        guard offset == keys.count else {
            throw Failure(country: "-", uploadedTime: "-", reason: "\(keys.count - offset) downloaded keys are not covered by the audit")
        }
        return offset
    }
}
