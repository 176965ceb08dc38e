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
    return try await serving(application, port: ports, body)
}

/// Runs `application` until `body`, called with the port it reports on `ports` once listening, returns (structured:
/// the server stops before this returns, also when `body` throws).
func serving<App: ApplicationProtocol, T: Sendable>(
    _ application: App, port ports: AsyncStream<Int>, _ body: @escaping @Sendable (_ port: Int) async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            try await application.runService()
            return nil
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        let result = try await body(port)
        group.cancelAll()
        while try await group.next() != nil {}
        return result
    }
}
