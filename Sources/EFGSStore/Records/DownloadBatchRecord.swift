// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol

/// A download batch (§7.3), one link of the download chain.
public struct DownloadBatchRecord: Sendable, Equatable {
    /// `yyyyMMdd-N` of the creation time's UTC date (§7.3).
    public var tag: String
    /// Creation time, epoch milliseconds.
    public var createdAt: Int64
    /// The tag of the batch created next (any day); nil for the newest batch.
    public var nextTag: String?
    /// Number of keys in the batch (all countries).
    public var keyCount: Int
    /// The one format version of the batch's upload batches.
    public var format: WireFormat
    /// Why the operator took the batch out of the chain (`efgs batch quarantine`); nil for a served batch.
    public var quarantineReason: String? = nil
    /// Starts at 0 and grows by one each time key retention deletes upload batches of this batch: the batch's keys
    /// are the same for as long as the version is.
    public var contentVersion: Int = 0
}
