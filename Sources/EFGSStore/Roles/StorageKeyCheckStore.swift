// SPDX-License-Identifier: EUPL-1.2

/// The key check values of the storage keys (PROTOCOL.md §7.1): one per key id that sealed or may seal stored data,
/// so a start with another key under the same id is refused before anything is written.
public protocol StorageKeyCheckStore: Sendable {
    /// The recorded check value of every key id.
    func storageKeyChecks() async throws -> [String: [UInt8]]
    /// Records the check value of `keyId` unless one is recorded already (then nothing changes).
    func recordStorageKeyCheck(keyId: String, checkValue: [UInt8], at millis: Int64) async throws
    /// Whether any stored key is sealed under `keyId` (its stored form starts with `prefix`).
    func hasValuesSealed(withPrefix prefix: [UInt8]) async throws -> Bool
}
