// SPDX-License-Identifier: EUPL-1.2

import Configuration
import EFGSCrypto
import EFGSProtocol
import Foundation

/// Every setting of PROTOCOL.md §9, in sections, read from a YAML file with environment overrides
/// (`server.port` ← `SERVER_PORT`, `auth.trustedProxies` ← `AUTH_TRUSTED_PROXIES`, lists comma-separated).
///
/// Each section reads its own scope (``SettingsReader``); the checks that join two sections run here.
public struct GatewayConfiguration: Sendable {
    /// `server.*`.
    public var server = ServerSettings()
    /// `auth.*` and `tls.*`.
    public var auth = AuthSettings()
    /// `trustAnchor.certificatePath`: the operator's trust anchor (PEM), required.
    public var trustAnchorPath = ""
    /// `trustAnchor.nextCertificatePath`: during a rotation, the next anchor (PEM); rows signed by either verify.
    public var nextTrustAnchorPath: String?
    /// `database.*`.
    public var database = DatabaseSettings()
    /// `database.url`: `sqlite:FILE` (the default) or `postgres://…`.
    public var databaseURL: String {
        get { database.url }
        set { database.url = newValue }
    }
    /// `storage.*`: the storage keys.
    public var storage = StorageCipher.Configuration(keys: [:], activeKeyId: "")
    /// `content.*`, `upload.*`, `signature.*`, `download.*`.
    public var api = ProtocolSettings()
    /// `batching.*`.
    public var batching = BatchingSettings()
    /// `retention.*`.
    public var retention = RetentionSettings()
    /// `callback.*`.
    public var callback = CallbackSettings()
    /// `admin.*`.
    public var admin = AdminSettings()
    /// `jobs.*`.
    public var jobs = JobSettings()
    /// `logging.*`.
    public var logging = LoggingSettings()

    /// The defaults of §9 (no trust anchor, no storage keys: fill them in before use).
    public init() {}

    /// The error of an unusable setting.
    public typealias InvalidSetting = EFGSGateway.InvalidSetting

