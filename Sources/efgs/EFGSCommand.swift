import ArgumentParser
import EFGSCrypto
import EFGSGateway
import EFGSProtocol
import EFGSStore
import Foundation
import Logging
import Metrics
import Prometheus

@main
struct EFGSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "efgs",
        abstract: "European Federation Gateway Service: the hub national backends exchange diagnosis keys through.",
        version: EFGSVersion.current,
        subcommands: [Serve.self, Migrate.self, Demo.self, TrustAnchorCommand.self, CertCommand.self, ClientCommand.self, Readiness.self, Batch.self, PurgeKeys.self,
                      PurgeStatistics.self, DeliverCallbacks.self, ReleaseCallbackLocks.self, CountryCommand.self, Benchmark.self])
}

/// `--config` shared by every command that touches the gateway's state.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "YAML configuration file (settings of PROTOCOL.md §9; environment variables such as SERVER_PORT override it).")
    var config: String?

    func load() async throws -> GatewayConfiguration {
        do { return try await GatewayConfiguration.load(path: config) } catch let e as GatewayConfiguration.InvalidSetting {
            throw ValidationError(e.description)
        }
    }
}

/// Opens configuration, trust anchor, store (migrated) and the gateway core; with `callbacks`, also the identity
/// presented to callback servers — checked before the store is opened, so a missing identity stops start-up cleanly.
struct GatewayRuntime {
    let gateway: Gateway
    let store: SQLGatewayStore
    /// Present when opened with `callbacks: true`.
    let callbackClient: CallbackClient?

    static func open(_ option: ConfigOption, callbacks: Bool = false, clock: @escaping @Sendable () -> Date = { Date() },
                     onDocLimitReached: @escaping @Sendable () -> Void = {}) async throws -> GatewayRuntime {
        let config = try await option.load()
        var syslog: SyslogForwarder?
        if let settings = config.syslog {
            do { syslog = try SyslogForwarder(settings: settings) } catch {
                throw ValidationError("logging.syslog.caPath: \(error)")
            }
        }
        let log = EventLog(minimumLevel: config.logLevel, syslog: syslog)
        let anchor: TrustAnchor
        do { anchor = try TrustAnchor(path: config.trustAnchorPath) } catch {
            log.scope("CertificateService").error("Could not load EFGS-TrustAnchor.", ["path": config.trustAnchorPath])
            await syslog?.shutdown()
            throw ValidationError("trustAnchor.certificatePath: \(error)")
        }
        let callbackClient: CallbackClient?
        let store: SQLGatewayStore
        do {
            callbackClient = callbacks ? try Self.callbackClient(config) : nil
            store = try await SQLGatewayStore.open(url: config.databaseURL, logger: Logger(label: "efgs.store"))
        } catch {
            await syslog?.shutdown()
            throw error
        }
        do {
            try await store.migrate()
            let gateway = try Gateway(config: config, store: store, trustAnchor: anchor, log: log, clock: clock, onDocLimitReached: onDocLimitReached)
            return GatewayRuntime(gateway: gateway, store: store, callbackClient: callbackClient)
        } catch {
            try? await store.close()
            await syslog?.shutdown()
            throw error
        }
    }

    /// Closes the store and sends what the syslog copy still holds (waiting at most 5 s for the collector).
    func close() async throws {
        do { try await store.close() } catch {
            await gateway.log.syslog?.shutdown()
            throw error
        }
        await gateway.log.syslog?.shutdown()
    }

    /// Opens the runtime, runs `body`, and closes the store whether `body` returns or throws (one-shot commands).
    static func with<T>(_ option: ConfigOption, callbacks: Bool = false, _ body: (GatewayRuntime) async throws -> T) async throws -> T {
        let runtime = try await open(option, callbacks: callbacks)
        do {
            let result = try await body(runtime)
            try await runtime.close()
            return result
        } catch {
            try? await runtime.close()
            throw error
        }
    }

    /// Runs a one-shot job under its job lock (§7.8); nil when another instance holds it (a message says so).
    func locked<T: Sendable>(_ name: String, _ job: @escaping @Sendable () async throws -> T) async throws -> T? {
        let result = try await JobLock(name, gateway: gateway).run(job)
        if result == nil { print("the \(name) job lock is held by another instance; nothing done") }
        return result
    }

