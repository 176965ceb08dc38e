// SPDX-License-Identifier: EUPL-1.2

import EFGSClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// The attacker of `efgs soak`: one peer address (127.0.0.2, so the gateway's per-peer limits apply to it and not to
/// the honest countries on 127.0.0.1) holding an onboarded country's certificate, running at once:
/// - **slowloris heads**: TLS connections that send a partial request head, then one more byte every 2 s;
/// - **slow TLS handshakes**: TCP connections that send the first 5 bytes of a TLS record and stall;
/// - **huge bodies**: authenticated uploads announcing 1 GiB and sending as fast as the gateway reads;
/// - **slow-DNS callback PUTs**: subscriptions to hosts under `.invalid` whose lookups fail or hang, and
/// - **mass subscriptions**: callback PUTs with ever new ids, far past the per-country cap.
///
/// Every connection is closed when ``run(until:)`` returns.
final class HostilePeer: Sendable {
    /// What the attack did, for the report.
    struct Counters: Sendable {
        var slowlorisOpened = 0
        var slowlorisCut = 0
        var handshakesOpened = 0
        var handshakesCut = 0
        var hugeBodyConnections = 0
        var hugeBodyBytes = 0
        var callbackPUTs: [Int: Int] = [:]
        var connectFailures = 0
    }

    let gateway: SocketAddress
    let source: SocketAddress
    let tls: NIOSSLContext
    let client: GatewayClient
    let slowlorisConnections: Int
    let stalledHandshakes: Int
    private let state = Mutex(State())

    private struct State {
        var counters = Counters()
        var channels: [ObjectIdentifier: any Channel] = [:]
    }

    var counters: Counters { state.withLock { $0.counters } }

