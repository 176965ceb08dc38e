// SPDX-License-Identifier: EUPL-1.2

/// The two limits of one key-retention run (PROTOCOL.md §7.7), epoch milliseconds. Retention deletes whole upload
/// batches only, and an upload batch goes when either limit is passed:
/// - its download batch was created before ``batchedBefore`` (now − `retention.keyRetentionDays`): every country
///   could download its keys for the whole retention period;
/// - it was accepted before ``acceptedBefore`` (now − the 14-day legal limit), whether it was batched or not: the
///   legal limit wins over availability (reported as an ``EarlyDeletedUploadBatch``).
public struct KeyRetentionCutoffs: Sendable, Equatable {
    /// Upload batches in a download batch created before this time are deleted.
    public var batchedBefore: Int64
    /// Upload batches accepted before this time are deleted, batched or not.
    public var acceptedBefore: Int64

    /// The limits of one run.
    public init(batchedBefore: Int64, acceptedBefore: Int64) {
        self.batchedBefore = batchedBefore
        self.acceptedBefore = acceptedBefore
    }
}

/// An upload batch retention deleted at the legal limit before its keys were downloadable for the retention period:
/// never batched (``downloadBatchTag`` nil, e.g. batching stopped for 14 days), or batched too late.
public struct EarlyDeletedUploadBatch: Sendable, Equatable {
    /// The uploading country.
    public var country: String
    /// The upload's `batchTag`.
    public var uploadTag: String
    /// Keys deleted with it.
    public var keyCount: Int
    /// The download batch it was in, nil when it was never batched.
    public var downloadBatchTag: String?

    /// One early-deleted upload batch.
    public init(country: String, uploadTag: String, keyCount: Int, downloadBatchTag: String?) {
        self.country = country
        self.uploadTag = uploadTag
        self.keyCount = keyCount
        self.downloadBatchTag = downloadBatchTag
    }
}

/// The figures of one retention run (§7.7), also stored as a cleanup statistic.
public struct CleanupResult: Sendable, Equatable {
    /// The retention limit of the run (``KeyRetentionCutoffs/batchedBefore``, epoch milliseconds), the `cutoff` of
    /// the cleanup statistic.
    public var cutoff: Int64
    /// Keys deleted by the run.
    public var keysDeleted: Int
    /// Keys stored when the run started.
    public var keysBefore: Int
    /// Keys stored when the run ended.
    public var keysAfter: Int
    /// Upload batches deleted at the legal limit before their keys were downloadable for the retention period, in
    /// acceptance order.
    public var earlyDeleted: [EarlyDeletedUploadBatch] = []
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

/// One successful download, for the statistics of §7.7.
public struct DownloadStatistic: Sendable, Equatable {
    /// When, epoch milliseconds.
    public var time: Int64
    /// The downloading country.
    public var country: String
    /// The downloaded batch's tag.
    public var batchTag: String
    /// The keys delivered.
    public var keyCount: Int

    /// A download of `keyCount` keys of `batchTag` by `country` at `time`.
    public init(time: Int64, country: String, batchTag: String, keyCount: Int) {
        self.time = time
        self.country = country
        self.batchTag = batchTag
        self.keyCount = keyCount
    }
}

/// What the store holds now, for the operator's health metrics (`docs/metrics.md`).
public struct StoreFigures: Sendable, Equatable {
    /// Keys stored (the key counts of the stored upload batches: retention deletes upload batches whole).
    public var keysStored: Int
    /// Keys of upload batches not yet in a download batch.
    public var unbatchedKeys: Int
    /// When the oldest upload batch not yet in a download batch was accepted, epoch milliseconds; nil when none.
    public var oldestUnbatchedAcceptedAt: Int64?
    /// The database's size in bytes (SQLite: pages × page size; PostgreSQL: `pg_database_size`).
    public var databaseBytes: Int64

    /// The figures.
    public init(keysStored: Int, unbatchedKeys: Int, oldestUnbatchedAcceptedAt: Int64?, databaseBytes: Int64) {
        self.keysStored = keysStored
        self.unbatchedKeys = unbatchedKeys
        self.oldestUnbatchedAcceptedAt = oldestUnbatchedAcceptedAt
        self.databaseBytes = databaseBytes
    }
}
