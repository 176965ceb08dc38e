// SPDX-License-Identifier: EUPL-1.2

import Crypto
import EFGSProtocol
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Encryption at rest and the dedup MAC (PROTOCOL.md §7.1).
///
/// Stored form: `0x01` ‖ len(keyId) ‖ keyId ‖ nonce(12) ‖ ciphertext ‖ tag(16), AES-256-GCM, fresh random
/// nonce per value, AAD = the key's 32-byte dedup MAC.
public struct StorageCipher: Sendable {
    /// The configured storage keys (§7.1, §9).
    public struct Configuration: Sendable {
        /// The 32-byte keys by key id.
        public var keys: [String: [UInt8]]
        /// The key that seals new values.
        public var activeKeyId: String
        /// The key the dedup MAC key is derived from; it must not change while stored values exist.
        public var dedupKeyId: String

        /// A configuration; the dedup key defaults to the active key.
        public init(keys: [String: [UInt8]], activeKeyId: String, dedupKeyId: String? = nil) {
            self.keys = keys
            self.activeKeyId = activeKeyId
            self.dedupKeyId = dedupKeyId ?? activeKeyId
        }
    }

    /// A configuration error, or a stored value that cannot be opened.
    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        /// A key id is not 1–32 characters of `[A-Za-z0-9_-]`.
        case invalidKeyId(String)
        /// A key is not 32 bytes.
        case wrongKeyLength(String)
        /// The active, dedup or a stored value's key id is not configured.
        case unknownKeyId(String)
        /// A stored value is not in the stored form.
        case malformedValue
        /// AES-GCM refused the stored value (tampered, or another MAC).
        case authenticationFailed

