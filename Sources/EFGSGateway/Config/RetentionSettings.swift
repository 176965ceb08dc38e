// SPDX-License-Identifier: EUPL-1.2

/// `retention.*` (PROTOCOL.md §7.7, §9).
public struct RetentionSettings: Sendable {
    /// The legal limit: no key is kept longer than this many days after its upload, batched or not (the upper
    /// bound of `retention.keyRetentionDays`; ``KeyRetentionJob``).
    public static let legalKeyRetentionDays = 14

    /// `retention.keyRetentionDays`: keys are deleted this many days after their upload (1…14, more than
    /// `download.maxAgeDays`).
    public var keyRetentionDays = 3
    /// `retention.interval`: seconds between key-retention runs.
    public var interval: Double = 3600
    /// `retention.chunkSize`: keys deleted per transaction at most, in whole upload batches (one larger upload
    /// batch is deleted alone).
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
