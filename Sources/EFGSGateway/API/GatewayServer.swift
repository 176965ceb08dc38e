// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import ServiceLifecycle

/// Per-request context: keeps the channel so authentication can see the TCP peer and the TLS client certificate.
public struct GatewayRequestContext: RequestContext {
    /// Hummingbird's per-request storage (`RequestContext` requirement).
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    /// The context of a request arriving on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Adapts Hummingbird requests to the framework-independent ``GatewayAPI/handle(method:path:request:)``: header
/// limits (431), the TCP peer, the TLS client certificate (mode c) and a size-limited body reader (413).
struct GatewayResponder: HTTPResponder {
    typealias Context = GatewayRequestContext
    let api: GatewayAPI

    static let maxHeaderValue = 16 * 1024
    static let maxHeaderSection = 32 * 1024

    func respond(to request: Request, context: GatewayRequestContext) async throws -> Response {
        var lines: [(name: String, value: String)] = []
        var section = 0
        for field in request.headers {
            if field.value.utf8.count > Self.maxHeaderValue {
                return Self.response(.error(431, "Request Header Fields Too Large"))
            }
            section += field.name.rawName.utf8.count + field.value.utf8.count + 4
            lines.append((field.name.rawName, field.value))
        }
        if section > Self.maxHeaderSection { return Self.response(.error(431, "Request Header Fields Too Large")) }
        let peer = context.channel.remoteAddress.flatMap(Self.addressBytes)
        var clientCert: [UInt8]?
        if api.services.config.auth.mode == .mutualTLS {
            let channel = context.channel
            clientCert = try? await channel.pipeline.handler(type: NIOSSLServerHandler.self).flatMapThrowing { h in
                try h.peerCertificate?.toDERBytes()
            }.get()
        }
        let body = request.body
        let declaredLength = request.headers[.contentLength].flatMap { Int($0) }
        let apiRequest = APIRequest(
            method: request.method.rawValue, headerLines: lines, query: request.uri.query, peerAddress: peer,
            tlsClientCertificate: clientCert,
            readBody: { limit in
                do {
                    let buffer = try await body.collect(upTo: limit)
                    // a body cut short must never pass for a whole one (the framework ends a body at EOF)
                    if let declaredLength, buffer.readableBytes != declaredLength {
                        throw BodyReadFailure("truncated: \(buffer.readableBytes) of \(declaredLength) bytes")
                    }
                    return Array(buffer.readableBytesView)
                } catch is NIOTooManyBytesError {
                    return nil  // the body exceeds `limit` (chunked or with Content-Length)
                } catch let e as HTTPError where e.status == .contentTooLarge {
                    return nil
                } catch let failure as BodyReadFailure {
                    throw failure
                } catch let e as HTTPParserError {
                    throw BodyReadFailure("malformed framing: \(e)")
                } catch {
                    throw BodyReadFailure("peer gone: \(error)")  // reset, closed, or the body deadline passed
                }
            })
        // the raw path keeps percent-escapes for the router to decode per segment
        let path = request.uri.path
        return Self.response(
            await self.api.handle(method: request.method.rawValue, path: path, request: apiRequest),
            channel: context.channel)
    }

    /// Bodies larger than this are streamed (``bodyPieceBytes``); smaller ones go out with the head in one write.
    static let streamedBodyBytes = 64 * 1024

    /// A streamed body is written in pieces of this size, each once the connection takes it: after each piece the
    /// writer waits for the event loop to have handed it to the channel, so the channel's writability is current
    /// before the next piece and before the end of the response, which waits until NIO holds less than its
    /// low-water mark (32 KiB). So the response stays under way while NIO holds more of it (the idle deadline,
    /// `server.idleTimeout`, and the close at shutdown wait for it), NIO holds at most about two pieces of a
    /// response the peer is not reading, and a peer that stops reading meets the write deadline
    /// (`server.writeTimeout`, ``ConnectionGuard``).
    ///
    /// Each piece costs two hops between the event loop and the concurrency pool, so the pieces are large: a
    /// download of up to 5000 keys is one piece as protobuf (about 228 KB) and one or two as JSON (1.0–1.2 MB,
    /// with the visited countries). With pieces of 64 KiB
    /// (until 2026-12-03) the hops were most of a download's cost. The price is the pace asked of a slow reader:
    /// within `server.writeTimeout` it must read about a piece or a third of a full send buffer, whichever is more,
    /// where a third of the send buffer was enough before; at the default 30 s a peer reading faster than about
    /// 45 KB/s is served either way.
    static let bodyPieceBytes = 1024 * 1024

