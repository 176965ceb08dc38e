import Configuration
import EFGSCrypto
import EFGSProtocol
import Foundation
import SystemPackage

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
    /// `database.url`: `sqlite:FILE` (the default) or `postgres://…`.
    public var databaseURL = "sqlite:efgs.sqlite"
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

    /// Loads `path` (YAML; optional) and the environment, then validates.
    public static func load(
        path: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> GatewayConfiguration {
        var providers: [any ConfigProvider] = [EnvironmentVariablesProvider(environmentVariables: environment)]
        if let path {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw InvalidSetting(setting: "--config", reason: "cannot read \(path)")
            }
            do {
                providers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(path)))
            } catch {
                throw InvalidSetting(setting: "--config", reason: "\(path) is not valid YAML: \(error)")
            }
        }
        return try GatewayConfiguration(reader: ConfigReader(providers: providers))
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
        databaseURL = section("database").string("url") ?? databaseURL
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
        guard (1...14).contains(retention.keyRetentionDays), retention.keyRetentionDays > api.downloadMaxAgeDays else {
            throw InvalidSetting(
                setting: "retention.keyRetentionDays",
                reason: "\(retention.keyRetentionDays) must be within 1…14 and greater than download.maxAgeDays "
                    + "(\(api.downloadMaxAgeDays))")
        }
        callback = try CallbackSettings(section("callback"))
        jobs = try JobSettings(section("jobs"))
        admin = try AdminSettings(section("admin"))
        logging = try LoggingSettings(section("logging"), syslog: section("logging.syslog"))
    }
}
