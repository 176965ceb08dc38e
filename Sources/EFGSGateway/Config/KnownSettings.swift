// SPDX-License-Identifier: EUPL-1.2

import Foundation
import Yams

/// Every setting the gateway reads (PROTOCOL.md §9), and the check that refuses anything else: a misspelled key
/// in the YAML file or in an environment override is an error naming it and the nearest known name, never a
/// silently ignored value.
public enum KnownSettings {
    /// The full keys, section by section.
    public static let keys: [String] = [
        "server.host", "server.port", "server.basePath", "server.maxConnections", "server.maxConnectionsPerPeer",
        "server.requestHeadTimeout", "server.requestBodyTimeout", "server.idleTimeout", "server.writeTimeout",
        "server.tlsHandshakeTimeout",
        "server.serverHeader",
        "auth.mode", "auth.trustedProxies", "auth.thumbprintHeader", "auth.dnHeader", "auth.certificateHeader",
        "tls.certificatePath", "tls.privateKeyPath",
        "trustAnchor.certificatePath", "trustAnchor.nextCertificatePath",
        "database.url", "database.connectTimeout", "database.leaseTimeout", "database.sqliteCacheMegabytes",
        "storage.keys", "storage.activeKeyId", "storage.dedupKeyId",
        "content.protobufVersion", "content.jsonVersion",
        "upload.maxKeys", "upload.maxBodyBytes",
        "signature.allowLegacySha1",
        "download.maxAgeDays",
        "download.cacheMegabytes",
        "batching.interval", "batching.timeLimit", "batching.docLimit",
        "retention.keyRetentionDays", "retention.interval", "retention.chunkSize", "retention.statisticsRetentionDays",
        "callback.allowLoopback", "callback.executeInterval", "callback.retryWait", "callback.maxRetries",
        "callback.timeout", "callback.taskLockTimeout", "callback.parallelism", "callback.deleteSubscriptionOnFailure",
        "callback.maxSubscriptionsPerCountry", "callback.dnsTimeout", "callback.dnsThreads", "callback.dnsMaxPending",
        "callback.clientCertificatePath", "callback.clientKeyPath", "callback.proxyUrl",
        "admin.port", "admin.host", "admin.user", "admin.passwordHash", "admin.tlsCertificatePath",
        "admin.tlsPrivateKeyPath",
        "jobs.lockLease",
        "logging.level", "logging.syslog.host", "logging.syslog.port", "logging.syslog.tls", "logging.syslog.caPath",
        "logging.syslog.facility",
    ]

    /// The settings that name files: relative values in the configuration file resolve against its folder.
    public static let pathKeys: [String] = [
        "trustAnchor.certificatePath", "trustAnchor.nextCertificatePath", "tls.certificatePath", "tls.privateKeyPath",
        "callback.clientCertificatePath",
        "callback.clientKeyPath", "logging.syslog.caPath", "admin.tlsCertificatePath", "admin.tlsPrivateKeyPath",
    ]

    /// The environment variable of a key: `trustAnchor.certificatePath` → `TRUST_ANCHOR_CERTIFICATE_PATH`.
    public static func environmentName(_ key: String) -> String {
        var name = ""
        for character in key {
            if character == "." {
                name.append("_")
            } else if character.isUppercase {
                name += "_" + String(character)
            } else {
                name += character.uppercased()
            }
        }
        return name
    }