    static func response(_ r: APIResponse, channel: (any Channel)? = nil) -> Response {
        var fields = HTTPFields()
        for (name, value) in r.headers where name != "Content-Length" {
            if let n = HTTPField.Name(name) { fields.append(HTTPField(name: n, value: value)) }
        }
        let buffer = r.content
        guard buffer.readableBytes > streamedBodyBytes, let eventLoop = channel?.eventLoop else {
            return Response(status: .init(code: r.status), headers: fields, body: .init(byteBuffer: buffer))
        }
        let body = ResponseBody(contentLength: buffer.readableBytes) { writer in
            var rest = buffer
            while rest.readableBytes > 0 {
                try await writer.write(rest.readSlice(length: min(bodyPieceBytes, rest.readableBytes))!)
                try await eventLoop.submit {}.get()
            }
            try await writer.finish(nil)
        }
        return Response(status: .init(code: r.status), headers: fields, body: body)
    }

    static func addressBytes(_ a: SocketAddress) -> [UInt8]? {
        switch a {
        case .v4(let v4):
            var addr = v4.address.sin_addr
            return withUnsafeBytes(of: &addr) { Array($0) }
        case .v6(let v6):
            var addr = v6.address.sin6_addr
            return withUnsafeBytes(of: &addr) { Array($0) }
        default:
            return nil
        }
    }
}

/// Builds the HTTP application: plain HTTP behind a proxy (modes a, b) or TLS with required client
/// certificates (mode c). In mode c any client certificate completes the handshake; the registered
/// thumbprint and the validity are checked per request so refusals are HTTP 403 with the spec's message.
public enum GatewayServer {
    /// The public API as a Hummingbird application running `services` beside it.
    public static func application(
        api: GatewayAPI, services: [any Service], logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let config = api.services.config
        let limits = config.server
        let mutualTLS = config.auth.mode == .mutualTLS
        let proxies = config.auth.trustedProxies
        let peers = PeerConnectionCounts(
            limit: limits.maxConnectionsPerPeer,
            isExempt: { peer in !mutualTLS && proxies.contains { $0.contains(peer) } })
        let guardLimits = ConnectionGuard.Limits(
            tlsHandshake: mutualTLS ? .seconds(exactly: limits.tlsHandshakeTimeout) : nil,
            requestHead: .seconds(exactly: limits.requestHeadTimeout),
            requestBody: .seconds(exactly: limits.requestBodyTimeout), write: .seconds(exactly: limits.writeTimeout))
        // Hummingbird's decoder limits sit above §5.1's 16 KiB value / 32 KiB section (which the responder checks
        // with the spec's 431); a head beyond them is refused by the parser and answered by ConnectionGuard.
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionGuard(limits: guardLimits, peers: peers)],
            idleTimeout: .seconds(exactly: limits.idleTimeout))
        let server: HTTPServerBuilder
        if mutualTLS, let certPath = config.auth.tlsCertificatePath, let keyPath = config.auth.tlsPrivateKeyPath {
            var tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certPath).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem)))
            tls.certificateVerification = .noHostnameVerification
            tls.minimumTLSVersion = .tlsv12
            server = try .tls(
                .http1(configuration: http1),
                configuration: .init(
                    tlsConfiguration: tls,
                    customVerificationCallback: { _, promise in
                        promise.succeed(.certificateVerified)
                    }))
        } else {
            server = .http1(configuration: http1)
        }
        return Application(
            responder: GatewayResponder(api: api),
            server: server,
            configuration: .init(
                address: .hostname(config.server.host, port: config.server.port),
                serverName: config.server.serverHeader ? EFGSVersion.serverName : nil,
                availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections, logger: logger)),
            services: services,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }
}

extension TimeAmount {
    /// `seconds` of a setting (fractions allowed, for tests), as a NIO time amount.
    static func seconds(exactly seconds: Double) -> TimeAmount {
        .nanoseconds(Int64((seconds * 1_000_000_000).rounded()))
    }
}
