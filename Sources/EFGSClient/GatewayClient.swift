// SPDX-License-Identifier: EUPL-1.2

import AsyncHTTPClient
import EFGSCrypto
import EFGSProtocol
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// The national-backend side of the protocol, on AsyncHTTPClient.
public final class GatewayClient: Sendable {
    /// The gateway's URL up to and including `server.basePath`, without a trailing `/`.
    public let baseURL: String
    let identity: ClientIdentity
    let http: HTTPClient

    /// A client with its own HTTP client: TLS ≥ 1.2, no redirects, 10 s connect and 60 s read timeouts.
    /// - Parameters:
    ///   - baseURL: the gateway's URL before `/diagnosiskeys`; one trailing `/` is dropped.
    ///   - identity: how requests prove the national backend's identity (§4.1).
    ///   - serverTrust: which certificates are accepted from an https gateway.
    /// - Throws: when the PEM of `serverTrust` or of a `.mutualTLS` identity cannot be parsed.
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

    /// Shuts the HTTP client down; call once when done, before the client is released.
    public func shutdown() async throws { try await http.shutdown() }

    func identityHeaders() -> [(String, String)] {
        switch identity {
        case .proxyHeaders(let tp, let dn): return [("X-SSL-Client-SHA256", tp), ("X-SSL-Client-DN", dn)]
        case .proxyCertificate(let pem):
            return [("X-SSL-Client-Cert", PercentEncoding.encode(pem))]  // as nginx's $ssl_client_escaped_cert
        case .mutualTLS: return []
        }
    }

    /// Sends one request to `baseURL + path` with the identity headers (modes a and b) and `headers`, and reads
    /// the whole response. Any status is returned; transport failures and a body over 64 MiB throw.
    public func send(method: HTTPMethod, path: String, headers: [(String, String)] = [], body: [UInt8]? = nil)
        async throws -> GatewayResponse
    {
        var req = HTTPClientRequest(url: baseURL + path)
        req.method = method
        for (k, v) in identityHeaders() + headers { req.headers.add(name: k, value: v) }
        if let body { req.body = .bytes(ByteBuffer(bytes: body)) }
        let resp = try await http.execute(req, timeout: .seconds(60))
        let buffer = try await resp.body.collect(upTo: 64 * 1024 * 1024)
        return GatewayResponse(
            status: Int(resp.status.code), headers: resp.headers, body: Array(buffer.readableBytesView))
    }

    /// Uploads signed keys (§5.3).
    public func upload(keys: [DiagnosisKey], batchTag: String, signer: BatchSigner, format: WireFormat = .protobuf)
        async throws -> GatewayResponse
    {
        return try await upload(
            body: format.encodeKeys(keys), format: format, batchTag: batchTag,
            batchSignature: try signer.sign(keys: keys))
    }

    /// Uploads a body as given, with its `batchSignature` (§5.3).
    public func upload(body: [UInt8], format: WireFormat, batchTag: String, batchSignature: String) async throws
        -> GatewayResponse
    {
        let contentType = format.requestContentType()
        return try await send(
            method: .POST, path: "/diagnosiskeys/upload",
            headers: [("Content-Type", contentType), ("batchTag", batchTag), ("batchSignature", batchSignature)],
            body: body)
    }

    /// The country's callback subscriptions (§5.6).
    public func subscriptions() async throws -> (response: GatewayResponse, subscriptions: [CallbackSubscriptionEntry]?)
    {
        let r = try await send(
            method: .GET, path: "/diagnosiskeys/callback", headers: [("Accept", WireFormat.jsonAccept)])
        guard r.status == 200 else { return (r, nil) }
        return (r, try CallbackSubscriptionEntry.decodeList(r.body))
    }

    /// Creates or updates the subscription `callbackId` (§5.6).
    public func subscribe(callbackId: String, url: String) async throws -> GatewayResponse {
        try await send(
            method: .PUT,
            path: "/diagnosiskeys/callback/\(PercentEncoding.encode(callbackId))?url=\(PercentEncoding.encode(url))",
            headers: [("Accept", WireFormat.jsonAccept)])
    }

