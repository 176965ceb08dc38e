import ArgumentParser
import EFGSCrypto
import EFGSGateway
import EFGSProtocol
import EFGSStore
import Foundation
import Logging
import Metrics
import Prometheus
import Hummingbird

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
        do {
            return try await GatewayConfiguration.load(path: config)
        } catch let error as InvalidSetting {
            throw ValidationError(error.description)
        }
    }
}

/// Runs `body`, printing an ``InvalidSetting`` as the one line that names the setting.
func explained<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as InvalidSetting {
        throw ValidationError(error.description)
    }
}

/// The CLI's side of ``GatewayRuntime``: options in, and every ``InvalidSetting`` printed as one line naming the
/// setting.
extension GatewayRuntime {
    static func open(_ option: ConfigOption, callbacks: Bool = false) async throws -> GatewayRuntime {
        let config = try await option.load()
        return try await explained { try await open(config, callbacks: callbacks) }
    }

    /// Opens the runtime, runs `body`, and closes it whether `body` returns or throws (one-shot commands).
    static func with<T>(
        _ option: ConfigOption, callbacks: Bool = false, _ body: (GatewayRuntime) async throws -> T
    ) async throws -> T {
        let config = try await option.load()
        return try await explained { try await with(config, callbacks: callbacks, body) }
    }

    /// Runs a one-shot job under its job lock (§7.8); nil when another instance holds it (a message says so).
    func lockedOnce<T: Sendable>(_ name: String, _ job: @escaping @Sendable () async throws -> T) async throws -> T? {
        let result = try await locked(name, job)
        if result == nil { print("the \(name) job lock is held by another instance; nothing done") }
        return result
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway: the HTTP API, batching, callback delivery and lock cleanup, key and statistics "
            + "retention, and the admin listener when admin.port is set.")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try await options.load()
        // metrics: swift-metrics → swift-prometheus, served on the admin listener when admin.port is set
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let built = try await explained { try await GatewayApplication.build(config: config, registry: registry) }
        try await built.application.runService()
        try await built.runtime.close()
    }
}


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
        guard let created = try await GatewayRuntime.with(options, { rt in try await rt.lockedOnce(JobLock.batching) { try await rt.services.batching.run() } }) else { return }
        print("created \(created.count) download batch(es)\(created.isEmpty ? "" : ": " + created.map { "\($0.tag) (\($0.keyCount) keys)" }.joined(separator: ", "))")
    }
}

struct PurgeKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "purge-keys", abstract: "Run one key-retention pass (retention.keyRetentionDays).")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        guard let r = try await GatewayRuntime.with(options, { rt in try await rt.lockedOnce(JobLock.keyRetention) { try await rt.services.keyRetention.run() } }) else { return }
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
            try await rt.lockedOnce(JobLock.statisticsRetention) {
                (try await rt.services.statisticsRetention.run(), rt.services.config.retention.statisticsRetentionDays)
            }
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
            try await rt.lockedOnce(JobLock.callbackDelivery) {
                let summary = try await rt.services.callbackExecutor(client: rt.callbackClient!).run()
                return (summary, try await rt.services.store.pendingCallbackTaskCount())
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
        guard let n = try await GatewayRuntime.with(options, { rt in try await rt.lockedOnce(JobLock.callbackLockCleanup) { try await rt.services.callbackLockCleanup.run() } }) else { return }
        print("released \(n) lock(s)")
    }
}
