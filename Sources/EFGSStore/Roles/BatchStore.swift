// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// Batching and the download chain (PROTOCOL.md §7.3).
public protocol BatchStore: Sendable {
    /// Creates one download batch from the oldest unbatched upload batches, or returns nil when none is left. In
    /// one transaction: takes upload batches in acceptance order while the format stays that of the first and the
    /// key count stays ≤ `docLimit` (the first is always taken), tags the batch `yyyyMMdd-N` of `now`'s UTC date,
    /// links the previously newest batch to it, and creates one callback task per subscription (§7.5).
    func createDownloadBatch(now: Date, docLimit: Int) async throws -> DownloadBatchRecord?
    /// Keys of upload batches not yet in a download batch (the early batching trigger).
    func unbatchedKeyCount() async throws -> Int
}
