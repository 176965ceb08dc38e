// SPDX-License-Identifier: EUPL-1.2

import Crypto
import SwiftASN1

/// The hash functions of PROTOCOL.md §6.2 (RFC 5754; parameters absent or NULL). PKCS#12 (RFC 7292) uses the
/// same set for its integrity MAC.
enum HashAlgorithm: Equatable {
    case sha1, sha256, sha384, sha512

    /// The hash of a SignerInfo's digestAlgorithm; throws `malformed` for any other algorithm or parameters.
    init(digestAlgorithm alg: AlgorithmIdentifierValue) throws {
        guard alg.hasAbsentOrNullParameters, let h = HashAlgorithm(oid: alg.oid) else {
            throw BatchSignatureError.malformed("unsupported digest algorithm \(alg.oid)")
        }
        self = h
    }

    init?(oid: ASN1ObjectIdentifier) {
        switch oid {
        case OID.sha1: self = .sha1
        case OID.sha256: self = .sha256
        case OID.sha384: self = .sha384
        case OID.sha512: self = .sha512
        default: return nil
        }
    }

    /// The output length in bytes.
    var length: Int {
        switch self {
        case .sha1: return 20
        case .sha256: return 32
        case .sha384: return 48
        case .sha512: return 64
        }
    }

    /// The input block length (RFC 7292 Appendix B.2's v).
    var blockLength: Int { self == .sha384 || self == .sha512 ? 128 : 64 }

    func hash(_ bytes: [UInt8]) -> [UInt8] {
        switch self {
        case .sha1: return Array(Insecure.SHA1.hash(data: bytes))
        case .sha256: return Array(SHA256.hash(data: bytes))
        case .sha384: return Array(SHA384.hash(data: bytes))
        case .sha512: return Array(SHA512.hash(data: bytes))
        }
    }

    /// Calls `body` with the typed digest of `bytes`, as swift-crypto's verifiers want it.
    func withDigest<R>(of bytes: [UInt8], _ body: (any Digest) -> R) -> R {
        switch self {
        case .sha1: return body(Insecure.SHA1.hash(data: bytes))
        case .sha256: return body(SHA256.hash(data: bytes))
        case .sha384: return body(SHA384.hash(data: bytes))
        case .sha512: return body(SHA512.hash(data: bytes))
        }
    }

    /// HMAC of `data` under `key` with this hash (the PKCS#12 integrity MAC, RFC 7292 §5).
    func hmac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        let k = SymmetricKey(data: key)
        switch self {
        case .sha1: return Array(HMAC<Insecure.SHA1>.authenticationCode(for: data, using: k))
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: data, using: k))
        case .sha384: return Array(HMAC<SHA384>.authenticationCode(for: data, using: k))
        case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: data, using: k))
        }
    }
}
