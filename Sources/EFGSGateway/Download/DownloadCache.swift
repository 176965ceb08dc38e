// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import Metrics
import NIOCore
import Synchronization

/// Download responses kept in memory (`download.cacheMegabytes`): the body of one download batch in one format,
/// so that only the first download of each decrypts and encodes the batch's keys. A caller never receives its own
/// country's keys (PROTOCOL.md §5.4), so a country that uploaded some of the batch's keys gets a body of its own;
/// every other caller shares the body with every key (``Key/everyKey``). Which countries uploaded to a batch is
/// remembered per batch and content version (``uploaderCountries(batchTag:contentVersion:load:)``).
///
/// A download batch's keys never change while its `content_version` stays the same (retention bumps it in the
/// transaction that deletes keys of the batch, `DownloadBatchRecord.contentVersion`), and every download reads
/// the batch's row anyway (for `nextBatchTag` and the quarantine state). The entry's key carries the version read
/// from that row, so an entry is used only while the store still holds exactly the keys it was built from, on every
/// instance sharing the database. The cache holds at most its capacity in body bytes and drops the least recently
/// used entries first; an entry of an older version of a batch, and every entry of a withdrawn batch, is dropped as
/// soon as the newer state is seen.
public final class DownloadCache: Sendable {
    /// What a cached body was built from.
    public struct Key: Hashable, Sendable {
        /// The download batch's tag.
        public var batchTag: String
        /// The batch's `contentVersion` when the body was built.
        public var contentVersion: Int
        /// The country whose keys the body leaves out: the downloading country when it uploaded some of the batch's
        /// keys, else ``everyKey`` — one body with every key, shared by every caller that uploaded none of them.
        public var country: String

        /// The ``country`` of the body that leaves no key out.
        public static let everyKey = ""
        /// The body's format.
        public var format: WireFormat

        /// The key of `batchTag` at `contentVersion` for `country` in `format`.
        public init(batchTag: String, contentVersion: Int, country: String, format: WireFormat) {
            self.batchTag = batchTag
            self.contentVersion = contentVersion
            self.country = country
            self.format = format
        }
    }

    /// A cached response body and how many keys it holds (for the download statistics).
    public struct Entry: Sendable, Equatable {
        /// The response body, shared by every response that sends it: a response writes slices of this buffer to
        /// its connection, so a download copies none of the body's bytes in the gateway (issue 14). The cache counts
        /// the buffer's capacity (NIO allocates the next power of two: 256 KiB for a 228 KB body).
        public var body: ByteBuffer
        /// The number of keys in `body`.
        public var keyCount: Int

        /// An entry of `body` holding `keyCount` keys.
        public init(body: [UInt8], keyCount: Int) {
            self.body = ByteBuffer(bytes: body)
            self.keyCount = keyCount
        }
    }

    struct State {
        var entries: [Key: (entry: Entry, lastUse: UInt64)] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }

    /// The most body bytes held.
    public let capacityBytes: Int
    let state = Mutex(State())
    /// The bodies being built: the downloads that miss one key at the same time wait for one build, so a cold entry
    /// is decrypted and encoded once, not once per waiting connection.
    let building = Mutex([Key: Task<Entry, any Error>]())

    /// The countries that uploaded each recently downloaded batch's keys, with the content version they were read
    /// at. Upload batches join a download batch only when it is created, so the set can only shrink (retention,
    /// which bumps the version); it is read again when the version changes.
    let uploaders = Mutex([String: (contentVersion: Int, countries: Set<String>)]())
    /// The most batches whose uploader countries are remembered (all are forgotten when it is reached).
    static let uploaderBatchLimit = 65_536

    /// A cache of at most `capacityBytes` body bytes; 0 keeps nothing.
    public init(capacityBytes: Int) {
        self.capacityBytes = max(capacityBytes, 0)
    }

