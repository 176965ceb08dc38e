// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle

/// The serving gateway composed in one place, shaped like the Hummingbird template's `buildApplication`: the public
/// API, the jobs with their intervals, job locks (§7.8) and triggers, and the admin listener. `efgs serve` parses
/// its options and runs what this builds.
public enum GatewayApplication {
    /// The periodic jobs of a serving instance, each under its job lock: batching (also woken by an upload that
    /// reaches `batching.docLimit`), callback delivery (also right after a productive batching run), callback lock
    /// cleanup, key retention and statistics retention.
    public static func jobs(
        _ runtime: GatewayRuntime, batchingTrigger: JobTrigger, callbackTrigger: JobTrigger = JobTrigger()
    ) -> [any Service] {
        let services = runtime.services
        let config = services.config
        @Sendable func locked<T: Sendable>(_ name: String, _ job: @escaping @Sendable () async throws -> T) async throws
            -> T?
        {
            try await runtime.locked(name, job)
        }
        let batching = services.batching
        let retention = services.keyRetention
        let statistics = services.statisticsRetention
        let lockCleanup = services.callbackLockCleanup
        var jobs: [any Service] = [
            PeriodicJobService(
                name: "BatchingService", interval: config.batching.interval, trigger: batchingTrigger, log: services.log
            ) {
                // subscribers hear of new batches within seconds: delivery runs right after a productive run
                let created = try await locked(JobLock.batching) { try await batching.run() }
                if let created, !created.isEmpty { callbackTrigger.fire() }
            },
            PeriodicJobService(
                name: "CallbackCleanup", interval: config.callback.lockCleanupInterval, log: services.log
            ) {
                _ = try await locked(JobLock.callbackLockCleanup) { try await lockCleanup.run() }
            },
            PeriodicJobService(name: "CleanupService", interval: config.retention.interval, log: services.log) {
                _ = try await locked(JobLock.keyRetention) { try await retention.run() }
            },
            PeriodicJobService(
                name: "StatisticsRetention", interval: config.retention.statisticsInterval, log: services.log
            ) {
                _ = try await locked(JobLock.statisticsRetention) { try await statistics.run() }
            },
        ]
        if let client = runtime.callbackClient {
            let executor = services.callbackExecutor(client: client)
            jobs.insert(
                PeriodicJobService(
                    name: "CallbackExecutor", interval: config.callback.executeInterval, trigger: callbackTrigger,
                    log: services.log
                ) {
                    _ = try await locked(JobLock.callbackDelivery) { try await executor.run() }
                }, at: 1)
        }
        return jobs
    }

    /// Opens the runtime of `config` and builds the serving application: the public API with every job and, when
    /// `admin.port` is set, the admin listener serving `registry`. Run it with `runService()`, then close the
    /// runtime.
    ///
    /// - Parameters:
    ///   - callbacks: open the callback identity and run callback delivery (`serve` does; tests may not).
    ///   - commit: the build's git commit (embedded by `tools/release.sh`), for `/readyz` and the `Gateway listening`
    ///     event; nil in a developer build.
    ///   - onListening: called with the public port once the server listens (after the `Gateway listening` event).
    public static func build(
        config: GatewayConfiguration, registry: PrometheusCollectorRegistry, callbacks: Bool = true,
        commit: String? = nil, clock: @escaping @Sendable () -> Date = { Date() },
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws -> (application: some ApplicationProtocol, runtime: GatewayRuntime) {
        try await checkListener(host: config.server.host, port: config.server.port, setting: "server.port")
        _ = try FileDescriptorLimit.check(maxConnections: config.server.maxConnections)
        if let certificate = config.auth.tlsCertificatePath, let key = config.auth.tlsPrivateKeyPath {
            do {
                _ = try ConfigurationCheck.pair(certificate: certificate, key: key)
            } catch {
                throw InvalidSetting(setting: "tls.certificatePath", reason: "\(error)")
            }
        }
        if let adminPort = config.admin.port {
            try await checkListener(host: config.admin.host, port: adminPort, setting: "admin.port")
            if let certificate = config.admin.tlsCertificatePath, let key = config.admin.tlsPrivateKeyPath {
                do {
                    _ = try ConfigurationCheck.pair(certificate: certificate, key: key)
                } catch {
                    throw InvalidSetting(setting: "admin.tlsCertificatePath", reason: "\(error)")
                }
            }
        }
        let batchingTrigger = JobTrigger()
        let runtime = try await GatewayRuntime.open(
            config, callbacks: callbacks, clock: clock, asynchronousLog: true,
            onDocLimitReached: { batchingTrigger.fire() })
        let services = runtime.services
        let startup = services.log.scope("Startup")
        if config.api.allowLegacySha1 { startup.warn("Legacy SHA-1 signatures are enabled") }
        if config.callback.allowLoopback { startup.warn("Loopback callback targets are allowed") }
        let logger = EventLogHandler.logger("efgs.http", eventLog: services.log)
        var background = jobs(runtime, batchingTrigger: batchingTrigger)
        do {
            if let adminPort = config.admin.port {
                background.append(
                    try AdminServer.application(
                        services: services, registry: registry, port: adminPort, logger: logger, commit: commit
                    ) { port in
                        startup.info("Admin listening", ["host": config.admin.host, "port": String(port)])
                    })
            }
            let application = try GatewayServer.application(
                api: GatewayAPI(services: services), services: background, logger: logger
            ) { port in
                startup.info(
                    "Gateway listening",
                    [
                        "host": config.server.host, "port": String(port), "authMode": config.auth.mode.rawValue,
                        "version": EFGSVersion.current, "commit": commit ?? "unknown",
                    ])
                await onListening(port)
            }
            return (application, runtime)
        } catch {
            try? await runtime.close()
            throw error
        }
    }

    /// Refuses a listener address that cannot be bound (in use, not an address of this host, no permission) before
    /// anything is opened or written, naming the setting, host and port.
    static func checkListener(host: String, port: Int, setting: String) async throws {
        guard port != 0 else { return }
        do {
            // SO_REUSEADDR as the server itself binds: connections a stopped gateway closed leave the port in
            // TIME_WAIT for a minute, which is not a listener (a restart right after serving failed here); a
            // listening socket still makes the bind fail
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port).get()
            try await channel.close()
        } catch {
            throw InvalidSetting(setting: setting, reason: "cannot listen on \(host):\(port): \(error)")
        }
    }
}
