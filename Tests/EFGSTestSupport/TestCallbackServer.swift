// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A national backend's callback endpoint for tests: a real TLS (or plain TCP) server on 127.0.0.1 that records
/// the raw request bytes, the client certificate presented, and answers as each test scripts it.
public final class TestCallbackServer: @unchecked Sendable {
    /// How to answer one request.
    public enum Answer: Sendable {
        case status(Int)
        case redirect(to: String)
        /// Answer 200 only after `seconds`.
        case delayed(seconds: Double)
    }

    public struct Recorded: Sendable {
        public var raw: String
        public var clientCertificateThumbprint: String?
        /// The request target (`/path?query`).
        public var target: String {
            raw.split(separator: "\r\n").first.map { String($0.split(separator: " ")[1]) } ?? ""
        }
        public var query: [String: String] {
            guard let q = target.split(separator: "?", maxSplits: 1).dropFirst().first else { return [:] }
            return Dictionary(
                q.split(separator: "&").map { kv in
                    let p = kv.split(separator: "=", maxSplits: 1)
                    return (String(p[0]), p.count > 1 ? String(p[1]) : "")
                }, uniquingKeysWith: { $1 })
        }
    }

    public let identity: CertificateFactory.Issued?
    private let state = NIOLockedValueBox<(answers: [Answer], requests: [Recorded], connections: Int)>(([], [], 0))
    private var channel: (any Channel)!
    public var port: Int { channel.localAddress!.port! }

    /// `identity` nil: plain TCP (a TLS client fails its handshake). `answers` are used in order; the last repeats.
    public init(identity: CertificateFactory.Issued?, answers: [Answer] = [.status(200)]) throws {
        self.identity = identity
        state.withLockedValue { $0.answers = answers }
        var sslContext: NIOSSLContext?
        if let identity {
            var tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: [.certificate(try NIOSSLCertificate(bytes: identity.der, format: .der))],
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(identity.privateKeyPEM.utf8), format: .pem)))
            tls.certificateVerification = .noHostnameVerification  // request the client certificate
            sslContext = try NIOSSLContext(configuration: tls)
        }
        let server = self
        let tlsContext = sslContext
        channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let recorder = RawRecorder(server: server)
                    if let tlsContext {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLServerHandler(
                                context: tlsContext,
                                customVerificationCallback: { certs, promise in
                                    recorder.clientThumbprint = certs.first.flatMap { try? $0.toDERBytes() }.map(
                                        Thumbprint.of(der:))
                                    promise.succeed(.certificateVerified)
                                }))
                    }
                    try channel.pipeline.syncOperations.addHandler(recorder)
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Responder(server: server, recorder: recorder))
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    public var requests: [Recorded] { state.withLockedValue { $0.requests } }

    public func stop() { try? channel.close().wait() }

    fileprivate func record(_ r: Recorded) -> Answer {
        state.withLockedValue { s in
            s.requests.append(r)
            return s.answers.count >= s.requests.count ? s.answers[s.requests.count - 1] : s.answers.last!
        }
    }

    /// Keeps the raw bytes of the request as received (after TLS).
    final class RawRecorder: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        let server: TestCallbackServer
        var raw = ""
        var clientThumbprint: String?
        init(server: TestCallbackServer) { self.server = server }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            raw += String(buffer: unwrapInboundIn(data))
            context.fireChannelRead(data)
        }
    }

    final class Responder: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let server: TestCallbackServer
        let recorder: RawRecorder
        init(server: TestCallbackServer, recorder: RawRecorder) {
            self.server = server
            self.recorder = recorder
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            let answer = server.record(
                Recorded(raw: recorder.raw, clientCertificateThumbprint: recorder.clientThumbprint))
            var headers = HTTPHeaders([("Content-Length", "2"), ("Connection", "close")])
            var status = 200
            var delay = 0.0
            switch answer {
            case .status(let s): status = s
            case .redirect(let location):
                status = 302
                headers.add(name: "Location", value: location)
            case .delayed(let seconds): delay = seconds
            }
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let answerStatus = status
            let answerHeaders = headers
            context.eventLoop.scheduleTask(in: .milliseconds(Int64(delay * 1000))) {
                let context = loopBound.value
                context.write(
                    NIOAny(
                        HTTPServerResponsePart.head(
                            HTTPResponseHead(
                                version: .http1_1, status: .init(statusCode: answerStatus), headers: answerHeaders))),
                    promise: nil)
                context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: "ok")))), promise: nil)
                context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in
                    loopBound.value.close(promise: nil)
                }
            }
        }
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (for servers that need a port in their configuration file).
public func freeLoopbackPort() throws -> Int {
    let probe = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0)
        .wait()
    let port = probe.localAddress!.port!
    try probe.close().wait()
    return port
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
public func isAcceptingConnections(port: Int) -> Bool {
    (try? ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).wait()
        .close().wait()) != nil
}