    /// The first key of `yaml` (a configuration file's text) that is not a setting, with the nearest known name.
    ///
    /// The file is read as Yams' node tree (`compose`), as swift-configuration's YAML snapshot reads it, not as
    /// Swift values (`Yams.load`): Yams' value constructor stops the process on a mapping key that is a list or a
    /// mapping (`? - x`), which `FuzzConfigYAML` found on 2026-12-03; such a key, or an empty one, is refused here
    /// instead. A merge key (`<<: *defaults`) is refused as an unknown setting: the snapshot would not apply what it
    /// merges.
    ///
    /// - Throws: ``InvalidSetting`` naming the unknown key.
    public static func checkFile(_ yaml: String) throws {
        guard let root = try Yams.compose(yaml: yaml) else { return }
        guard let tree = root.mapping else {
            throw InvalidSetting(setting: "--config", reason: "the file is not a mapping of settings")
        }
        func walk(_ node: Node.Mapping, prefix: String) throws {
            let entries = try node.map { key, value in
                guard key.scalar != nil, let name = key.string, !name.isEmpty else {
                    throw InvalidSetting(
                        setting: prefix.isEmpty ? "--config" : prefix,
                        reason: "a key that is empty, a list or a mapping; setting names are text")
                }
                return (name: name, value: value)
            }
            for (name, value) in entries.sorted(by: { $0.name < $1.name }) {
                let key = prefix.isEmpty ? name : prefix + "." + name
                if let child = value.mapping, sectionKeys.contains(key) {
                    try walk(child, prefix: key)
                } else if !knownKeys.contains(key) {
                    throw unknown(key, among: knownKeys.union(sectionKeys))
                }
            }
        }
        try walk(tree, prefix: "")
    }

    /// The first environment variable that looks like a setting (its name starts with a section's prefix, such as
    /// `AUTH_` or `LOGGING_SYSLOG_`) but is none.
    ///
    /// - Throws: ``InvalidSetting`` naming the variable and the nearest known one.
    public static func checkEnvironment(_ environment: [String: String]) throws {
        for variable in environment.keys.sorted() where !environmentNames.contains(variable) {
            guard environmentPrefixes.contains(where: { variable.hasPrefix($0) }) else { continue }
            throw unknown(variable, among: environmentNames)
        }
    }

    /// Every key, as a set.
    static let knownKeys = Set(keys)
    /// The sections and subsections the keys are in (`server`, `logging.syslog`, …).
    static let sectionKeys = Set(
        keys.flatMap { key in
            key.split(separator: ".").dropLast().indices.map {
                key.split(separator: ".")[0...$0].joined(separator: ".")
            }
        })
    /// The environment variable of every key, made once (every configuration load checks the environment; the
    /// configuration's fuzz target spent a third of its time making these names again).
    static let environmentNames = Set(keys.map(environmentName))
    /// The variable prefix of each section (`SERVER_`, `DATABASE_`, …): a variable with one of them must be a setting.
    static let environmentPrefixes = Set(keys.map { environmentName(String($0.split(separator: ".")[0])) + "_" })

    static func unknown(_ key: String, among candidates: Set<String>) -> InvalidSetting {
        var reason = "unknown setting"
        if let nearest = nearest(to: key, among: candidates) { reason += "; did you mean \(nearest)?" }
        return InvalidSetting(setting: key, reason: reason)
    }

    /// The candidate nearest to `key` (Levenshtein distance, ignoring case) if it is at most `max(3, key.count / 3)`
    /// away; of equally near candidates the first in alphabetical order, so the suggestion is the same on every run
    /// (a `Set`'s order is not). A candidate whose length alone differs by more than that is not measured: an unknown
    /// key of a few thousand characters costs a comparison of lengths per candidate, not a distance each.
    static func nearest(to key: String, among candidates: Set<String>) -> String? {
        let typed = Array(key.lowercased())
        let limit = max(3, typed.count / 3)
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let name = Array(candidate.lowercased())
            guard abs(name.count - typed.count) <= limit else { continue }
            let d = distance(typed, name)
            guard d <= limit else { continue }
            if let b = best, d > b.distance || (d == b.distance && candidate > b.name) { continue }
            best = (candidate, d)
        }
        return best?.name
    }

    /// Levenshtein distance, ignoring case.
    static func distance(_ a: String, _ b: String) -> Int {
        distance(Array(a.lowercased()), Array(b.lowercased()))
    }

    /// Levenshtein distance of two character sequences.
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
