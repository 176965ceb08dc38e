// SPDX-License-Identifier: EUPL-1.2

/// The keys of one upload for ``UploadStore/storeUpload(_:keys:)``, handed over in chunks: the store inserts each
/// chunk as soon as it is ready, so the gateway seals the chunks after it (PROTOCOL.md §7.1: a MAC and an AES-GCM seal
/// per key) while the database writes the ones before (issue 14: sealing then inserting a 5000-key upload took about
/// 18 + 30 ms one after the other on two cores).
///
/// A chunk must be the same every time it is asked for: the store asks again for every chunk when a conflict makes it
/// try the upload a second time.
public struct UploadKeys: Sendable {
    /// How many keys the upload holds.
    public let count: Int
    /// How many chunks ``chunk(_:)`` hands over, 0 to `chunkCount - 1`.
    public let chunkCount: Int
    let produce: @Sendable (Int) async throws -> [StoredKey]

    /// `count` keys in `chunkCount` chunks; `chunk(i)` gives the keys of chunk `i`, each with its position in the
    /// upload, and gives the same keys on every call for the same `i`.
    public init(count: Int, chunkCount: Int, chunk: @escaping @Sendable (Int) async throws -> [StoredKey]) {
        precondition(count >= 0 && chunkCount >= 0 && (count == 0) == (chunkCount == 0), "chunks of the keys")
        self.count = count
        self.chunkCount = chunkCount
        produce = chunk
    }

    /// Keys that are ready, as one chunk.
    public init(_ keys: [StoredKey]) {
        self.init(count: keys.count, chunkCount: keys.isEmpty ? 0 : 1) { _ in keys }
    }

    /// The keys of chunk `index`, waiting until they are ready.
    public func chunk(_ index: Int) async throws -> [StoredKey] {
        precondition((0..<chunkCount).contains(index), "chunk \(index) of \(chunkCount)")
        return try await produce(index)
    }

    /// Every key, chunk after chunk.
    public func all() async throws -> [StoredKey] {
        var keys: [StoredKey] = []
        keys.reserveCapacity(count)
        for index in 0..<chunkCount { keys += try await chunk(index) }
        return keys
    }
}
