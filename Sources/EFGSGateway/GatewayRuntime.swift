// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSStore
import Foundation
import Logging

/// The gateway opened from its configuration: event log (with its syslog copy), trust anchor, migrated store and
/// the services; with `callbacks`, also the identity presented to callback servers — checked before the store is
/// opened, so a missing identity stops start-up cleanly. `serve` and every one-shot command run on one.
public struct GatewayRuntime: Sendable {
    /// The services over the opened store.
    public let services: GatewayServices
    /// The callback client; present when opened with `callbacks: true`.
    public let callbackClient: CallbackClient?

    /// Opens everything `config` names; on failure closes what it opened.
    ///
    /// - Parameter asynchronousLog: the event log writes stdout from a thread of its own (``EventLog``), so that a
    ///   stalled stdout stops no request; for `efgs serve`.
    /// - Throws: ``InvalidSetting`` naming the setting (trust anchor, syslog CA, callback identity), or the
    ///   store's error.
    public static func open(
        _ config: GatewayConfiguration, callbacks: Bool = false, clock: @escaping @Sendable () -> Date = { Date() },
        asynchronousLog: Bool = false, onDocLimitReached: @escaping @Sendable () -> Void = {}
    ) async throws -> GatewayRuntime {
        var syslog: SyslogForwarder?
        if let settings = config.logging.syslog {
            do {
                syslog = try SyslogForwarder(settings: settings)
            } catch {
                throw InvalidSetting(setting: "logging.syslog.caPath", reason: "\(error)")
            }
        }
        let log = EventLog(minimumLevel: config.logging.level, syslog: syslog, asynchronous: asynchronousLog)
        let anchor: TrustAnchor
        do {
            anchor = try TrustAnchor(path: config.trustAnchorPath)
        } catch {
            log.scope("CertificateService").error("Could not load EFGS-TrustAnchor.", ["path": config.trustAnchorPath])
            await syslog?.shutdown()
            log.close()
            throw InvalidSetting(setting: "trustAnchor.certificatePath", reason: "\(error)")
        }
        var next: TrustAnchor?
        if let path = config.nextTrustAnchorPath {
            do {
                next = try TrustAnchor(path: path)
            } catch {
                await syslog?.shutdown()
                log.close()
                throw InvalidSetting(setting: "trustAnchor.nextCertificatePath", reason: "\(error)")
            }
        }
        let callbackClient: CallbackClient?
        let store: any GatewayStore
        do {
            callbackClient = callbacks ? try Self.callbackClient(config.callback) : nil
            store = try await openStore(config.database, logger: EventLogHandler.logger("efgs.store", eventLog: log))
        } catch {
            await syslog?.shutdown()
            log.close()
            throw error
        }
        do {
            try await store.migrate()
            if let problem = try await TrustAnchorCheck(
                store: store, trustAnchor: TrustAnchors(current: anchor, next: next)
            )
            .problem() {
                throw InvalidSetting(setting: "trustAnchor.certificatePath", reason: problem)
            }
            try await StorageKeyCheck(store: store, keys: config.storage).verifyAndRecord()
            let services = try GatewayServices(
                config: config, store: store, trustAnchor: anchor, nextTrustAnchor: next, log: log, clock: clock,
                onDocLimitReached: onDocLimitReached)
            return GatewayRuntime(services: services, callbackClient: callbackClient)
        } catch {
            try? await store.close()
            await syslog?.shutdown()
            log.close()
            throw error
        }
    }

    /// Opens the store `settings.url` names and makes one round trip within `settings.connectTimeout`.
    ///
    /// - Throws: ``InvalidSetting`` naming `database.url` (password masked) when the database cannot be reached
    ///   in time or refuses the connection.
    public static func openStore(_ settings: DatabaseSettings, logger: Logger) async throws -> any GatewayStore {
        let masked = settings.maskedURL
        let timeout = settings.connectTimeout
        let unreachable = { @Sendable (reason: String) in
            InvalidSetting(setting: "database.url", reason: "cannot reach \(masked): \(reason)")
        }
        let store: any GatewayStore
        do {
            store = try await SQLGatewayStore.open(
                url: settings.url, leaseTimeout: .milliseconds(Int64(settings.leaseTimeout * 1000)),
                sqliteCacheMegabytes: settings.sqliteCacheMegabytes, logger: logger)
        } catch {
            throw unreachable("\(error)")
        }
        do {
            try await withDeadline(
                seconds: timeout,
                onTimeout: { unreachable("no answer within \(Int(timeout)) s (database.connectTimeout)") },
                operation: { try await store.ping() })
            return store
        } catch {
            _ = try? await withDeadline(
                seconds: 2, onTimeout: { CancellationError() }, operation: { try await store.close() })
            if let invalid = error as? InvalidSetting { throw invalid }
            throw unreachable(String(describing: error).prefix(300).description)
        }
    }

    /// Writes the download statistics still queued, closes the store and sends what the syslog copy still holds
    /// (waiting at most 5 s for the collector).
    public func close() async throws {
        if !(await services.download.flushStatistics(within: .seconds(10))) {
            services.log.scope("Shutdown").error("Download statistics still queued at stop are lost")
        }
        do {
            try await services.store.close()
        } catch {
            await services.log.syslog?.shutdown()
            services.log.close()
            throw error
        }
        await services.log.syslog?.shutdown()
        services.log.close()
    }

    /// Opens the runtime, runs `body`, and closes it whether `body` returns or throws (one-shot commands).
    public static func with<T>(
        _ config: GatewayConfiguration, callbacks: Bool = false, _ body: (GatewayRuntime) async throws -> T
    ) async throws -> T {
        let runtime = try await open(config, callbacks: callbacks)
        do {
            let result = try await body(runtime)
            try await runtime.close()
            return result
        } catch {
            try? await runtime.close()
            throw error
        }
    }

    /// Runs `job` under the job lock `name` (§7.8); nil when another instance holds it.
    public func locked<T: Sendable>(_ name: String, _ job: @escaping @Sendable () async throws -> T) async throws -> T?
    {
        try await services.jobLock(name).run(job)
    }

    /// The identity presented to callback servers; required by the commands that deliver callbacks (§9).
    static func callbackClient(_ settings: CallbackSettings) throws -> CallbackClient {
        guard let certificate = settings.clientCertificatePath, let key = settings.clientKeyPath else {
            throw InvalidSetting(
                setting: "callback.clientCertificatePath",
                reason: "required — the client certificate and key (callback.clientKeyPath) presented to callback "
                    + "servers")
        }
        do {
            _ = try ConfigurationCheck.pair(certificate: certificate, key: key)
        } catch let error as InvalidSetting {
            throw InvalidSetting(setting: "callback.clientCertificatePath", reason: error.reason)
        } catch {
            throw InvalidSetting(setting: "callback.clientCertificatePath", reason: "\(error)")
        }
        do {
            return try CallbackClient(
                certificatePath: certificate, keyPath: key, timeout: settings.timeout, proxyURL: settings.proxyURL)
        } catch let error as CallbackClient.IdentityError {
            throw InvalidSetting(setting: error.setting, reason: error.reason)
        }
    }
}
