// SPDX-License-Identifier: EUPL-1.2

import Configuration
import EFGSProtocol

/// A setting that cannot be used, named by its full key (`server.port`) with the reason: the one message an
/// operator sees before anything is written.
public struct InvalidSetting: Error, CustomStringConvertible, Sendable {
    /// The full key of the setting (`retention.keyRetentionDays`) or the option (`--config`).
    public let setting: String
    /// What is wrong and what would be accepted.
    public let reason: String

    /// An invalid `setting` with its `reason`.
    public init(setting: String, reason: String) {
        self.setting = setting
        self.reason = reason
    }

    /// `invalid configuration: <setting>: <reason>`.
    public var description: String { "invalid configuration: \(setting): \(reason)" }
}

/// Reads the settings of one configuration section (`server`, `callback`, …) through swift-configuration's scoped
/// reader, parses them, and turns every unusable value into an ``InvalidSetting`` naming the full key. Empty and
/// blank values count as absent; lists may be YAML sequences or comma-separated strings.
struct SettingsReader {
    /// The section's name, the prefix of its keys (`callback`).
    let section: String
    let reader: ConfigReader

    init(_ root: ConfigReader, section: String) {
        self.section = section
        self.reader = root.scoped(to: ConfigKey(section))
    }

    /// The full key of `key` in this section, as errors and documentation name it.
    func fullKey(_ key: String) -> String { "\(section).\(key)" }

    /// An error naming `key` of this section.
    func invalid(_ key: String, _ reason: String) -> InvalidSetting {
        InvalidSetting(setting: fullKey(key), reason: reason)
    }

    func string(_ key: String) -> String? {
        let value =
            reader.string(forKey: ConfigKey(key))
            ?? reader.stringArray(forKey: ConfigKey(key))?.joined(separator: ",")
        guard let trimmed = value?.trimmingCharacters(in: .whitespaces), !trimmed.isEmpty else { return nil }
        return trimmed
    }

    /// The items of a list setting; nil when it is absent or has no items (an empty list counts as absent, as an
    /// empty value does).
    func list(_ key: String) -> [String]? {
        let items: [String]
        if let array = reader.stringArray(forKey: ConfigKey(key)) {
            items = array.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        } else if let text = string(key) {
            items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        } else {
            return nil
        }
        return items.isEmpty ? nil : items
    }

    func int(_ key: String, default value: Int, in range: ClosedRange<Int> = 0...Int.max) throws -> Int {
        guard let text = string(key) else { return value }
        guard let parsed = Int(text), range.contains(parsed) else {
            throw invalid(key, "'\(text)' is not an integer in \(range.lowerBound)…\(range.upperBound)")
        }
        return parsed
    }

    /// The longest duration any setting takes: a year. Longer values (and `inf`) would overflow the nanosecond
    /// timers the jobs and clients sleep on, and trap.
    static let maximumSeconds: Double = 365 * 86_400

    /// A duration in seconds: `300` or `300s`, positive and finite, at least `minimum` and at most a year.
    func seconds(_ key: String, default value: Double, minimum: Double = 0) throws -> Double {
        guard let text = string(key) else { return value }
        let number = text.hasSuffix("s") ? String(text.dropLast()) : text
        guard let parsed = Double(number), parsed.isFinite, parsed > 0, parsed >= minimum,
            parsed <= Self.maximumSeconds
        else {
            let lower =
                minimum > 0
                ? "at least \(minimum.rounded() == minimum ? String(Int(minimum)) : String(minimum))" : "positive"
            throw invalid(
                key, "'\(text)' is not a number of seconds, \(lower) and at most \(Int(Self.maximumSeconds)) (a year)")
        }
        return parsed
    }

    /// An HTTP header name (RFC 9110 §5.1: a token), or `value` when absent.
    func headerName(_ key: String, default value: String) throws -> String {
        guard let text = string(key) else { return value }
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".unicodeScalars)
        guard text.unicodeScalars.allSatisfy({ tchar.contains($0) }) else {
            throw invalid(key, "'\(text)' is not an HTTP header name")
        }
        return text
    }

    func bool(_ key: String, default value: Bool) throws -> Bool {
        guard let text = string(key)?.lowercased() else { return value }
        switch text {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw invalid(key, "'\(text)' is not true or false")
        }
    }

    func version(_ key: String) throws -> ProtocolVersion {
        guard let text = string(key) else { return ProtocolVersion(major: 1, minor: 0) }
        do {
            return try ProtocolVersion(parsing: text)
        } catch {
            throw invalid(key, "'\(text)' is not major.minor")
        }
    }
}