    /// Deletes the subscription `callbackId` and its pending notifications (§5.6).
    public func unsubscribe(callbackId: String) async throws -> GatewayResponse {
        try await send(
            method: .DELETE, path: "/diagnosiskeys/callback/\(PercentEncoding.encode(callbackId))",
            headers: [("Accept", WireFormat.jsonAccept)])
    }

    /// One download (§5.4). `keys` is nil unless the status is 200.
    public func download(date: String, batchTag: String? = nil, format: WireFormat = .protobuf) async throws -> (
        response: GatewayResponse, keys: [DiagnosisKey]?
    ) {
        var headers = [("Accept", format.acceptHeader())]
        if let batchTag { headers.append(("batchTag", batchTag)) }
        let r = try await send(method: .GET, path: "/diagnosiskeys/download/\(date)", headers: headers)
        guard r.status == 200 else { return (r, nil) }
        return (r, try format.decodeKeys(r.body))
    }

    /// One downloaded batch of a chain walk.
    public struct ChainBatch: Sendable {
        /// The `batchTag` header of the response, the batch actually served: a well-formed tag (`yyyyMMdd-N`).
        public var batchTag: BatchTag
        /// ``batchTag`` as text.
        public var tag: String { batchTag.description }
        /// The batch's keys, decoded.
        public var keys: [DiagnosisKey]
        /// The `nextBatchTag` header as sent: a well-formed tag, `null` at the end of the chain, nil when absent.
        public var nextBatchTag: String?
        /// The full 200 response.
        public var response: GatewayResponse
    }

    /// Downloads the batches of `date` from `startTag` (the day's first batch when nil), following `nextBatchTag`
    /// while `follow` and until it is `null` or absent, at most `limit` batches (§5.4). Stops at the first answer
    /// that is not a 200 with a `batchTag` and returns it; nil when the walk ended normally.
    ///
    /// - Throws: ``UnexpectedBatchTag`` when a 200's `batchTag` is not `yyyyMMdd-N`, or its `nextBatchTag` is
    ///   neither that nor `null`, before `visit` sees the batch.
    @discardableResult
    public func followChain(
        date: String, from startTag: String? = nil, format: WireFormat = .protobuf, follow: Bool = true,
        limit: Int = 10_000,
        _ visit: (ChainBatch) async throws -> Void
    ) async throws -> GatewayResponse? {
        var tag = startTag
        for _ in 0..<limit {
            let (r, keys) = try await download(date: date, batchTag: tag, format: format)
            guard r.status == 200, let keys, let served = r.header("batchTag") else { return r }
            guard let servedTag = BatchTag(served) else { throw UnexpectedBatchTag(header: "batchTag", value: served) }
            let next = r.header("nextBatchTag")
            if let next, next != "null", BatchTag(next) == nil {
                throw UnexpectedBatchTag(header: "nextBatchTag", value: next)
            }
            try await visit(ChainBatch(batchTag: servedTag, keys: keys, nextBatchTag: next, response: r))
            guard follow, let next, next != "null" else { return nil }
            tag = next
        }
        return nil
    }

    /// Every batch of `date`, following `nextBatchTag` (stops at `null` or the first non-200).
    public func downloadDay(date: String, format: WireFormat = .protobuf) async throws -> [(
        tag: String, keys: [DiagnosisKey]
    )] {
        var out: [(String, [DiagnosisKey])] = []
        try await followChain(date: date, format: format) { out.append(($0.tag, $0.keys)) }
        return out
    }

    /// The audit of one batch (§5.5).
    public func audit(date: String, batchTag: String) async throws -> (
        response: GatewayResponse, entries: [AuditEntry]?
    ) {
        let r = try await send(
            method: .GET, path: "/diagnosiskeys/audit/download/\(date)/\(batchTag)",
            headers: [("Accept", WireFormat.jsonAccept)])
        guard r.status == 200 else { return (r, nil) }
        return (r, try AuditEntry.decodeList(r.body))
    }
}
