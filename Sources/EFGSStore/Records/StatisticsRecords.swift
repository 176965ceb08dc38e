// SPDX-License-Identifier: EUPL-1.2

/// The figures of one retention run (§7.7), also stored as a cleanup statistic.
public struct CleanupResult: Sendable, Equatable {
    /// Keys of upload batches accepted before this time (epoch milliseconds) were deleted.
    public var cutoff: Int64
    /// Keys deleted by the run.
    public var keysDeleted: Int
    /// Keys stored when the run started.
    public var keysBefore: Int
    /// Keys stored when the run ended.
    public var keysAfter: Int
}

/// Per-country activity, for operators (`efgs country list`), from the statistics of §7.7.
public struct CountryActivity: Sendable, Equatable {
    /// The country.
    public var country: String
    /// Time of the country's most recent accepted upload, epoch milliseconds; nil when none is recorded.
    public var lastUpload: Int64?
    /// Time of the country's most recent successful download, epoch milliseconds; nil when none is recorded.
    public var lastDownload: Int64?
}

extension CountryActivity {
    init(country: String) {
        self.init(country: country, lastUpload: nil, lastDownload: nil)
    }
}