        /// The message for the operator.
        public var description: String {
            switch self {
            case .invalidKeyId(let id): return "storage key id '\(id)' must be 1–32 characters [A-Za-z0-9_-]"
            case .wrongKeyLength(let id): return "storage key '\(id)' must be 32 bytes of Base64"
            case .unknownKeyId(let id): return "storage key '\(id)' is not configured"
            case .malformedValue: return "stored value is malformed"
            case .authenticationFailed: return "stored value failed authentication"
            }
        }
    }

    let keys: [String: SymmetricKey]
    let activeKey: SymmetricKey
    let activeKeyIdBytes: [UInt8]
    let dedupHMAC: HMAC<SHA256>

    /// A cipher over the configured keys; throws when a key id, a key or the active/dedup choice is invalid.
    public init(_ config: Configuration) throws {
        var keys: [String: SymmetricKey] = [:]
        for (id, raw) in config.keys {
            guard Self.isValidKeyId(id) else { throw Error.invalidKeyId(id) }
            guard raw.count == 32 else { throw Error.wrongKeyLength(id) }
            keys[id] = SymmetricKey(data: raw)
        }
        guard let dedupIKM = keys[config.dedupKeyId] else { throw Error.unknownKeyId(config.dedupKeyId) }
        guard keys[config.activeKeyId] != nil else { throw Error.unknownKeyId(config.activeKeyId) }
        self.keys = keys
        activeKey = keys[config.activeKeyId]!
        activeKeyIdBytes = Array(config.activeKeyId.utf8)
        let dedupKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: dedupIKM, salt: [UInt8](),
            info: Array("efgs-dedup-v1".utf8), outputByteCount: 32)
        dedupHMAC = HMAC<SHA256>(key: dedupKey)
    }

    /// The key check value of each configured key: HMAC-SHA256 of a fixed label under a key derived from the
    /// storage key with HKDF (info `efgs-key-check-v1`) — it identifies the key without revealing it. Stored with
    /// the key id, it lets every start refuse a key that differs from the one that sealed the data.
    public static func checkValues(_ config: Configuration) -> [String: [UInt8]] {
        config.keys.mapValues { raw in
            let derived = HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: raw), salt: [UInt8](), info: Array("efgs-key-check-v1".utf8),
                outputByteCount: 32)
            return Array(
                HMAC<SHA256>.authenticationCode(for: Array("EFGS storage key check value".utf8), using: derived))
        }
    }

    /// The stored form's prefix of values sealed under `keyId`: `0x01` ‖ len(keyId) ‖ keyId.
    public static func storedPrefix(keyId: String) -> [UInt8] {
        [0x01, UInt8(keyId.utf8.count)] + Array(keyId.utf8)
    }

    /// True for 1–32 characters of `[A-Za-z0-9_-]`.
    public static func isValidKeyId(_ id: String) -> Bool {
        let u = id.utf8
        return (1...32).contains(u.count)
            && u.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
                    || c == 0x2D
            }
    }

    /// HMAC-SHA256(K_dedup, canonical record). The keyed HMAC state is prepared once and copied per record.
    public func dedupMAC(record: [UInt8]) -> [UInt8] {
        var h = dedupHMAC
        h.update(data: record)
        return h.finalize().withUnsafeBytes { Array($0) }
    }

    /// Seals one value under the active key with a fresh random nonce. Only the tests seal single values; the
    /// gateway seals batches with ``seal(payloads:macs:)``.
    @_spi(Testing)
    public func seal(_ payload: [UInt8], mac: [UInt8]) throws -> [UInt8] {
        try seal(payload, mac: mac, nonce: AES.GCM.Nonce())
    }

    /// Seals `payloads[i]` with AAD `macs[i]`. Every value gets its own fresh random 96-bit nonce; the nonces are
    /// drawn from the system CSPRNG in one read instead of one system call per value.
    public func seal(payloads: [[UInt8]], macs: [[UInt8]]) throws -> [[UInt8]] {
        precondition(payloads.count == macs.count, "one MAC per payload")
        let nonces = Self.systemRandomBytes(count: 12 * payloads.count)
        var out: [[UInt8]] = []
        out.reserveCapacity(payloads.count)
        for i in payloads.indices {
            let nonce = try AES.GCM.Nonce(data: nonces[(12 * i)..<(12 * i + 12)])
            out.append(try seal(payloads[i], mac: macs[i], nonce: nonce))
        }
        return out
    }

    func seal(_ payload: [UInt8], mac: [UInt8], nonce: AES.GCM.Nonce) throws -> [UInt8] {
        let box = try AES.GCM.seal(payload, using: activeKey, nonce: nonce, authenticating: mac)
        var out: [UInt8] = [0x01, UInt8(activeKeyIdBytes.count)]
        out.reserveCapacity(2 + activeKeyIdBytes.count + 12 + payload.count + 16)
        out += activeKeyIdBytes
        out += box.combined!  // nonce ‖ ciphertext ‖ tag (always present for 12-byte nonces)
        return out
    }

    /// `count` bytes from the operating system's CSPRNG, 256 bytes per system call: getentropy(3) reads getrandom(2)
    /// (glibc 2.25 and later), which needs no file descriptor, so sealing still works when a flood of connections
    /// holds every descriptor the process may open (issue 12: `/dev/urandom` opened per upload failed with EMFILE and
    /// the upload answered 500). `SystemRandomNumberGenerator` makes one getrandom call per 8 bytes: 7500 for the
    /// nonces of a 5000-key upload against 235 (issue 14); it fills what getentropy did not (it traps when the system
    /// has no randomness to give, as the generator does everywhere).
    static func systemRandomBytes(count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            #if canImport(Glibc) || canImport(Darwin)
            while offset < buffer.count {
                let n = min(256, buffer.count - offset)  // getentropy's most per call
                guard getentropy(base.advanced(by: offset), n) == 0 else { break }
                offset += n
            }
            #endif
            var generator = SystemRandomNumberGenerator()
            while offset < buffer.count {
                withUnsafeBytes(of: generator.next() as UInt64) { word in
                    let n = min(8, buffer.count - offset)
                    base.advanced(by: offset).copyMemory(from: word.baseAddress!, byteCount: n)
                    offset += n
                }
            }
        }
        return bytes
    }

    /// Opens a stored value sealed under any configured key, with its dedup MAC as AAD.
    public func open(_ value: [UInt8], mac: [UInt8]) throws -> [UInt8] {
        guard value.count >= 2, value[0] == 0x01 else { throw Error.malformedValue }
        let idLen = Int(value[1])
        guard value.count >= 2 + idLen + 12 + 16 else { throw Error.malformedValue }
        let id = String(decoding: value[2..<(2 + idLen)], as: UTF8.self)
        guard let key = keys[id] else { throw Error.unknownKeyId(id) }
        do {
            let box = try AES.GCM.SealedBox(combined: value[(2 + idLen)...])  // nonce ‖ ciphertext ‖ tag
            return Array(try AES.GCM.open(box, using: key, authenticating: mac))
        } catch {
            throw Error.authenticationFailed
        }
    }
}
