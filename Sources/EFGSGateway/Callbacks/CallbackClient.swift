// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import NIOSSL
import X509

/// Why one callback delivery attempt failed (PROTOCOL.md §7.5). Every case is a failed attempt.
public enum CallbackFailure: Error, Equatable, CustomStringConvertible {
    /// No vetted address accepted a TCP connection within the timeout.
    case connect(String)
    /// The TLS handshake failed for another reason than the server certificate checks.
    case tls(String)
    /// The server's leaf certificate is not valid now, does not match the URL host, or is not pinned.
    case certificate(String)
    /// No complete response within `callback.timeout`.
    case timeout
    /// A response that is not 2xx (redirects are not followed).
    case status(Int)
    /// The connection closed before a response head arrived.
    case noResponse(String)

    /// A short reason for the event log (the `reason` of `Got no response for callback.` and similar, §7.9).
    public var description: String {
        switch self {
        case .connect(let r): return "connect failed: \(r)"
        case .tls(let r): return "TLS handshake failed: \(r)"
        case .certificate(let r): return "server certificate refused: \(r)"
        case .timeout: return "no response within the timeout"
        case .status(let s): return "HTTP \(s)"
        case .noResponse(let r): return "no response: \(r)"
        }
    }
}

/// The decision on a callback server's leaf certificate (§7.5): valid now, matches the URL host (RFC 6125), and
/// its thumbprint is one of `pinnedThumbprints` (the non-revoked CALLBACK rows of the subscription's country that
/// pass the integrity check and whose `host`, when set, is the URL host).
public struct CallbackServerCheck: Sendable {
    /// The callback URL's host; the leaf must match it (SAN dNSName or iPAddress, no CN fallback).
    public var host: String
    /// The accepted leaf thumbprints (64 lower-case hex).
    public var pinnedThumbprints: Set<String>
    /// The instant at which the leaf must be valid.
    public var now: Date

    /// A check for one delivery attempt.
    public init(host: String, pinnedThumbprints: Set<String>, now: Date) {
        self.host = host
        self.pinnedThumbprints = pinnedThumbprints
        self.now = now
    }

    /// Nil when the leaf is accepted, otherwise the reason.
    public func problem(leafDER: [UInt8]) -> String? {
        guard let facts = try? CertificateFacts(der: leafDER) else { return "leaf certificate unparseable" }
        guard facts.isValid(at: now) else {
            return
                "leaf certificate not valid now (\(UTCTimestamp.format(facts.notBefore))…\(UTCTimestamp.format(facts.notAfter)))"
        }
        guard HostnameMatch.certificate(facts.certificate, matches: host, commonNameFallback: false) else {
            return "leaf certificate does not match host \(host)"
        }
        guard pinnedThumbprints.contains(facts.thumbprint) else {
            return "leaf certificate \(facts.thumbprint) is not a registered CALLBACK certificate"
        }
        return nil
    }
}

/// Delivers one callback: `GET <target>` over TLS ≥ 1.2 to a vetted address, with SNI for the URL host, the
/// gateway's client certificate, the server-certificate check above, no redirects, and timeouts. Built on
/// swift-nio and swift-nio-ssl because the connection must go to an address vetted in this attempt (no second DNS
/// lookup) while SNI and the certificate check use the host name. With an HTTP CONNECT proxy the proxy is asked
/// for the vetted IP literal, and TLS runs end to end through the tunnel.
public struct CallbackClient: Sendable {
    let tlsContext: NIOSSLContext
    let timeout: TimeAmount
    let group: any EventLoopGroup
    let proxy: (host: String, port: Int)?

    /// A callback client setting (§9 `callback.*`) that cannot be used; start-up fails with it.
    public struct IdentityError: Error, CustomStringConvertible {
        /// The setting's name, e.g. `callback.clientKeyPath`.
        public var setting: String
        /// What is wrong with its value.
        public var reason: String
        /// `setting: reason`.
        public var description: String { "\(setting): \(reason)" }
    }

