// SPDX-License-Identifier: EUPL-1.2

/// `batching.*` (PROTOCOL.md §7.3, §9).
public struct BatchingSettings: Sendable {
    /// `batching.interval`: seconds between batching runs (measured from the end of the previous run).
    public var interval: Double = 300
    /// `batching.timeLimit`: a run stops creating batches after this many seconds.
    public var timeLimit: Double = 1200
    /// `batching.docLimit`: the most keys in one download batch; reaching it unbatched starts a run early.
    public var docLimit = 5000

    /// The defaults of §9.
    public init() {}

    init(_ settings: SettingsReader) throws {
        interval = try settings.seconds("interval", default: interval)
        timeLimit = try settings.seconds("timeLimit", default: timeLimit)
        docLimit = try settings.int("docLimit", default: docLimit, in: 1...1_000_000)
    }
}
