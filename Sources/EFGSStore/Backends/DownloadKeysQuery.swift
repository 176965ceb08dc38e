// SPDX-License-Identifier: EUPL-1.2

import SQLKit

/// The download read of PROTOCOL.md §5.4, written once for both backends: the keys of one download batch not
/// uploaded by the caller's country, in download order (upload batch in acceptance order, then position). SQLKit
/// renders the binds per dialect (`?1` on SQLite, `$1` on PostgreSQL); each backend runs it in
/// ``SQLBackend/fetchKeys(batchTag:excludingCountry:)``.
struct DownloadKeysQuery: Sendable {
    var batchTag: String
    var excludingCountry: String

    /// The statement; its columns are `position` (integer), `dedup_mac` and `payload` (blobs).
    var sql: SQLQueryString {
        """
        SELECT k.position, k.dedup_mac, k.payload FROM diagnosis_keys k
        JOIN upload_batches u ON k.upload_batch_id = u.id
        WHERE u.download_batch_tag = \(bind: batchTag) AND u.country <> \(bind: excludingCountry)
        ORDER BY u.id, k.position
        """
    }
}
