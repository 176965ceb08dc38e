// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import Metrics
import NIOSSL
import Prometheus

/// The admin listener (PROTOCOL.md §9 `admin.port`), separate from the public API and bound to loopback by default:
/// `GET /healthz` (the process is up), `GET /readyz` (database reachable, migrations current, trust anchor loaded;
/// 503 otherwise), `GET /metrics` (Prometheus text format from swift-metrics through swift-prometheus) and
/// `GET /openapi.yaml` (the OpenAPI 3.1 document of the public API, `docs/openapi.yaml`) and the read-only
/// ``OperatorConsole`` (`GET /` and its pages, the reports as CSV).
public enum AdminServer {
    /// One readiness check and its state.
    public struct Check: Sendable, Equatable {
        /// `database`, `migrations`, `trustAnchor` or `storageKeys`.
        public var name: String
        /// Whether the check passed; `/readyz` answers 503 unless all did.
        public var ok: Bool
        /// Human-readable state, e.g. `schema version 4 of 4` or why the check failed.
        public var detail: String
    }

    /// The readiness checks of `/readyz`.
    public static func readiness(_ services: GatewayServices) async -> [Check] {
        var checks: [Check] = []
        do {
            try await services.store.ping()
            checks.append(Check(name: "database", ok: true, detail: "reachable"))
            let latest = services.store.latestSchemaVersion
            if let version = try? await services.store.schemaVersion() {
                // a newer release's migrations only add (docs/deployment.md, Upgrade): during a rolling upgrade or
                // after a rollback this instance serves on that schema and stays ready
                let detail =
                    version > latest
                    ? "schema version \(version), newer than this release's \(latest) (migrated by a newer release)"
                    : "schema version \(version) of \(latest)"
                checks.append(Check(name: "migrations", ok: version >= latest, detail: detail))
            } else {
                checks.append(Check(name: "migrations", ok: false, detail: "not migrated (run efgs migrate)"))
            }
        } catch {
            checks.append(
                Check(name: "database", ok: false, detail: "unreachable: \(String(describing: error).prefix(200))"))
            // the other checks read the database too: each would wait out database.leaseTimeout again
            for name in ["migrations", "trustAnchor", "storageKeys"] {
                checks.append(Check(name: name, ok: false, detail: "unknown (database unreachable)"))
            }
            return checks
        }
        let anchor = TrustAnchorCheck(
            store: services.store, trustAnchor: services.anchors, directory: services.certificates)
        if let (rows, verified) = try? await anchor.count() {
            let detail = "loaded, thumbprint \(services.anchors.thumbprints), \(verified) of \(rows) rows verify"
            checks.append(Check(name: "trustAnchor", ok: rows == 0 || verified > 0, detail: detail))
        } else {
            checks.append(Check(name: "trustAnchor", ok: false, detail: "rows cannot be read"))
        }
        let keys = StorageKeyCheck(store: services.store, keys: services.config.storage)
        if let problems = try? await keys.problems() {
            let detail = problems.first ?? "every configured key matches its recorded check value"
            checks.append(Check(name: "storageKeys", ok: problems.isEmpty, detail: detail))
        } else {
            checks.append(Check(name: "storageKeys", ok: false, detail: "check values cannot be read"))
        }
        return checks
    }

    /// The media type of `/openapi.yaml`: `application/yaml`, registered by RFC 9512 (which defines no parameters;
    /// the document is UTF-8).
    static let openAPIContentType = "application/yaml"

    /// The readiness JSON: `{"status":"ready"|"not ready","checks":{"database":"…",…},"version":"0.5.0",
    /// "commit":"…"}` — the software version, so a load balancer's or operator's probe tells which release answers
    /// during a rolling upgrade; `commit` is `unknown` in a build not made by `tools/release.sh`.
    static func readinessJSON(_ checks: [Check], commit: String? = nil) -> String {
        let ready = checks.allSatisfy(\.ok)
        let items = checks.map { check in
            JSONText.quoted(check.name) + ":" + JSONText.quoted((check.ok ? "ok: " : "FAILED: ") + check.detail)
        }
        return "{\"status\":\"\(ready ? "ready" : "not ready")\",\"checks\":{\(items.joined(separator: ","))},"
            + "\"version\":\(JSONText.quoted(EFGSVersion.current)),\"commit\":\(JSONText.quoted(commit ?? "unknown"))}"
    }

    /// The admin application; `registry` is the one swift-metrics was bootstrapped with; `commit` is the build's git
    /// commit for `/readyz`.
    public static func application(
        services: GatewayServices, registry: PrometheusCollectorRegistry, port: Int, logger: Logger,
        commit: String? = nil,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let settings = services.config.admin
        // AdminSettings refuses this when it reads the configuration; a configuration built in code gets the same rule
        guard
            AdminSettings.isLoopback(settings.host)
                || (settings.passwordHash != nil && settings.tlsCertificatePath != nil)
        else {
            throw InvalidSetting(
                setting: "admin.host",
                reason: "'\(settings.host)' is not loopback: the admin listener needs admin.passwordHash and admin.tls*"
            )
        }
        let router = Router()
        if let hash = settings.passwordHash {
            router.add(middleware: AdminAuthentication(user: settings.user, hash: hash))
        }
        let health = FederationHealthMetrics(services: services)
        router.get("healthz") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"up\"}")))
        }
        router.get("readyz") { _, _ in
            let checks = await readiness(services)
            return Response(
                status: checks.allSatisfy(\.ok) ? .ok : .serviceUnavailable,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: readinessJSON(checks, commit: commit))))
        }
        router.get("metrics") { _, _ in
            // gauges read at scrape time
            Gauge(label: "efgs_ready").record(await readiness(services).allSatisfy(\.ok) ? 1 : 0)
            await health.record(now: services.clock())
            if let n = try? await services.store.pendingCallbackTaskCount() {
                Gauge(label: "efgs_callback_tasks_pending").record(n)
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        OperatorConsole(services: services).register(on: router)
        router.get("openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: openAPIContentType],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
        var server = HTTPServerBuilder.http1()
        if let certificate = settings.tlsCertificatePath, let key = settings.tlsPrivateKeyPath {
            server = try .tls(
                .http1(),
                tlsConfiguration: TLSConfiguration.makeServerConfiguration(
                    certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
                    privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))))
        }
        return Application(
            router: router, server: server,
            configuration: .init(address: .hostname(settings.host, port: port)),
            onServerRunning: { await onServerRunning($0.localAddress?.port ?? 0) }, logger: logger)
    }
}
