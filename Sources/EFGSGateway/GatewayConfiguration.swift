import Configuration
import EFGSCrypto
import EFGSProtocol
import Foundation
import SystemPackage

/// Every setting of PROTOCOL.md §9, read from a YAML file with environment overrides (`server.port` ←
/// `SERVER_PORT`, `auth.trustedProxies` ← `AUTH_TRUSTED_PROXIES`, lists comma-separated).
public struct GatewayConfiguration: Sendable {
    public enum AuthMode: String, Sendable { case proxyHeaders, proxyCertificate, mutualTLS }

    public var serverHost = "0.0.0.0"
    public var serverPort = 8090
    public var basePath = ""
    public var authMode = AuthMode.proxyHeaders
    public var trustedProxies: [CIDR] = [CIDR("127.0.0.1/32")!, CIDR("::1/128")!]
    public var thumbprintHeader = "X-SSL-Client-SHA256"
    public var dnHeader = "X-SSL-Client-DN"
    public var certificateHeader = "X-SSL-Client-Cert"
    public var tlsCertificatePath: String?
    public var tlsPrivateKeyPath: String?
    public var trustAnchorPath = ""
    public var databaseURL = "sqlite:efgs.sqlite"
    public var storage = StorageCipher.Configuration(keys: [:], activeKeyId: "")
    public var protobufVersion = ProtocolVersion(major: 1, minor: 0)
    public var jsonVersion = ProtocolVersion(major: 1, minor: 0)
    public var maxKeys = 5000
    public var maxBodyBytes = 16 * 1024 * 1024
    public var allowLegacySha1 = false
    public var downloadMaxAgeDays = 2
    public var batchingInterval: Double = 300
    public var batchingTimeLimit: Double = 1200
    public var docLimit = 5000
    public var retentionKeyDays = 3
    public var retentionInterval: Double = 3600
    public var retentionChunkSize = 1000
    public var statisticsRetentionDays = 90
    public var callbackAllowLoopback = false
    /// The admin listener (health, readiness, Prometheus metrics); nil = off (§9 `admin.port`).
    public var adminPort: Int?
    public var adminHost = "127.0.0.1"
    /// Lease of a job lock (§7.8), renewed while the job runs.
    public var jobLockLease: Double = 1800
    public var callbackExecuteInterval: Double = 300
    public var callbackRetryWait: Double = 300
    public var callbackMaxRetries = 5
    public var callbackTimeout: Double = 10
    public var callbackTaskLockTimeout: Double = 300
    public var callbackParallelism = 1
    public var callbackDeleteSubscriptionOnFailure = false
    /// The identity presented to callback servers (PEM); required by the commands that deliver callbacks.
    public var callbackClientCertificatePath: String?
    public var callbackClientKeyPath: String?
    /// Optional HTTP CONNECT proxy for callback deliveries (`http://host:port`).
    public var callbackProxyURL: String?
    public var logLevel = EventLevel.info
    /// The optional RFC 5424 copy of the event log (§9 `logging.syslog.*`); nil when `logging.syslog.host` is empty.
    public var syslog: SyslogForwarder.Settings?

    public init() {}

    public struct InvalidSetting: Error, CustomStringConvertible {
        public let setting: String
        public let reason: String
        public var description: String { "invalid configuration: \(setting): \(reason)" }
    }

