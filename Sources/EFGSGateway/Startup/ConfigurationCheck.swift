// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSStore
import Foundation
import X509

/// `efgs config check`: every start-up check of a configuration, each with its verdict, without changing anything
/// (no migration, no check value recorded): listeners free, trust anchor and certificate/key pairs readable and
/// matching, database reachable and migrated, storage keys and trust anchor matching the data.
public struct ConfigurationCheck: Sendable {
    /// One check and its verdict.
    public struct Result: Sendable, Equatable {
        /// The setting or part checked (`server.port`, `database.url`, …).
        public var name: String
        /// Whether it passed.
        public var ok: Bool
        /// What was found.
        public var detail: String
    }

    let config: GatewayConfiguration

    /// A check of `config`.
    public init(config: GatewayConfiguration) {
        self.config = config
    }

    /// The effective configuration, one `key: value` line per setting, secrets masked.
    public var effectiveSettings: [String] {
        let storage = config.storage.keys.keys.sorted().map { "\($0):***" }.joined(separator: ",")
        var lines = [
            "server: \(config.server.host):\(config.server.port) basePath '\(config.server.basePath)'",
            "auth.mode: \(config.auth.mode.rawValue), trustedProxies \(config.auth.trustedProxies.map(\.description))",
            "trustAnchor.certificatePath: \(config.trustAnchorPath)",
            "database.url: \(config.database.maskedURL) (connectTimeout \(Int(config.database.connectTimeout)) s)",
            "storage.keys: \(storage), activeKeyId \(config.storage.activeKeyId), dedupKeyId \(config.storage.dedupKeyId)",
            "batching: interval \(Int(config.batching.interval)) s, docLimit \(config.batching.docLimit)",
            "retention.keyRetentionDays: \(config.retention.keyRetentionDays)",
            "jobs.lockLease: \(Int(config.jobs.lockLease)) s",
            "logging.level: \(config.logging.level.rawValue)",
        ]
        if let tls = config.auth.tlsCertificatePath { lines.append("tls.certificatePath: \(tls)") }
        if let cert = config.callback.clientCertificatePath { lines.append("callback.clientCertificatePath: \(cert)") }
        if let port = config.admin.port {
            let tls = config.admin.tlsCertificatePath == nil ? "http" : "https"
            let auth =
                config.admin.passwordHash == nil ? "no authentication" : "basic authentication as \(config.admin.user)"
            lines.append("admin: \(tls)://\(config.admin.host):\(port), \(auth)")
        }
        if let syslog = config.logging.syslog { lines.append("logging.syslog: \(syslog.host):\(syslog.port)") }
        return lines
    }