    /// Loads the client identity presented to callback servers.
    /// - Parameters:
    ///   - certificatePath: PEM file of the client certificate chain (`callback.clientCertificatePath`).
    ///   - keyPath: PEM file of its private key (`callback.clientKeyPath`).
    ///   - timeout: connect and response timeout in seconds (`callback.timeout`).
    ///   - proxyURL: optional HTTP CONNECT proxy as `http://HOST:PORT` (`callback.proxyUrl`).
    /// - Throws: `IdentityError` for a malformed proxy URL or an unreadable certificate or key; NIOSSL errors when
    ///   the TLS context cannot be built.
    public init(
        certificatePath: String, keyPath: String, timeout: Double, proxyURL: String? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        if let proxyURL {
            guard let u = URLComponents(string: proxyURL), u.scheme?.lowercased() == "http", let host = u.host,
                !host.isEmpty, let port = u.port
            else {
                throw IdentityError(setting: "callback.proxyUrl", reason: "'\(proxyURL)' is not http://HOST:PORT")
            }
            proxy = (host, port)
        } else {
            proxy = nil
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) }
        } catch {
            throw IdentityError(
                setting: "callback.clientCertificatePath",
                reason: "cannot read a PEM certificate from \(certificatePath): \(error)")
        }
        guard !tls.certificateChain.isEmpty else {
            throw IdentityError(
                setting: "callback.clientCertificatePath", reason: "\(certificatePath) holds no certificate")
        }
        do {
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem))
        } catch {
            throw IdentityError(
                setting: "callback.clientKeyPath", reason: "cannot read a PEM private key from \(keyPath): \(error)")
        }
        tls.minimumTLSVersion = .tlsv12
        // a close (also the timeout's) waits at most this long for the server's close_notify
        tls.shutdownTimeout = .milliseconds(250)
        // chain building is replaced by the custom check (registration is the trust decision, §7.5)
        tls.certificateVerification = .noHostnameVerification
        tlsContext = try NIOSSLContext(configuration: tls)
        self.timeout = .nanoseconds(Int64(timeout * 1_000_000_000))
        self.group = group
    }

    /// One attempt. Returns the 2xx status, or why the attempt failed.
    public func deliver(to url: CallbackURLPolicy.VettedURL, target: String, check: CallbackServerCheck) async
        -> Result<Int, CallbackFailure>
    {
        var lastError = "no address"
        for address in url.addresses {
            let refusal = NIOLockedValueBox<String?>(nil)
            let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
            do {
                channel =
                    try await
                    (proxy == nil
                    ? connectDirectly(to: address, url: url, check: check, refusal: refusal)
                    : connectThroughProxy(to: address, url: url, check: check, refusal: refusal))
            } catch {
                lastError = "\(error)"
                continue
            }
            return await exchange(on: channel, url: url, target: target, refusal: refusal)
        }
        return .failure(.connect(lastError))
    }

    typealias HTTPChannel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    func connectDirectly(
        to address: [UInt8], url: CallbackURLPolicy.VettedURL, check: CallbackServerCheck,
        refusal: NIOLockedValueBox<String?>
    ) async throws -> HTTPChannel {
        try await ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .connect(to: try SocketAddress(packedIPAddress: ByteBuffer(bytes: address), port: url.port)) {
                [self] channel in
                channel.eventLoop.makeCompletedFuture { try secure(channel, url: url, check: check, refusal: refusal) }
            }
    }

    /// CONNECT <vetted IP literal>:<port> through the proxy, then TLS and HTTP inside the tunnel.
    func connectThroughProxy(
        to address: [UInt8], url: CallbackURLPolicy.VettedURL, check: CallbackServerCheck,
        refusal: NIOLockedValueBox<String?>
    ) async throws -> HTTPChannel {
        guard let proxy else { throw CallbackFailure.connect("no proxy") }
        let literal = address.count == 16 ? "[\(IPAddressBytes.format(address))]" : IPAddressBytes.format(address)
        let deadline = NIODeadline.now() + timeout
        let (channel, tunnel) = try await ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .connect(host: proxy.host, port: proxy.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let established = channel.eventLoop.makePromise(of: Void.self)
                    let ops = channel.pipeline.syncOperations
                    try ops.addHandler(HTTPRequestEncoder(), name: "proxy-encoder")
                    try ops.addHandler(
                        ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes)),
                        name: "proxy-decoder")
                    try ops.addHandler(
                        NIOHTTP1ProxyConnectHandler(
                            targetHost: literal, targetPort: url.port, headers: [:], deadline: deadline,
                            promise: established), name: "proxy-connect")
                    return (channel, established.futureResult)
                }
            }
        do {
            try await tunnel.get()
            try await channel.pipeline.removeHandler(name: "proxy-decoder").get()
            try await channel.pipeline.removeHandler(name: "proxy-encoder").get()
            return try await channel.eventLoop.submit { [self] in
                try secure(channel, url: url, check: check, refusal: refusal)
            }.get()
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    /// TLS (SNI for a host name, the gateway's client certificate, the server check) and HTTP/1.1 on `channel`.
    /// Runs on the channel's event loop.
    func secure(
        _ channel: any Channel, url: CallbackURLPolicy.VettedURL, check: CallbackServerCheck,
        refusal: NIOLockedValueBox<String?>
    ) throws -> HTTPChannel {
        let tls = try NIOSSLClientHandler(
            context: tlsContext, serverHostname: url.hostIsIPLiteral ? nil : url.host,
            customVerificationCallback: { certificates, promise in
                let leaf = certificates.first.flatMap { try? $0.toDERBytes() } ?? []
                if let problem = check.problem(leafDER: leaf) {
                    refusal.withLockedValue { $0 = problem }
                    promise.succeed(.failed)
                } else {
                    promise.succeed(.certificateVerified)
                }
            })
        try channel.pipeline.syncOperations.addHandler(tls)
        try channel.pipeline.syncOperations.addHTTPClientHandlers()
        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
    }

    /// Sends the request and reads the response head (and up to 64 KiB of body, ignored) within the timeout.
    func exchange(
        on channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>, url: CallbackURLPolicy.VettedURL,
        target: String, refusal: NIOLockedValueBox<String?>
    ) async -> Result<Int, CallbackFailure> {
        let timedOut = NIOLockedValueBox(false)
        let underlying = channel.channel
        let timer = underlying.eventLoop.scheduleTask(in: timeout) {
            timedOut.withLockedValue { $0 = true }
            underlying.close(promise: nil)
        }
        defer { timer.cancel() }
        do {
            let status: Int? = try await channel.executeThenClose { inbound, outbound in
                var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target)
                head.headers.add(name: "Host", value: url.hostHeader)
                head.headers.add(name: "User-Agent", value: "EFGS Callback Engine")
                head.headers.add(name: "Accept", value: "*/*")
                try await outbound.write(.head(head))
                try await outbound.write(.end(nil))
                var status: Int?
                var bodyBytes = 0
                for try await part in inbound {
                    switch part {
                    case .head(let h): status = Int(h.status.code)
                    case .body(let b):
                        bodyBytes += b.readableBytes
                        if bodyBytes > 64 * 1024 { return status }  // read up to 64 KiB, ignored
                    case .end: return status
                    }
                }
                return status
            }
            // the timer's verdict wins over anything that arrived while the connection was closing
            if timedOut.withLockedValue({ $0 }) { return .failure(.timeout) }
            guard let status else { return .failure(.noResponse("connection closed before a response")) }
            return (200..<300).contains(status) ? .success(status) : .failure(.status(status))
        } catch {
            if let problem = refusal.withLockedValue({ $0 }) { return .failure(.certificate(problem)) }
            if timedOut.withLockedValue({ $0 }) { return .failure(.timeout) }
            if error is NIOSSLError || error is BoringSSLError { return .failure(.tls("\(error)")) }
            return .failure(.noResponse("\(error)"))
        }
    }
}
