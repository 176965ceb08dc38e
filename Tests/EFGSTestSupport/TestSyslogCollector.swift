// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// A syslog collector for tests: a TCP (or TLS) listener on 127.0.0.1 that keeps every byte it receives and splits
/// it into RFC 6587 octet-counted frames (`MSG-LEN SP SYSLOG-MSG`).
public final class TestSyslogCollector: @unchecked Sendable {
    private let received = NIOLockedValueBox<[UInt8]>([])
    private let connections = NIOLockedValueBox<[any Channel]>([])
    private var channel: (any Channel)!
    public var port: Int { channel.localAddress!.port! }

    /// `identity` nil: plain TCP. `port` 0: any free port.
    public init(identity: CertificateFactory.Issued? = nil, port: Int = 0) throws {
        var sslContext: NIOSSLContext?
        if let identity {
            let tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: [.certificate(try NIOSSLCertificate(bytes: identity.der, format: .der))],
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(identity.privateKeyPEM.utf8), format: .pem)))
            sslContext = try NIOSSLContext(configuration: tls)
        }
        let received = self.received
        let connections = self.connections
        let tlsContext = sslContext
        channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                connections.withLockedValue { $0.append(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    if let tlsContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext))
                    }
                    try channel.pipeline.syncOperations.addHandler(Recorder(received: received))
                }
            }
            .bind(host: "127.0.0.1", port: port).wait()
    }

    /// Closes the listener and every connection it accepted (a collector going away).
    public func stop() {
        try? channel.close().wait()
        for c in connections.withLockedValue({ $0 }) { try? c.close().wait() }
    }

    /// The raw bytes received so far.
    public var bytes: [UInt8] { received.withLockedValue { $0 } }

    /// The complete frames received so far, as strings; nil when the bytes are not well-formed octet counting.
    public var frames: [String]? {
        let bytes = self.bytes
        var out: [String] = []
        var i = 0
        while i < bytes.count {
            guard let space = bytes[i...].firstIndex(of: 0x20), space > i, space - i <= 10,
                let length = Int(String(decoding: bytes[i..<space], as: UTF8.self)), length > 0
            else { return nil }
            let end = space + 1 + length
            if end > bytes.count { break }  // partial frame: not yet complete
            out.append(String(decoding: bytes[(space + 1)..<end], as: UTF8.self))
            i = end
        }
        return out
    }

    /// Waits (up to `timeout` seconds) until at least `count` frames arrived.
    public func waitForFrames(_ count: Int, timeout: Double = 10) async throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let f = frames, f.count >= count { return f }
            try await Task.sleep(for: .milliseconds(50))
        }
        return frames ?? []
    }

    final class Recorder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<[UInt8]>
        init(received: NIOLockedValueBox<[UInt8]>) { self.received = received }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.withLockedValue { $0 += buffer.readableBytesView }
        }
    }
}