    /// Loads `path` (YAML; optional) and the environment, then validates. Unknown settings are refused (file and
    /// environment, ``KnownSettings``); relative file paths in the file resolve against the file's folder.
    public static func load(
        path: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> GatewayConfiguration {
        try KnownSettings.checkEnvironment(environment)  // refused before the file is read, as always
        guard let path else { return try load(yaml: nil, environment: environment) }
        guard FileManager.default.isReadableFile(atPath: path), let text = FileManager.default.contents(atPath: path)
        else {
            throw InvalidSetting(setting: "--config", reason: "cannot read \(path)")
        }
        return try load(yaml: (Array(text), path), environment: environment)
    }

    /// Loads the YAML `text` of the configuration file at `path` (read once, by the caller) and the environment,
    /// then validates, as ``load(path:environment:)`` does; `path` names the file in messages and its folder is
    /// where relative file paths resolve. Nothing is opened: the fuzz target of the configuration calls this.
    public static func load(
        yaml file: (text: [UInt8], path: String)?, environment: [String: String]
    ) throws -> GatewayConfiguration {
        try KnownSettings.checkEnvironment(environment)
        var providers: [any ConfigProvider] = [EnvironmentVariablesProvider(environmentVariables: environment)]
        if let file {
            do {
                try KnownSettings.checkFile(String(decoding: file.text, as: UTF8.self))
            } catch let error as InvalidSetting {
                throw error
            } catch {
                throw InvalidSetting(setting: "--config", reason: "\(file.path) is not valid YAML: \(error)")
            }
            do {
                providers.append(try YAMLTextProvider(text: file.text, name: file.path))
            } catch {
                throw InvalidSetting(setting: "--config", reason: "\(file.path) is not valid YAML: \(error)")
            }
        }
        var configuration = try GatewayConfiguration(reader: ConfigReader(providers: providers))
        if let file {
            let folder = URL(fileURLWithPath: file.path).deletingLastPathComponent().standardizedFileURL
            configuration.resolvePaths(against: folder, overriddenBy: environment)
        }
        return configuration
    }

    /// Makes the file-path settings absolute against `folder` (the configuration file's), except those the
    /// environment set (they stay relative to the working folder, as a shell would read them).
    mutating func resolvePaths(against folder: URL, overriddenBy environment: [String: String]) {
        func resolved(_ value: String, _ key: String) -> String {
            guard !value.isEmpty, !value.hasPrefix("/"), environment[KnownSettings.environmentName(key)] == nil else {
                return value
            }
            return folder.appendingPathComponent(value).standardizedFileURL.path
        }
        trustAnchorPath = resolved(trustAnchorPath, "trustAnchor.certificatePath")
        nextTrustAnchorPath = nextTrustAnchorPath.map { resolved($0, "trustAnchor.nextCertificatePath") }
        auth.tlsCertificatePath = auth.tlsCertificatePath.map { resolved($0, "tls.certificatePath") }
        auth.tlsPrivateKeyPath = auth.tlsPrivateKeyPath.map { resolved($0, "tls.privateKeyPath") }
        callback.clientCertificatePath = callback.clientCertificatePath.map {
            resolved($0, "callback.clientCertificatePath")
        }
        callback.clientKeyPath = callback.clientKeyPath.map { resolved($0, "callback.clientKeyPath") }
        if let caPath = logging.syslog?.caPath { logging.syslog?.caPath = resolved(caPath, "logging.syslog.caPath") }
        if database.url.hasPrefix("sqlite:"), environment["DATABASE_URL"] == nil {
            let file = String(database.url.dropFirst("sqlite:".count))
            if !file.isEmpty, file != ":memory:" { database.url = "sqlite:" + resolved(file, "database.url") }
        }
    }

    /// Reads every section from `reader`, then checks the settings that depend on each other.
    public init(reader: ConfigReader) throws {
        func section(_ name: String) -> SettingsReader { SettingsReader(reader, section: name) }
        server = try ServerSettings(section("server"))
        auth = try AuthSettings(auth: section("auth"), tls: section("tls"))
        guard let anchor = section("trustAnchor").string("certificatePath") else {
            throw InvalidSetting(setting: "trustAnchor.certificatePath", reason: "required")
        }
        trustAnchorPath = anchor
        nextTrustAnchorPath = section("trustAnchor").string("nextCertificatePath")
        database = try DatabaseSettings(section("database"))
        storage = try StorageSettings.read(section("storage"))
        api = try ProtocolSettings(
            content: section("content"), upload: section("upload"), signature: section("signature"),
            download: section("download"))
        batching = try BatchingSettings(section("batching"))
        guard api.maxKeys <= batching.docLimit else {
            throw InvalidSetting(
                setting: "upload.maxKeys", reason: "\(api.maxKeys) exceeds batching.docLimit \(batching.docLimit)")
        }
        retention = try RetentionSettings(section("retention"))
        guard (1...RetentionSettings.legalKeyRetentionDays).contains(retention.keyRetentionDays),
            retention.keyRetentionDays > api.downloadMaxAgeDays
        else {
            throw InvalidSetting(
                setting: "retention.keyRetentionDays",
                reason:
                    "\(retention.keyRetentionDays) must be within 1…\(RetentionSettings.legalKeyRetentionDays) and "
                    + "greater than download.maxAgeDays "
                    + "(\(api.downloadMaxAgeDays))")
        }
        // statistics retention deletes download batches: one deleted before its keys would break downloads of days
        // still served and key retention's rule (an upload batch goes once its download batch is old enough)
        guard retention.statisticsRetentionDays > retention.keyRetentionDays else {
            throw InvalidSetting(
                setting: "retention.statisticsRetentionDays",
                reason:
                    "\(retention.statisticsRetentionDays) must be greater than retention.keyRetentionDays "
                    + "(\(retention.keyRetentionDays))")
        }
        callback = try CallbackSettings(section("callback"))
        jobs = try JobSettings(section("jobs"))
        admin = try AdminSettings(section("admin"))
        if let adminPort = admin.port, adminPort != 0, adminPort == server.port,
            admin.host == server.host || [admin.host, server.host].contains(where: { ["0.0.0.0", "::"].contains($0) })
        {
            throw InvalidSetting(
                setting: "admin.port", reason: "\(adminPort) is also server.port; the two listeners need two ports")
        }
        logging = try LoggingSettings(section("logging"), syslog: section("logging.syslog"))
    }
}
