// SPDX-License-Identifier: EUPL-1.2

/// Accepted uploads (PROTOCOL.md §5.3): the upload batch with its snapshots and sealed keys (§7.1), and the
/// permanent upload-tag reservation (§7.2).
public protocol UploadStore: Sendable {
    /// Whether `country` has reserved upload tag `tag` (§7.2).
    func isUploadTagReserved(country: String, tag: String) async throws -> Bool
    /// Stores the upload batch, its keys, the tag reservation and the upload statistic in one transaction, or
    /// reports why not: the tag is reserved, or keys duplicate stored keys or each other (§5.3 checks 14, 17, 18).
    /// Each chunk of `keys` is inserted as soon as it is ready.
    func storeUpload(_ batch: UploadBatchRecord, keys: UploadKeys) async throws -> UploadStoreOutcome
}

extension UploadStore {
    /// ``storeUpload(_:keys:)`` of keys that are ready.
    public func storeUpload(_ batch: UploadBatchRecord, keys: [StoredKey]) async throws -> UploadStoreOutcome {
        try await storeUpload(batch, keys: UploadKeys(keys))
    }
}
