// SPDX-License-Identifier: EUPL-1.2

import EFGSGateway
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOSSL

/// A national backend's callback endpoint (PROTOCOL.md §7.5), as the demo and `efgs readiness` run it: HTTPS
/// (Hummingbird with TLS) that records each `GET …?batchTag=…&date=…` notification. With `trustedClients` it
/// requires one of those client certificates (the gateway's callback client identity); without, it asks for none.
actor CallbackEndpoint {
    struct Notice: Sendable {
        var batchTag: String
        var date: String
    }
    private(set) var notices: [Notice] = []
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var server: InProcessServer?
    private(set) var port = 0

    func record(_ n: Notice) {
        notices.append(n)
        for w in waiters { w.resume() }
        waiters = []
    }

    /// The first notice, waiting at most `timeout` seconds.
    func firstNotice(timeout: Double) async -> Notice? {
        if let first = notices.first { return first }
        let deadline = Task { [weak self] in
            try? await Task.sleep(for: .seconds(timeout))
            await self?.wakeAll()
        }
        await withCheckedContinuation { waiters.append($0) }
        deadline.cancel()
        return notices.first
    }

    private func wakeAll() {
        for w in waiters { w.resume() }
        waiters = []
    }

    static func start(
        certificateDER: [UInt8], privateKeyPEM: String, trustedClients: [[UInt8]]? = nil,
        host: String = "127.0.0.1", port: Int = 0, path: String = "efgs/callback"
    ) async throws -> CallbackEndpoint {
        let endpoint = CallbackEndpoint()
        let router = Router()
        router.get(RouterPath(path)) { request, _ -> HTTPResponse.Status in
            guard let tag = request.uri.queryParameters["batchTag"], let date = request.uri.queryParameters["date"]
            else { return .badRequest }
            await endpoint.record(Notice(batchTag: String(tag), date: String(date)))
            return .ok
        }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: certificateDER, format: .der))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)))
        if let trustedClients {
            tls.certificateVerification = .noHostnameVerification  // mutual TLS: only the listed client certificates
            tls.trustRoots = .certificates(try trustedClients.map { try NIOSSLCertificate(bytes: $0, format: .der) })
        }
        let portBox = PortBox()
        var logger = Logger(label: "efgs.callback-endpoint")
        logger.logLevel = .critical
        let app = Application(
            router: router, server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { await portBox.set($0.localAddress?.port ?? 0) }, logger: logger)
        await endpoint.run(app, portBox: portBox, logger: logger)
        let bound = await portBox.wait()
        guard bound > 0 else { throw ListenError(address: "\(host):\(port)") }
        await endpoint.setPort(bound)
        return endpoint
    }

    struct ListenError: Error, CustomStringConvertible {
        var address: String
        var description: String { "cannot listen on \(address)" }
    }

    private func run(_ app: some ApplicationProtocol & Sendable, portBox: PortBox, logger: Logger) {
        let server = InProcessServer(app, logger: logger)
        self.server = server
        Task {
            // start() is waiting for the port: a server that could not listen ends at once
            if (try? await server.ended()) == nil { await portBox.set(-1) }
        }
    }
    private func setPort(_ p: Int) { port = p }

    /// Stops serving, gracefully (``InProcessServer``): a callback arriving just then is still answered.
    func stop() async throws {
        await server?.stop()
    }
}
