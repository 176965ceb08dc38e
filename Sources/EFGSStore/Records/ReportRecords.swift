// SPDX-License-Identifier: EUPL-1.2

/// One country's traffic on one UTC day, from the upload and download statistics of PROTOCOL.md §7.7
/// (`efgs report usage`).
public struct UsageDay: Sendable, Equatable {
    /// The UTC day, days since 1970-01-01.
    public var epochDay: Int64
    /// The country that uploaded or downloaded.
    public var country: String
    /// Accepted uploads.
    public var uploads: Int
    /// Keys in the accepted uploads.
    public var keysUploaded: Int
    /// Successful downloads.
    public var downloads: Int
    /// Keys delivered by those downloads.
    public var keysDownloaded: Int

    /// The figures of `country` on `epochDay`.
    public init(
        epochDay: Int64, country: String, uploads: Int = 0, keysUploaded: Int = 0, downloads: Int = 0,
        keysDownloaded: Int = 0
    ) {
        self.epochDay = epochDay
        self.country = country
        self.uploads = uploads
        self.keysUploaded = keysUploaded
        self.downloads = downloads
        self.keysDownloaded = keysDownloaded
    }
}

/// One key-retention run as the cleanup statistics of §7.7 recorded it (`efgs report retention`).
public struct CleanupRun: Sendable, Equatable {
    /// When the run ended, epoch milliseconds.
    public var time: Int64
    /// The run's retention limit (``KeyRetentionCutoffs/batchedBefore``), epoch milliseconds.
    public var cutoff: Int64
    /// Keys the run deleted.
    public var keysDeleted: Int
    /// Keys stored when it started.
    public var keysBefore: Int
    /// Keys stored when it ended.
    public var keysAfter: Int
    /// When the oldest upload batch it left was accepted, epoch milliseconds; nil when it left none, or for a run
    /// recorded before schema version 4.
    public var oldestKept: Int64?

    /// One recorded run.
    public init(
        time: Int64, cutoff: Int64, keysDeleted: Int, keysBefore: Int, keysAfter: Int, oldestKept: Int64? = nil
    ) {
        self.time = time
        self.cutoff = cutoff
        self.keysDeleted = keysDeleted
        self.keysBefore = keysBefore
        self.keysAfter = keysAfter
        self.oldestKept = oldestKept
    }
}

/// What the store holds now, by age: the facts of a retention report.
public struct HeldKeys: Sendable, Equatable {
    /// Keys stored.
    public var keys: Int
    /// Upload batches stored.
    public var uploadBatches: Int
    /// When the oldest stored upload batch was accepted, epoch milliseconds; nil when none is stored.
    public var oldestAcceptedAt: Int64?

    /// The figures.
    public init(keys: Int, uploadBatches: Int, oldestAcceptedAt: Int64?) {
        self.keys = keys
        self.uploadBatches = uploadBatches
        self.oldestAcceptedAt = oldestAcceptedAt
    }
}
