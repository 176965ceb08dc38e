import ArgumentParser
import EFGSCrypto
import EFGSGateway
import EFGSProtocol
import EFGSStore
import Foundation
import Logging

@main
struct EFGSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "efgs",
        abstract: "European Federation Gateway Service: the hub national backends exchange diagnosis keys through.",
        subcommands: [Serve.self, Migrate.self, Demo.self, TrustAnchorCommand.self, CertCommand.self, Batch.self, PurgeKeys.self,
                      PurgeStatistics.self, Benchmark.self])
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

/// Opens configuration, trust anchor, store (migrated) and the gateway core.
struct GatewayRuntime {
    let gateway: Gateway
    let store: SQLGatewayStore

    static func open(_ option: ConfigOption, clock: @escaping @Sendable () -> Date = { Date() }, onDocLimitReached: @escaping @Sendable () -> Void = {}) async throws -> GatewayRuntime {
        let config = try await option.load()
        let log = EventLog(minimumLevel: config.logLevel)
        let anchor: TrustAnchor
        do { anchor = try TrustAnchor(path: config.trustAnchorPath) } catch {
            log.scope("CertificateService").error("Could not load EFGS-TrustAnchor.", ["path": config.trustAnchorPath])
            throw ValidationError("trustAnchor.certificatePath: \(error)")
        }
        let store = try await SQLGatewayStore.open(url: config.databaseURL, logger: Logger(label: "efgs.store"))
        try await store.migrate()
        let gateway = try Gateway(config: config, store: store, trustAnchor: anchor, log: log, clock: clock, onDocLimitReached: onDocLimitReached)
        return GatewayRuntime(gateway: gateway, store: store)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway: HTTP API plus the batching, key-retention and statistics jobs.")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let trigger = JobTrigger()
        let runtime = try await GatewayRuntime.open(options, onDocLimitReached: { trigger.fire() })
        let gw = runtime.gateway
        let startup = gw.log.scope("Startup")
        if gw.config.allowLegacySha1 { startup.warn("Legacy SHA-1 signatures are enabled") }
        if gw.config.callbackAllowLoopback { startup.warn("Loopback callback targets are allowed") }
        let batching = BatchingJob(gateway: gw), retention = KeyRetentionJob(gateway: gw), stats = StatisticsRetentionJob(gateway: gw)
        let services: [any Service] = [
            PeriodicJobService(name: "BatchingService", interval: gw.config.batchingInterval, trigger: trigger, log: gw.log) { try await batching.run() },
            PeriodicJobService(name: "CleanupService", interval: gw.config.retentionInterval, log: gw.log) { try await retention.run() },
            PeriodicJobService(name: "StatisticsRetention", interval: 86_400, log: gw.log) { try await stats.run() },
        ]
        var logger = Logger(label: "efgs")
        logger.logLevel = .warning
        let app = try GatewayServer.application(gateway: gw, services: services, logger: logger) { port in
            gw.log.scope("Startup").info("Gateway listening", ["host": gw.config.serverHost, "port": String(port), "authMode": gw.config.authMode.rawValue])
        }
        try await app.runService()
        try await runtime.store.close()
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
        let runtime = try await GatewayRuntime.open(options)
        let created = try await BatchingJob(gateway: runtime.gateway).run()
        print("created \(created.count) download batch(es)\(created.isEmpty ? "" : ": " + created.map { "\($0.tag) (\($0.keyCount) keys)" }.joined(separator: ", "))")
        try await runtime.store.close()
    }
}

struct PurgeKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "purge-keys", abstract: "Run one key-retention pass (retention.keyRetentionDays).")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let runtime = try await GatewayRuntime.open(options)
        let r = try await KeyRetentionJob(gateway: runtime.gateway).run()
        print("deleted \(r.keysDeleted) key(s) accepted before \(UTCTimestamp.format(epochMillis: r.cutoff)); \(r.keysAfter) remain")
        try await runtime.store.close()
    }
}

struct PurgeStatistics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge-statistics",
        abstract: "Run one statistics-retention pass (retention.statisticsRetentionDays): statistics rows, old download batches (never the newest) and old callback tasks.")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let runtime = try await GatewayRuntime.open(options)
        let n = try await StatisticsRetentionJob(gateway: runtime.gateway).run()
        print("deleted \(n) row(s) older than \(runtime.gateway.config.statisticsRetentionDays) days")
        try await runtime.store.close()
    }
}
