// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSStore
import Foundation

/// The storage-key check (PROTOCOL.md §7.1): every configured key must match the check value recorded for its id,
/// and every key id with stored values sealed under it must be configured — otherwise stored batches could not be
/// decrypted, and keys already stored would be accepted again under another dedup MAC. Refused before anything
/// is written; on success the check values of configured keys not yet recorded are recorded.
public struct StorageKeyCheck: Sendable {
    let store: any StorageKeyCheckStore
    let keys: StorageCipher.Configuration

    /// A check of `keys` against `store`.
    public init(store: any StorageKeyCheckStore, keys: StorageCipher.Configuration) {
        self.store = store
        self.keys = keys
    }

    /// The problems, each naming `storage.keys` and the key id; empty when the configuration matches the data.
    public func problems() async throws -> [String] {
        try await problems(recorded: try await store.storageKeyChecks())
    }

    func problems(recorded: [String: [UInt8]]) async throws -> [String] {
        let configured = StorageCipher.checkValues(keys)
        var problems: [String] = []
        for (id, value) in configured.sorted(by: { $0.key < $1.key }) {
            if let stored = recorded[id], stored != value {
                problems.append(
                    "key id '\(id)' is not the key that sealed the stored data (its check value differs); "
                        + "restore the original key for '\(id)'")
            }
        }
        for id in recorded.keys.sorted() where configured[id] == nil {
            if try await store.hasValuesSealed(withPrefix: StorageCipher.storedPrefix(keyId: id)) {
                problems.append("key id '\(id)' sealed stored keys but is not configured; add it to storage.keys")
            }
        }
        return problems
    }

    /// Refuses a configuration with problems; otherwise records the check values not yet recorded.
    ///
    /// - Throws: ``InvalidSetting`` naming `storage.keys` and the first key id at fault.
    public func verifyAndRecord(now: Date = Date()) async throws {
        let recorded = try await store.storageKeyChecks()
        if let first = try await problems(recorded: recorded).first {
            throw InvalidSetting(setting: "storage.keys", reason: first)
        }
        for (id, value) in StorageCipher.checkValues(keys).sorted(by: { $0.key < $1.key }) where recorded[id] == nil {
            try await store.recordStorageKeyCheck(keyId: id, checkValue: value, at: UTCTimestamp.millis(now))
        }
    }
}
