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
    return try await serving(application, port: ports, logger: logger, body)
}

/// Runs `application` until `body`, called with the port it reports on `ports` once listening, returns: the server
/// is shut down gracefully (``InProcessServer``) before this returns, also when `body` throws.
func serving<App: ApplicationProtocol & Sendable, T: Sendable>(
    _ application: App, port ports: AsyncStream<Int>, logger: Logger,
    _ body: @escaping @Sendable (_ port: Int) async throws -> T
) async throws -> T {
    let server = InProcessServer(application, logger: logger)
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else {
        await server.stop()
        throw CancellationError()
    }
    do {
        let result = try await body(port)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}