    /// Loads `path` (YAML; optional) and the environment, then validates.
    public static func load(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> GatewayConfiguration {
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

    init(reader r: ConfigReader) throws {
        func str(_ key: String) -> String? {
            guard let v = r.string(forKey: ConfigKey(key)) ?? r.stringArray(forKey: ConfigKey(key))?.joined(separator: ",") else { return nil }
            let t = v.trimmingCharacters(in: .whitespaces)
            return t.isEmpty ? nil : t
        }
        func list(_ key: String) -> [String]? {
            if let a = r.stringArray(forKey: ConfigKey(key)) { return a.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
            return str(key)?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        func int(_ key: String, _ def: Int, _ range: ClosedRange<Int> = 0...Int.max) throws -> Int {
            guard let s = str(key) else { return def }
            guard let v = Int(s), range.contains(v) else { throw InvalidSetting(setting: key, reason: "'\(s)' is not an integer in \(range.lowerBound)…\(range.upperBound)") }
            return v
        }
        func seconds(_ key: String, _ def: Double) throws -> Double {
            guard let s = str(key) else { return def }
            let trimmed = s.hasSuffix("s") ? String(s.dropLast()) : s
            guard let v = Double(trimmed), v > 0 else { throw InvalidSetting(setting: key, reason: "'\(s)' is not a positive number of seconds") }
            return v
        }
        func bool(_ key: String, _ def: Bool) throws -> Bool {
            guard let s = str(key)?.lowercased() else { return def }
            switch s {
            case "true", "yes", "1", "on": return true
            case "false", "no", "0", "off": return false
            default: throw InvalidSetting(setting: key, reason: "'\(s)' is not true or false")
            }
        }
        func version(_ key: String) throws -> ProtocolVersion {
            guard let s = str(key) else { return ProtocolVersion(major: 1, minor: 0) }
            do { return try ProtocolVersion(parsing: s) } catch { throw InvalidSetting(setting: key, reason: "'\(s)' is not major.minor") }
        }

        serverHost = str("server.host") ?? serverHost
        serverPort = try int("server.port", serverPort, 0...65535)
        basePath = str("server.basePath") ?? ""
        if !basePath.isEmpty {
            guard basePath.hasPrefix("/") else { throw InvalidSetting(setting: "server.basePath", reason: "must start with /") }
            while basePath.hasSuffix("/") { basePath.removeLast() }
        }
        if let m = str("auth.mode") {
            guard let mode = AuthMode(rawValue: m) else { throw InvalidSetting(setting: "auth.mode", reason: "'\(m)' is not proxyHeaders, proxyCertificate or mutualTLS") }
            authMode = mode
        }
        if let proxies = list("auth.trustedProxies") {
            trustedProxies = try proxies.map { p in
                guard let c = CIDR(p) else { throw InvalidSetting(setting: "auth.trustedProxies", reason: "'\(p)' is not a CIDR") }
                return c
            }
        }
        thumbprintHeader = str("auth.thumbprintHeader") ?? thumbprintHeader
        dnHeader = str("auth.dnHeader") ?? dnHeader
        certificateHeader = str("auth.certificateHeader") ?? certificateHeader
        tlsCertificatePath = str("tls.certificatePath")
        tlsPrivateKeyPath = str("tls.privateKeyPath")
        if authMode == .mutualTLS, tlsCertificatePath == nil || tlsPrivateKeyPath == nil {
            throw InvalidSetting(setting: tlsCertificatePath == nil ? "tls.certificatePath" : "tls.privateKeyPath", reason: "required when auth.mode is mutualTLS")
        }
        guard let ta = str("trustAnchor.certificatePath") else { throw InvalidSetting(setting: "trustAnchor.certificatePath", reason: "required") }
        trustAnchorPath = ta
        databaseURL = str("database.url") ?? databaseURL

        guard let keyEntries = list("storage.keys"), !keyEntries.isEmpty else {
            throw InvalidSetting(setting: "storage.keys", reason: "required: a list of KEYID:BASE64 (32 bytes)")
        }
        var keys: [String: [UInt8]] = [:]
        for entry in keyEntries {
            guard let colon = entry.firstIndex(of: ":") else { throw InvalidSetting(setting: "storage.keys", reason: "entry is not KEYID:BASE64") }
            let id = String(entry[..<colon])
            guard StorageCipher.isValidKeyId(id) else { throw InvalidSetting(setting: "storage.keys", reason: "key id '\(id)' must be 1–32 characters [A-Za-z0-9_-]") }
            guard let raw = Base64.decodeStrict(entry[entry.index(after: colon)...]), raw.count == 32 else {
                throw InvalidSetting(setting: "storage.keys", reason: "key '\(id)' is not Base64 of 32 bytes")
            }
            keys[id] = raw
        }
        guard let active = str("storage.activeKeyId") else { throw InvalidSetting(setting: "storage.activeKeyId", reason: "required") }
        guard keys[active] != nil else { throw InvalidSetting(setting: "storage.activeKeyId", reason: "'\(active)' is not in storage.keys") }
        let dedup = str("storage.dedupKeyId") ?? active
        guard keys[dedup] != nil else { throw InvalidSetting(setting: "storage.dedupKeyId", reason: "'\(dedup)' is not in storage.keys") }
        storage = .init(keys: keys, activeKeyId: active, dedupKeyId: dedup)

        protobufVersion = try version("content.protobufVersion")
        jsonVersion = try version("content.jsonVersion")
        maxKeys = try int("upload.maxKeys", maxKeys, 1...1_000_000)
        maxBodyBytes = try int("upload.maxBodyBytes", maxBodyBytes, 1...1_073_741_824)
        allowLegacySha1 = try bool("signature.allowLegacySha1", false)
        downloadMaxAgeDays = try int("download.maxAgeDays", downloadMaxAgeDays, 0...365)
        batchingInterval = try seconds("batching.interval", batchingInterval)
        batchingTimeLimit = try seconds("batching.timeLimit", batchingTimeLimit)
        docLimit = try int("batching.docLimit", docLimit, 1...1_000_000)
        guard maxKeys <= docLimit else { throw InvalidSetting(setting: "upload.maxKeys", reason: "\(maxKeys) exceeds batching.docLimit \(docLimit)") }
        retentionKeyDays = try int("retention.keyRetentionDays", retentionKeyDays)
        guard (1...14).contains(retentionKeyDays), retentionKeyDays > downloadMaxAgeDays else {
            throw InvalidSetting(setting: "retention.keyRetentionDays", reason: "\(retentionKeyDays) must be within 1…14 and greater than download.maxAgeDays (\(downloadMaxAgeDays))")
        }
        retentionInterval = try seconds("retention.interval", retentionInterval)
        retentionChunkSize = try int("retention.chunkSize", retentionChunkSize, 1...1_000_000)
        statisticsRetentionDays = try int("retention.statisticsRetentionDays", statisticsRetentionDays, 1...3650)
        callbackAllowLoopback = try bool("callback.allowLoopback", false)
        jobLockLease = try seconds("jobs.lockLease", jobLockLease)
        if str("admin.port") != nil { adminPort = try int("admin.port", 0, 0...65535) }
        adminHost = str("admin.host") ?? adminHost
        callbackExecuteInterval = try seconds("callback.executeInterval", callbackExecuteInterval)
        callbackRetryWait = try seconds("callback.retryWait", callbackRetryWait)
        callbackMaxRetries = try int("callback.maxRetries", callbackMaxRetries, 0...100)
        callbackTimeout = try seconds("callback.timeout", callbackTimeout)
        callbackTaskLockTimeout = try seconds("callback.taskLockTimeout", callbackTaskLockTimeout)
        callbackParallelism = try int("callback.parallelism", callbackParallelism, 1...64)
        callbackDeleteSubscriptionOnFailure = try bool("callback.deleteSubscriptionOnFailure", false)
        callbackClientCertificatePath = str("callback.clientCertificatePath")
        callbackClientKeyPath = str("callback.clientKeyPath")
        if (callbackClientCertificatePath == nil) != (callbackClientKeyPath == nil) {
            throw InvalidSetting(setting: callbackClientCertificatePath == nil ? "callback.clientCertificatePath" : "callback.clientKeyPath",
                                 reason: "callback.clientCertificatePath and callback.clientKeyPath go together")
        }
        if let proxy = str("callback.proxyUrl") {
            guard let u = URLComponents(string: proxy), u.scheme?.lowercased() == "http", u.host?.isEmpty == false, u.port != nil,
                  u.path.isEmpty || u.path == "/", u.user == nil, u.query == nil else {
                throw InvalidSetting(setting: "callback.proxyUrl", reason: "'\(proxy)' is not http://HOST:PORT")
            }
            callbackProxyURL = proxy
        }
        if let l = str("logging.level") {
            guard let level = EventLevel(rawValue: l.uppercased()) else { throw InvalidSetting(setting: "logging.level", reason: "'\(l)' is not DEBUG, INFO, WARN or ERROR") }
            logLevel = level
        }
        if let host = str("logging.syslog.host"), !host.isEmpty {
            var settings = SyslogForwarder.Settings(host: host)
            settings.port = try int("logging.syslog.port", 601, 1...65535)
            settings.tls = try bool("logging.syslog.tls", false)
            settings.caPath = str("logging.syslog.caPath")
            let facility = str("logging.syslog.facility") ?? "local0"
            guard let code = SyslogMessage.facilities[facility.lowercased()] ?? Int(facility).flatMap({ (0...23).contains($0) ? $0 : nil }) else {
                throw InvalidSetting(setting: "logging.syslog.facility", reason: "'\(facility)' is not a facility name (local0…local7, daemon, …) or 0…23")
            }
            settings.facility = code
            syslog = settings
        }
    }
}

/// An IPv4 or IPv6 network in CIDR notation.
public struct CIDR: Sendable, Equatable, CustomStringConvertible {
    let network: [UInt8]
    let prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let addr = IPAddressBytes.parse(String(parts[0])) else { return nil }
        let max = addr.count * 8
        let p: Int
        if parts.count == 2 { guard let v = Int(parts[1]), (0...max).contains(v) else { return nil }; p = v } else { p = max }
        network = addr; prefix = p
    }

    public func contains(_ address: [UInt8]) -> Bool {
        var addr = address
        if addr.count == 16, network.count == 4, addr[0..<10].allSatisfy({ $0 == 0 }), addr[10] == 0xFF, addr[11] == 0xFF {
            addr = Array(addr[12...]) // IPv4-mapped IPv6 peer
        }
        guard addr.count == network.count else { return false }
        var bits = prefix
        for i in 0..<addr.count where bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if addr[i] & mask != network[i] & mask { return false }
            bits -= 8
        }
        return true
    }

    public var description: String { "\(IPAddressBytes.format(network))/\(prefix)" }
}

/// Textual IP addresses as bytes, via inet_pton.
public enum IPAddressBytes {
    public static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    public static func format(_ bytes: [UInt8]) -> String {
        var buf = [CChar](repeating: 0, count: 64)
        var b = bytes
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        _ = inet_ntop(family, &b, &buf, socklen_t(buf.count))
        return String(cString: buf)
    }
}
