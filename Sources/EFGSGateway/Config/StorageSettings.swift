// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol

/// `storage.*` (PROTOCOL.md §7.1, §9): the keys that encrypt stored diagnosis keys and make their dedup MACs.
enum StorageSettings {
    static func read(_ settings: SettingsReader) throws -> StorageCipher.Configuration {
        guard let entries = settings.list("keys"), !entries.isEmpty else {
            throw settings.invalid("keys", "required: a list of KEYID:BASE64 (32 bytes)")
        }
        var keys: [String: [UInt8]] = [:]
        for entry in entries {
            guard let colon = entry.firstIndex(of: ":") else {
                throw settings.invalid("keys", "entry is not KEYID:BASE64")
            }
            let id = String(entry[..<colon])
            guard StorageCipher.isValidKeyId(id) else {
                throw settings.invalid("keys", "key id '\(id)' must be 1–32 characters [A-Za-z0-9_-]")
            }
            guard let raw = Base64.decodeStrict(entry[entry.index(after: colon)...]), raw.count == 32 else {
                throw settings.invalid("keys", "key '\(id)' is not Base64 of 32 bytes")
            }
            guard keys[id] == nil else { throw settings.invalid("keys", "key id '\(id)' is listed twice") }
            keys[id] = raw
        }
        guard let active = settings.string("activeKeyId") else { throw settings.invalid("activeKeyId", "required") }
        guard keys[active] != nil else { throw settings.invalid("activeKeyId", "'\(active)' is not in storage.keys") }
        let dedup = settings.string("dedupKeyId") ?? active
        guard keys[dedup] != nil else { throw settings.invalid("dedupKeyId", "'\(dedup)' is not in storage.keys") }
        return .init(keys: keys, activeKeyId: active, dedupKeyId: dedup)
    }
}
