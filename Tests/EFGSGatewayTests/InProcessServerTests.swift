// SPDX-License-Identifier: EUPL-1.2

import EFGSGateway
import EFGSTestSupport
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import XCTest

/// ``InProcessServer``: stopping a server answers what it had accepted and never crashes the process.
final class InProcessServerTests: XCTestCase {
    /// A request under way when the server is stopped is still answered, and the server is closed after. Until
    /// 2026-12-04 the demo, the benchmark, the load generator's callback endpoints and the tests stopped their
    /// servers by cancelling the task that ran them, which cut such a request off (and could crash the process,
    /// below).
    func testARequestUnderWayWhenStoppedIsAnswered() async throws {
        let started = try await Self.start()
        let (server, port) = (started.server, started.port)
        async let answer = Self.get(port: port, path: "/slow")
        try await Task.sleep(for: .milliseconds(200))  // the request has arrived; its handler sleeps 600 ms
        let stopping = ContinuousClock.now
        await server.stop()
        let head = try await answer
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 200"), head)
        XCTAssertLessThan(ContinuousClock.now - stopping, .seconds(5), "stopped once the request was answered")
        let refused = await Self.connects(port: port)
        XCTAssertFalse(refused, "no longer listening")
    }

    /// Servers stopped while connections keep arriving end without crashing the process. With the task cancelled
    /// instead, a connection accepted just before was dropped unread and NIO trapped ("Deinited NIOAsyncWriter
    /// without calling finish()", swift-nio issues 2637 and 3481): `efgs load run` crashed so at the end of
    /// `tools/load-scenario.sh` on 2026-12-04.
    func testStoppingWhileConnectionsArriveDoesNotCrash() async throws {
        for _ in 0..<20 {
            let started = try await Self.start()
            let port = started.port
            let connecting = Task { await InProcessServerTests.keepConnecting(port: port) }
            try await Task.sleep(for: .milliseconds(20))
            await started.server.stop(within: .seconds(5))
            connecting.cancel()
            _ = await connecting.value
        }
    }

    /// A server on a free loopback port: `/slow` answers after 600 ms.
    static func start() async throws -> (server: InProcessServer, port: Int) {
        var logger = Logger(label: "efgs.test.in-process")
        logger.logLevel = .critical
        let router = Router()
        router.get("slow") { _, _ -> String in
            try await Task.sleep(for: .milliseconds(600))
            return "slow"
        }
        return try await startOnLoopback(router, logger: logger)
    }

    /// Opens and closes connections to `port` until cancelled (at most 2000).
    static func keepConnecting(port: Int) async {
        for _ in 0..<2000 where !Task.isCancelled {
            _ = await connects(port: port)
        }
    }

    /// Whether a TCP connection to `port` on loopback opens (it is closed again at once).
    static func connects(port: Int) async -> Bool {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(2)).connect(host: "127.0.0.1", port: port).get()
            try? await channel.close()
            return true
        } catch {
            return false
        }
    }

    /// The status line and headers of `GET path` on a connection of its own.
    static func get(port: Int, path: String) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n"))
            var received = ""
            for try await piece in inbound {
                received += String(buffer: piece)
                if received.contains("\r\n\r\n") { break }
            }
            return received
        }
    }
}