    /// The identity presented to callback servers; required by the commands that deliver callbacks (§9).
    static func callbackClient(_ config: GatewayConfiguration) throws -> CallbackClient {
        guard let cert = config.callbackClientCertificatePath, let key = config.callbackClientKeyPath else {
            throw ValidationError("callback.clientCertificatePath: required — the client certificate and key (callback.clientKeyPath) presented to callback servers")
        }
        do {
            return try CallbackClient(certificatePath: cert, keyPath: key, timeout: config.callbackTimeout, proxyURL: config.callbackProxyURL)
        } catch let e as CallbackClient.IdentityError {
            throw ValidationError(e.description)
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway: HTTP API plus the batching, key-retention and statistics jobs.")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let batchingTrigger = JobTrigger(), callbackTrigger = JobTrigger()
        let runtime = try await GatewayRuntime.open(options, callbacks: true, onDocLimitReached: { batchingTrigger.fire() })
        let gw = runtime.gateway
        let callbackClient = runtime.callbackClient!
        let startup = gw.log.scope("Startup")
        if gw.config.allowLegacySha1 { startup.warn("Legacy SHA-1 signatures are enabled") }
        if gw.config.callbackAllowLoopback { startup.warn("Loopback callback targets are allowed") }
        let batching = BatchingJob(gateway: gw), retention = KeyRetentionJob(gateway: gw), stats = StatisticsRetentionJob(gateway: gw)
        let executor = CallbackExecutor(gateway: gw, client: callbackClient), lockCleanup = CallbackLockCleanupJob(gateway: gw)
        // each job takes its job lock (§7.8): with several instances on one database, one runs it at a time
        @Sendable func locked<T: Sendable>(_ name: String, _ job: @escaping @Sendable () async throws -> T) async throws -> T? {
            try await JobLock(name, gateway: gw).run(job)
        }
        let services: [any Service] = [
            PeriodicJobService(name: "BatchingService", interval: gw.config.batchingInterval, trigger: batchingTrigger, log: gw.log) {
                // subscribers hear of new batches within seconds: the executor runs right after a productive batching run
                if let created = try await locked(JobLock.batching, { try await batching.run() }), !created.isEmpty { callbackTrigger.fire() }
            },
            PeriodicJobService(name: "CallbackExecutor", interval: gw.config.callbackExecuteInterval, trigger: callbackTrigger, log: gw.log) {
                _ = try await locked(JobLock.callbackDelivery) { try await executor.run() }
            },
            PeriodicJobService(name: "CallbackCleanup", interval: 60, log: gw.log) {
                _ = try await locked(JobLock.callbackLockCleanup) { try await lockCleanup.run() }
            },
            PeriodicJobService(name: "CleanupService", interval: gw.config.retentionInterval, log: gw.log) {
                _ = try await locked(JobLock.keyRetention) { try await retention.run() }
            },
            PeriodicJobService(name: "StatisticsRetention", interval: 86_400, log: gw.log) {
                _ = try await locked(JobLock.statisticsRetention) { try await stats.run() }
            },
        ]
        var logger = Logger(label: "efgs")
        logger.logLevel = .warning
        // metrics: swift-metrics → swift-prometheus, served on the admin listener when admin.port is set
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var allServices = services
        if let adminPort = gw.config.adminPort {
            allServices.append(AdminServer.application(gateway: gw, registry: registry, port: adminPort, logger: logger) { port in
                gw.log.scope("Startup").info("Admin listening", ["host": gw.config.adminHost, "port": String(port)])
            })
        }
        let app = try GatewayServer.application(gateway: gw, services: allServices, logger: logger) { port in
            gw.log.scope("Startup").info("Gateway listening", ["host": gw.config.serverHost, "port": String(port), "authMode": gw.config.authMode.rawValue])
        }
        try await app.runService()
        try await runtime.close()
    }
}

import ServiceLifecycle

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending schema migrations and print the schema version.")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try await options.load()
        let store = try await SQLGatewayStore.open(url: config.databaseURL, logger: Logger(label: "efgs.store"))
        let applied = try await store.migrate()
        print("schema version \(try await store.schemaVersion()) (applied now: \(applied.isEmpty ? "none" : applied.map(String.init).joined(separator: ", ")))")
        try await store.close()
    }
}

struct Batch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run one batching pass: group unbatched upload batches into download batches.")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        guard let created = try await GatewayRuntime.with(options, { rt in try await rt.locked(JobLock.batching) { try await BatchingJob(gateway: rt.gateway).run() } }) else { return }
        print("created \(created.count) download batch(es)\(created.isEmpty ? "" : ": " + created.map { "\($0.tag) (\($0.keyCount) keys)" }.joined(separator: ", "))")
    }
}

struct PurgeKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "purge-keys", abstract: "Run one key-retention pass (retention.keyRetentionDays).")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        guard let r = try await GatewayRuntime.with(options, { rt in try await rt.locked(JobLock.keyRetention) { try await KeyRetentionJob(gateway: rt.gateway).run() } }) else { return }
        print("deleted \(r.keysDeleted) key(s) accepted before \(UTCTimestamp.format(epochMillis: r.cutoff)); \(r.keysAfter) remain")
    }
}

struct PurgeStatistics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge-statistics",
        abstract: "Run one statistics-retention pass (retention.statisticsRetentionDays): statistics rows, old download batches (never the newest) and old callback tasks.")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        guard let (n, days) = try await GatewayRuntime.with(options, { rt in
            try await rt.locked(JobLock.statisticsRetention) { (try await StatisticsRetentionJob(gateway: rt.gateway).run(), rt.gateway.config.statisticsRetentionDays) }
        }) else { return }
        print("deleted \(n) row(s) older than \(days) days")
    }
}

struct DeliverCallbacks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver-callbacks", abstract: "Run one callback-delivery pass: deliver every eligible callback task (§7.5).")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        guard let (s, pending) = try await GatewayRuntime.with(options, callbacks: true, { rt in
            try await rt.locked(JobLock.callbackDelivery) {
                (try await CallbackExecutor(gateway: rt.gateway, client: rt.callbackClient!).run(), try await rt.store.pendingCallbackTaskCount())
            }
        }) else { return }
        print("delivered \(s.delivered), failed \(s.failed) (dropped after the last retry: \(s.dropped)); \(pending) task(s) pending")
    }
}

struct ReleaseCallbackLocks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release-callback-locks", abstract: "Clear callback-task locks older than callback.taskLockTimeout (abandoned by a crashed executor).")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        guard let n = try await GatewayRuntime.with(options, { rt in try await rt.locked(JobLock.callbackLockCleanup) { try await CallbackLockCleanupJob(gateway: rt.gateway).run() } }) else { return }
        print("released \(n) lock(s)")
    }
}
