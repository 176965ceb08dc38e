// SPDX-License-Identifier: EUPL-1.2

import HTTPTypes
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOSSL
import NIOTLS

/// The open connections of one listener per peer address, for `server.maxConnectionsPerPeer`.
final class PeerConnectionCounts: Sendable {
    /// Connections at most per peer; 0 is no cap.
    let limit: Int
    /// Peers the cap does not apply to (the trusted proxies in the proxy modes).
    let isExempt: @Sendable ([UInt8]) -> Bool
    private let counts = NIOLockedValueBox<[[UInt8]: Int]>([:])
    private let total = NIOLockedValueBox(0)

    init(limit: Int, isExempt: @escaping @Sendable ([UInt8]) -> Bool) {
        self.limit = limit
        self.isExempt = isExempt
    }

    /// Counts a new connection from `peer`; false when the peer already holds `limit` connections.
    func open(_ peer: [UInt8]?) -> Bool {
        let counted: Bool
        if let peer, limit > 0, !isExempt(peer) {
            counted = counts.withLockedValue { counts in
                let n = counts[peer, default: 0]
                guard n < limit else { return false }
                counts[peer] = n + 1
                return true
            }
        } else {
            counted = true
        }
        if counted {
            Gauge(label: "efgs_http_connections_open").record(
                total.withLockedValue {
                    $0 += 1
                    return $0
                })
        }
        return counted
    }

    /// Forgets a connection ``open(_:)`` counted.
    func close(_ peer: [UInt8]?) {
        if let peer, limit > 0, !isExempt(peer) {
            counts.withLockedValue { counts in
                let n = counts[peer, default: 1] - 1
                counts[peer] = n > 0 ? n : nil
            }
        }
        Gauge(label: "efgs_http_connections_open").record(
            total.withLockedValue {
                $0 -= 1
                return $0
            })
    }

    /// Connections open from `peer` now (tests).
    func count(_ peer: [UInt8]) -> Int { counts.withLockedValue { $0[peer, default: 0] } }
}

