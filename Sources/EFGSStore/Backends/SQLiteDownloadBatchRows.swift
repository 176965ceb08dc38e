// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol

/// The download batch row a download asks for (``DownloadStore/downloadBatchNow(_:)``) read through
/// ``SQLiteReadsNow``: by its tag, or as the head of a day's chain (PROTOCOL.md §5.4) — the read every download makes
/// (its keys come from the download cache once the batch was downloaded; its row cannot: a quarantine or a key
/// retention that changed the batch counts from the next download on).
enum SQLiteDownloadBatchRows {
    static let columns = "tag, created_at, next_tag, key_count, format, quarantine_reason, content_version"
    static let byTag = "SELECT \(columns) FROM download_batches WHERE tag = ?1"
    static let firstCreated = """
        SELECT \(columns) FROM download_batches WHERE created_at >= ?1 AND quarantined_at IS NULL
        ORDER BY created_at, tag_number LIMIT 1
        """

    /// The row `lookup` names, read now on this thread (empty: no such batch); nil when not read here.
    static func rows(_ lookup: DownloadBatchLookup, in reads: SQLiteReadsNow) -> [DownloadBatchRecord]? {
        switch lookup {
        case .tag(let tag): reads.rows(byTag, bind: { $0.bind(1, tag) }, row: row)
        case .firstCreated(let millis): reads.rows(firstCreated, bind: { $0.bind(1, millis) }, row: row)
        }
    }

    /// The row at the statement's cursor; nil when a column is not what the table stores (the usual read then
    /// reports it as ``StoreError/corrupt(_:)``).
    static func row(_ s: SQLiteReadsNow.Statement) -> DownloadBatchRecord? {
        guard let tag = s.text(0), let createdAt = s.integer(1), let nextTag = s.optionalText(2),
            let keyCount = s.integer(3), let format = s.text(4).flatMap(WireFormat.init(rawValue:)),
            let quarantineReason = s.optionalText(5), let contentVersion = s.integer(6)
        else { return nil }
        return DownloadBatchRecord(
            tag: tag, createdAt: createdAt, nextTag: nextTag, keyCount: Int(keyCount), format: format,
            quarantineReason: quarantineReason, contentVersion: Int(contentVersion))
    }
}