    /// - Parameters:
    ///   - gatewayPort: the gateway's port on 127.0.0.1.
    ///   - certificatePEM, privateKeyPEM: the hostile country's AUTHENTICATION identity.
    ///   - serverCertificatePEM: the gateway's certificate, trusted for `localhost`.
    ///   - client: a ``GatewayClient`` of the hostile country (callback PUTs).
    init(
        gatewayPort: Int, certificatePEM: String, privateKeyPEM: String, serverCertificatePEM: String,
        client: GatewayClient, slowlorisConnections: Int, stalledHandshakes: Int
    ) throws {
        gateway = try SocketAddress(ipAddress: "127.0.0.1", port: gatewayPort)
        source = try SocketAddress(ipAddress: "127.0.0.2", port: 0)
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)).map {
            .certificate($0)
        }
        configuration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem))
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(serverCertificatePEM.utf8)))
        tls = try NIOSSLContext(configuration: configuration)
        self.client = client
        self.slowlorisConnections = slowlorisConnections
        self.stalledHandshakes = stalledHandshakes
    }

    /// Attacks until `deadline`, then closes every connection it holds.
    func run(until deadline: ContinuousClock.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<slowlorisConnections { group.addTask { await self.slowloris(until: deadline) } }
            for _ in 0..<stalledHandshakes { group.addTask { await self.stalledHandshake(until: deadline) } }
            for _ in 0..<2 { group.addTask { await self.hugeBodies(until: deadline) } }
            for worker in 0..<4 { group.addTask { await self.callbackPUTs(worker, until: deadline) } }
            group.addTask {
                try? await Task.sleep(until: deadline)
                // writes the gateway never reads stay pending: closing the channels ends them
                let open = self.state.withLock { Array($0.channels.values) }
                for channel in open { try? await channel.close() }
            }
        }
    }

    // MARK: - Attacks

    func slowloris(until deadline: ContinuousClock.Instant) async {
        while ContinuousClock.now < deadline {
            guard let channel = await connect(tls: true) else { continue }
            let opened = ContinuousClock.now
            count { $0.slowlorisOpened += 1 }
            do {
                try await channel.writeAndFlush(
                    ByteBuffer(string: "POST /diagnosiskeys/upload HTTP/1.1\r\nHost: efgs\r\n"))
                while ContinuousClock.now < deadline && channel.isActive {
                    try await Task.sleep(for: .seconds(2))
                    guard channel.isActive else { break }
                    try await channel.writeAndFlush(ByteBuffer(string: "X"))
                }
            } catch {}
            await reopenPause(channel, opened: opened, deadline: deadline) { $0.slowlorisCut += 1 }
        }
    }

    func stalledHandshake(until deadline: ContinuousClock.Instant) async {
        while ContinuousClock.now < deadline {
            guard let channel = await connect(tls: false) else { continue }
            let opened = ContinuousClock.now
            count { $0.handshakesOpened += 1 }
            // a handshake record header announcing 512 bytes that never come
            try? await channel.writeAndFlush(ByteBuffer(bytes: [0x16, 0x03, 0x01, 0x02, 0x00]))
            while channel.isActive && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(250))
            }
            await reopenPause(channel, opened: opened, deadline: deadline) { $0.handshakesCut += 1 }
        }
    }

    func hugeBodies(until deadline: ContinuousClock.Instant) async {
        let chunk = ByteBuffer(repeating: 0x0A, count: 64 * 1024)
        while ContinuousClock.now < deadline {
            guard let channel = await connect(tls: true) else { continue }
            count { $0.hugeBodyConnections += 1 }
            let head =
                "POST /diagnosiskeys/upload HTTP/1.1\r\nHost: efgs\r\nContent-Type: application/protobuf; version=1.0\r\n"
                + "batchTag: huge\r\nbatchSignature: AAAA\r\nContent-Length: 1073741824\r\n\r\n"
            do {
                try await channel.writeAndFlush(ByteBuffer(string: head))
                var sent = 0
                while channel.isActive && ContinuousClock.now < deadline && sent < 256 * 1024 * 1024 {
                    try await channel.writeAndFlush(chunk)
                    sent += chunk.readableBytes
                    count { $0.hugeBodyBytes += chunk.readableBytes }
                }
            } catch {}
            await release(channel)
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    func callbackPUTs(_ worker: Int, until deadline: ContinuousClock.Instant) async {
        var n = 0
        while ContinuousClock.now < deadline {
            n += 1
            // slow or failing DNS on odd requests, ever new subscription ids on all of them
            let url =
                n % 2 == 1
                ? "https://cb-\(worker)-\(n).slow-dns.invalid/callback" : "https://callback.hostile.example/\(n)"
            let status: Int
            do {
                status = try await client.send(
                    method: .PUT, path: "/diagnosiskeys/callback/hostile-\(worker)-\(n)?url=\(url)"
                ).status
            } catch {
                status = 0
            }
            count { $0.callbackPUTs[status, default: 0] += 1 }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    // MARK: - Connections

    private func connect(tls: Bool) async -> (any Channel)? {
        let context = self.tls
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(to: source)
                .connectTimeout(.seconds(5))
                .channelInitializer { channel in
                    guard tls else { return channel.eventLoop.makeSucceededVoidFuture() }
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    }
                }
                .connect(to: gateway).get()
            state.withLock { $0.channels[ObjectIdentifier(channel)] = channel }
            return channel
        } catch {
            count { $0.connectFailures += 1 }
            try? await Task.sleep(for: .milliseconds(200))
            return nil
        }
    }

    /// After a connection ends: counts it as cut when the gateway closed it before `deadline`, and waits a second
    /// before the next one when it lived less than that (the gateway refused it at once, over the per-peer cap):
    /// the attack holds connections open, it is not a connection-rate flood — that is the firewall's job, not one
    /// an application can do (docs/deployment.md).
    private func reopenPause(
        _ channel: any Channel, opened: ContinuousClock.Instant, deadline: ContinuousClock.Instant,
        cut: (inout Counters) -> Void
    ) async {
        let closedByGateway = !channel.isActive && ContinuousClock.now < deadline
        await release(channel)
        if closedByGateway { count(cut) }
        if ContinuousClock.now - opened < .seconds(1) { try? await Task.sleep(for: .seconds(1)) }
    }

    private func release(_ channel: any Channel) async {
        _ = state.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
        try? await channel.close()
    }

    private func count(_ change: (inout Counters) -> Void) {
        state.withLock { change(&$0.counters) }
    }
}