    /// The entry for `key`, counted as a hit or a miss.
    public func entry(for key: Key) -> Entry? {
        let entry = state.withLock { state -> Entry? in
            guard let found = state.entries[key] else { return nil }
            state.clock += 1
            state.entries[key]?.lastUse = state.clock
            return found.entry
        }
        Counter(label: entry == nil ? "efgs_download_cache_misses_total" : "efgs_download_cache_hits_total").increment()
        return entry
    }

    /// The entry for `key`: a cached one, or the one `build` makes — once for all callers that miss `key` at the
    /// same time — which is then kept. A failed build fails its waiters and is tried again by the next caller.
    public func entry(for key: Key, build: @escaping @Sendable () async throws -> Entry) async throws -> Entry {
        if let cached = entry(for: key) { return cached }
        let task = building.withLock { underWay -> Task<Entry, any Error> in
            if let running = underWay[key] { return running }
            let task = Task {
                // kept before it stops being "under way", so a caller arriving in between finds it in the cache
                defer { _ = self.building.withLock { $0.removeValue(forKey: key) } }
                let entry = try await build()
                self.insert(entry, for: key)
                return entry
            }
            underWay[key] = task
            return task
        }
        return try await task.value
    }

    /// The countries that uploaded keys of `batchTag` at `contentVersion`: remembered ones, or the ones `load` reads
    /// with the version they belong to (then remembered under that version). Nil when `load` read another version
    /// (retention changed the batch in between): a set is only ever used for the version it was read at, so it
    /// names every country whose keys a body built at that version can hold.
    public func uploaderCountries(
        batchTag: String, contentVersion: Int,
        load: () async throws -> (contentVersion: Int, countries: Set<String>)?
    ) async throws -> Set<String>? {
        if let known = uploaders.withLock({ $0[batchTag] }), known.contentVersion == contentVersion {
            return known.countries
        }
        guard let read = try await load() else { return nil }
        uploaders.withLock { known in
            if known.count >= Self.uploaderBatchLimit { known.removeAll() }
            if (known[batchTag]?.contentVersion ?? .min) <= read.contentVersion {
                known[batchTag] = (read.contentVersion, read.countries)
            }
        }
        return read.contentVersion == contentVersion ? read.countries : nil
    }

    /// Keeps `entry` for `key`, dropping the entries of older versions of the same batch and then the least
    /// recently used ones until it fits. A body larger than the capacity is not kept.
    public func insert(_ entry: Entry, for key: Key) {
        guard entry.body.capacity <= capacityBytes else { return }
        let bytes = state.withLock { state -> Int in
            for old in state.entries.keys
            where old.batchTag == key.batchTag && old.contentVersion < key.contentVersion {
                state.remove(old)
            }
            if let replaced = state.entries[key] { state.bytes -= replaced.entry.body.capacity }
            state.clock += 1
            state.entries[key] = (entry, state.clock)
            state.bytes += entry.body.capacity
            if state.bytes > capacityBytes {
                let byAge = state.entries.sorted { $0.value.lastUse < $1.value.lastUse }.map(\.key)
                for old in byAge where state.bytes > capacityBytes && old != key { state.remove(old) }
            }
            return state.bytes
        }
        Gauge(label: "efgs_download_cache_bytes").record(bytes)
    }

    /// Drops every entry of `batchTag` (a withdrawn or deleted batch).
    public func remove(batchTag: String) {
        let bytes = state.withLock { state -> Int in
            for key in state.entries.keys where key.batchTag == batchTag { state.remove(key) }
            return state.bytes
        }
        _ = uploaders.withLock { $0.removeValue(forKey: batchTag) }
        Gauge(label: "efgs_download_cache_bytes").record(bytes)
    }

    /// The number of entries and the body bytes they hold.
    public var usage: (entries: Int, bytes: Int) {
        state.withLock { ($0.entries.count, $0.bytes) }
    }
}

extension DownloadCache.State {
    mutating func remove(_ key: DownloadCache.Key) {
        if let removed = entries.removeValue(forKey: key) { bytes -= removed.entry.body.capacity }
    }
}
