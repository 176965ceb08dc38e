// SPDX-License-Identifier: EUPL-1.2

/// `retention.*` (PROTOCOL.md §7.7, §9).
public struct RetentionSettings: Sendable {
    /// `retention.keyRetentionDays`: keys are deleted this many days after their upload (1…14, more than
    /// `download.maxAgeDays`).
    public var keyRetentionDays = 3
    /// `retention.interval`: seconds between key-retention runs.
    public var interval: Double = 3600
    /// `retention.chunkSize`: upload batches deleted per statement.
    public var chunkSize = 1000
    /// `retention.statisticsRetentionDays`: statistics, old download batches and old callback tasks are kept
    /// this long.
    public var statisticsRetentionDays = 90
    /// Seconds between statistics-retention runs (daily; not a setting).
    public var statisticsInterval: Double = 86_400

    /// The defaults of §9.
    public init() {}

    init(_ settings: SettingsReader) throws {
        keyRetentionDays = try settings.int("keyRetentionDays", default: keyRetentionDays)
        interval = try settings.seconds("interval", default: interval)
        chunkSize = try settings.int("chunkSize", default: chunkSize, in: 1...1_000_000)
        statisticsRetentionDays = try settings.int(
            "statisticsRetentionDays", default: statisticsRetentionDays, in: 1...3650)
    }
}