/// Guards one connection of the public listener against peers that hold it without using it (issue 12):
/// the per-peer cap, the TLS handshake deadline, the request-head deadline of a new connection, the request-body
/// deadline, a bound on the body still read after the response was sent (a refused request's body is not
/// drained without limit), and the write deadline of a peer that stops reading its response (the connection stays
/// unwritable for `server.writeTimeout`). Each closing is counted in
/// `efgs_http_connections_closed_total{reason}`. The keep-alive idle time between requests is Hummingbird's
/// `idleTimeout`.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The deadlines and bounds, from `server.*`.
    struct Limits: Sendable {
        var tlsHandshake: TimeAmount?
        var requestHead: TimeAmount
        var requestBody: TimeAmount
        /// How long the connection may stay unwritable.
        var write: TimeAmount = .seconds(30)
        /// Body bytes still read after the response to an unfinished request before the connection is closed.
        var drainAfterResponse = 64 * 1024
    }

    /// Why a connection was closed early.
    enum Reason: String {
        case peerLimit = "peer_limit"
        case tlsHandshakeTimeout = "tls_handshake_timeout"
        case requestHeadTimeout = "request_head_timeout"
        case requestBodyTimeout = "request_body_timeout"
        case writeTimeout = "write_timeout"
        case shutdown = "shutdown"
        case bodyAfterResponse = "body_after_response"
        case malformedRequest = "malformed_request"
    }

    let limits: Limits
    let peers: PeerConnectionCounts
    private var active = false
    private var peer: [UInt8]?
    private var counted = false
    private var deadline: Scheduled<Void>?
    private var writeDeadline: Scheduled<Void>?
    private var shutdownDeadline: Scheduled<Void>?
    private var readingBody = false
    private var responded = false
    private var drained = 0

    init(limits: Limits, peers: PeerConnectionCounts) {
        self.limits = limits
        self.peers = peers
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { activate(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
    }

    func channelActive(context: ChannelHandlerContext) {
        activate(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    /// The connection became unwritable: NIO holds more than its high-water mark (64 KiB) because the kernel's send
    /// buffer is full. It turns writable again once the kernel has taken all but 32 KiB of what NIO holds: once the
    /// peer has read about a third of a full send buffer (Linux wakes a writer then) or the rest of the piece NIO
    /// holds, whichever is more; up to about 1.3 MB with a 4 MB buffer, about a piece (up to 1 MiB,
    /// ``GatewayResponder/bodyPieceBytes``) with a small one. A peer that does not read that much within
    /// `server.writeTimeout` is disconnected; at the default 30 s a peer reading faster than about 45 KB/s is always
    /// served. NIO holds at most about two pieces for a stalled peer; the deadline bounds how long the response (its
    /// body stays in memory until then) is held.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            cancelWriteDeadline()
        } else if writeDeadline == nil {
            writeDeadline = closing(context, in: limits.write, .writeTimeout)
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            schedule(context, in: limits.requestHead, .requestHeadTimeout)
        }
        // The server is stopping: Hummingbird closes an idle connection at once and waits for a response under
        // way. That response gets one write deadline to finish, so a slow reader cannot hold the stop past
        // systemd's TimeoutStopSec (the jobs stop after the server).
        if event is ChannelShouldQuiesceEvent, shutdownDeadline == nil {
            shutdownDeadline = closing(context, in: limits.write, .shutdown)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            readingBody = true
            responded = false
            drained = 0
            schedule(context, in: limits.requestBody, .requestBodyTimeout)
        case .body(let chunk):
            if responded {
                drained += chunk.readableBytes
                if drained > limits.drainAfterResponse {
                    close(context, .bodyAfterResponse)
                    return
                }
            }
        case .end:
            readingBody = false
            cancelDeadline()
        }
        context.fireChannelRead(data)
    }

    /// A head the HTTP parser refuses (RFC 9112 syntax, NUL, obs-fold, an unknown method, a header section beyond
    /// the decoder's limit) is answered here in the spec's form — 431 for a section too large, else 400, with
    /// `{"message":…}` (§5.1) — and the connection closed; the framework would answer a bare 400. A parse error
    /// inside a body goes on to the body reader (400 from the handler); after the response it just closes.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        if readingBody && !responded {
            context.fireErrorCaught(error)
            return
        }
        if readingBody {
            close(context, .malformedRequest)
            return
        }
        let refusal =
            parseError == .headerOverflow
            ? APIResponse.error(431, "Request Header Fields Too Large") : APIResponse.error(400, "Bad Request")
        var fields = HTTPFields()
        for (name, value) in refusal.headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        fields[.contentLength] = String(refusal.body.count)
        fields[.connection] = "close"
        cancelDeadline()
        Counter(label: "efgs_http_connections_closed_total", dimensions: [("reason", Reason.malformedRequest.rawValue)])
            .increment()
        let head = HTTPResponse(status: .init(code: refusal.status), headerFields: fields)
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: refusal.body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), readingBody { responded = true }
        context.write(data, promise: promise)
    }

    private func activate(_ context: ChannelHandlerContext) {
        guard !active else { return }
        active = true
        peer = context.channel.remoteAddress.flatMap(GatewayResponder.addressBytes)
        guard peers.open(peer) else {
            close(context, .peerLimit)
            return
        }
        counted = true
        if let handshake = limits.tlsHandshake {
            schedule(context, in: handshake, .tlsHandshakeTimeout)
        } else {
            schedule(context, in: limits.requestHead, .requestHeadTimeout)
        }
    }

    /// The request deadline (head, body or TLS handshake), replacing the one running.
    private func schedule(_ context: ChannelHandlerContext, in delay: TimeAmount, _ reason: Reason) {
        cancelDeadline()
        deadline = closing(context, in: delay, reason)
    }

    /// Closes the connection for `reason` after `delay` unless the returned task is cancelled first (``close(_:_:)``
    /// and ``finish()`` cancel every deadline; cancelling one that has fired does nothing).
    private func closing(_ context: ChannelHandlerContext, in delay: TimeAmount, _ reason: Reason) -> Scheduled<Void> {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        return context.eventLoop.scheduleTask(in: delay) {
            let (handler, context) = loopBound.value
            handler.close(context, reason)
        }
    }

    private func cancelDeadline() {
        deadline?.cancel()
        deadline = nil
    }

    private func cancelWriteDeadline() {
        writeDeadline?.cancel()
        writeDeadline = nil
    }

    private func close(_ context: ChannelHandlerContext, _ reason: Reason) {
        cancelDeadline()
        cancelWriteDeadline()
        Counter(label: "efgs_http_connections_closed_total", dimensions: [("reason", reason.rawValue)]).increment()
        context.close(promise: nil)
    }

    private func finish() {
        cancelDeadline()
        cancelWriteDeadline()
        shutdownDeadline?.cancel()
        shutdownDeadline = nil
        if counted {
            counted = false
            peers.close(peer)
        }
    }
}