    /// Runs every check in order; a check that depends on a failed one is reported as not run.
    public func run() async -> [Result] {
        var results: [Result] = []
        func add(_ name: String, _ body: () async throws -> String) async {
            do {
                results.append(Result(name: name, ok: true, detail: try await body()))
            } catch let error as InvalidSetting {
                results.append(Result(name: name, ok: false, detail: error.reason))
            } catch {
                results.append(Result(name: name, ok: false, detail: "\(error)"))
            }
        }
        await add("server.port") {
            try await GatewayApplication.checkListener(
                host: config.server.host, port: config.server.port, setting: "server.port")
            return config.server.port == 0
                ? "a free port is picked at start" : "\(config.server.host):\(config.server.port) is free"
        }
        await add("server.maxConnections") {
            try FileDescriptorLimit.check(maxConnections: config.server.maxConnections)
        }
        if let adminPort = config.admin.port {
            await add("admin.port") {
                try await GatewayApplication.checkListener(
                    host: config.admin.host, port: adminPort, setting: "admin.port")
                return "\(config.admin.host):\(adminPort) is free"
            }
        }
        var anchor: TrustAnchors?
        await add("trustAnchor.certificatePath") {
            let loaded = try TrustAnchor(path: config.trustAnchorPath)
            let next = try config.nextTrustAnchorPath.map { try TrustAnchor(path: $0) }
            anchor = TrustAnchors(current: loaded, next: next)
            return "loaded, thumbprint \(loaded.thumbprint)" + (next.map { "; next anchor \($0.thumbprint)" } ?? "")
        }
        if let certificate = config.auth.tlsCertificatePath, let key = config.auth.tlsPrivateKeyPath {
            await add("tls.certificatePath") { try Self.pair(certificate: certificate, key: key) }
        }
        if let certificate = config.callback.clientCertificatePath, let key = config.callback.clientKeyPath {
            await add("callback.clientCertificatePath") { try Self.pair(certificate: certificate, key: key) }
        }
        if let certificate = config.admin.tlsCertificatePath, let key = config.admin.tlsPrivateKeyPath {
            await add("admin.tlsCertificatePath") { try Self.pair(certificate: certificate, key: key) }
        }
        let log = EventLog(minimumLevel: .error)
        let store: any GatewayStore
        do {
            store = try await GatewayRuntime.openStore(
                config.database, logger: EventLogHandler.logger("efgs.store", eventLog: log, level: .critical))
        } catch {
            let detail = (error as? InvalidSetting)?.reason ?? "\(error)"
            results.append(Result(name: "database.url", ok: false, detail: detail))
            return results
        }
        results.append(Result(name: "database.url", ok: true, detail: "\(config.database.maskedURL) reachable"))
        // `efgs serve` applies pending migrations at start, so a database behind this release is no failure (a fresh
        // install starts with an empty one), and a newer release's schema is one this release runs on (migrations
        // only add, docs/deployment.md "Upgrade")
        var version = 0
        await add("migrations") {
            version = try await store.schemaVersion()
            let latest = store.latestSchemaVersion
            switch version {
            case 0: return "empty database: efgs serve (or efgs migrate) applies the \(latest) migrations at start"
            case latest: return "schema version \(version) of \(latest)"
            case ..<latest:
                return "schema version \(version) of \(latest): efgs serve (or efgs migrate) applies the rest at start"
            default:
                return "schema version \(version), newer than this release's \(latest) (migrated by a newer release)"
            }
        }
        if results.last?.ok == true && version == 0 {
            results.append(Result(name: "storage.keys", ok: true, detail: "nothing stored yet"))
        } else if results.last?.ok == true {
            await add("storage.keys") {
                if let problem = try await StorageKeyCheck(store: store, keys: config.storage).problems().first {
                    throw InvalidSetting(setting: "storage.keys", reason: problem)
                }
                return "every configured key matches its recorded check value"
            }
            if let anchor {
                await add("trustAnchor rows") {
                    let check = TrustAnchorCheck(store: store, trustAnchor: anchor)
                    if let problem = try await check.problem() {
                        throw InvalidSetting(setting: "trustAnchor.certificatePath", reason: problem)
                    }
                    let (rows, verified) = try await check.count()
                    return "\(verified) of \(rows) certificate rows verify"
                }
            }
        }
        try? await store.close()
        return results
    }

    /// A certificate (PEM; the first of a chain is the leaf) and its private key (PEM) that belong together.
    static func pair(certificate: String, key: String) throws -> String {
        let certificatePEM = try String(contentsOfFile: certificate, encoding: .utf8)
        let keyPEM = try String(contentsOfFile: key, encoding: .utf8)
        let end = "-----END CERTIFICATE-----"
        let leaf = certificatePEM.range(of: end).map { String(certificatePEM[..<$0.upperBound]) } ?? certificatePEM
        let parsed = try Certificate(pemEncoded: leaf)
        let privateKey = try Certificate.PrivateKey(pemEncoded: keyPEM)
        guard privateKey.publicKey == parsed.publicKey else {
            throw InvalidSetting(
                setting: certificate, reason: "the private key \(key) does not belong to this certificate")
        }
        return "certificate and key match, expires \(parsed.notValidAfter)"
    }
}
