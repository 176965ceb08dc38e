// SPDX-License-Identifier: EUPL-1.2

import EFGSGateway
import Hummingbird
import Logging

/// The public API served in process on a free loopback port for the length of `body` (structured: the server
/// stops before this returns, also when `body` throws).
public func withRunningGateway<T: Sendable>(
    _ api: GatewayAPI, _ body: @escaping @Sendable (_ port: Int) async throws -> T
) async throws -> T {
    var logger = Logger(label: "efgs.test")
    logger.logLevel = .critical
    let (ports, portSink) = AsyncStream<Int>.makeStream()
    let application = try GatewayServer.application(api: api, services: [], logger: logger) { port in
        portSink.yield(port)
        portSink.finish()
    }
    return try await serving(try await startServing(application, port: ports, logger: logger), body)
}

/// Starts serving `application` (``InProcessServer``) and waits for the port it reports on `ports` once listening.
public func startServing<App: ApplicationProtocol & Sendable>(
    _ application: App, port ports: AsyncStream<Int>, logger: Logger
) async throws -> (server: InProcessServer, port: Int) {
    let server = InProcessServer(application, logger: logger)
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else {
        await server.stop()
        throw CancellationError()
    }
    return (server, port)
}

/// `router` served on a free loopback port (plain HTTP), started.
public func startOnLoopback(
    _ router: Router<BasicRequestContext>, logger: Logger
) async throws -> (server: InProcessServer, port: Int) {
    let (ports, portSink) = AsyncStream<Int>.makeStream()
    let application = Application(
        router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in
            portSink.yield(channel.localAddress?.port ?? 0)
            portSink.finish()
        }, logger: logger)
    return try await startServing(application, port: ports, logger: logger)
}

/// Runs `body` with the port of the `started` server, then shuts the server down gracefully (``InProcessServer``)
/// before returning, also when `body` throws.
func serving<T: Sendable>(
    _ started: (server: InProcessServer, port: Int), _ body: @escaping @Sendable (_ port: Int) async throws -> T
) async throws -> T {
    do {
        let result = try await body(started.port)
        await started.server.stop()
        return result
    } catch {
        await started.server.stop()
        throw error
    }
}
