// SPDX-License-Identifier: EUPL-1.2

import Crypto
import SwiftASN1
import X509
import _CryptoExtras

/// A SignerInfo signatureAlgorithm resolved per the table of PROTOCOL.md §6.2: RSASSA-PKCS1-v1_5 (bare
/// `rsaEncryption` or combined with a hash), RSASSA-PSS (RFC 4055) and ECDSA (bare `id-ecPublicKey` or combined,
/// RFC 5758). A combined OID's hash wins over the SignerInfo's digestAlgorithm.
struct SignatureScheme {
    enum Kind { case rsaPKCS1, rsaPSS, ecdsa }

    var kind: Kind
    var hash: HashAlgorithm
    var usesSha1: Bool { hash == .sha1 }

    init(_ alg: AlgorithmIdentifierValue, digest: HashAlgorithm) throws {
        let resolved: (kind: Kind, hash: HashAlgorithm)
        switch alg.oid {
        case OID.rsaEncryption: resolved = (.rsaPKCS1, digest)
        case OID.sha1WithRSA: resolved = (.rsaPKCS1, .sha1)
        case OID.sha256WithRSA: resolved = (.rsaPKCS1, .sha256)
        case OID.sha384WithRSA: resolved = (.rsaPKCS1, .sha384)
        case OID.sha512WithRSA: resolved = (.rsaPKCS1, .sha512)
        case OID.ecPublicKey: resolved = (.ecdsa, digest)
        case OID.ecdsaWithSHA1: resolved = (.ecdsa, .sha1)
        case OID.ecdsaWithSHA256: resolved = (.ecdsa, .sha256)
        case OID.ecdsaWithSHA384: resolved = (.ecdsa, .sha384)
        case OID.ecdsaWithSHA512: resolved = (.ecdsa, .sha512)
        case OID.rsassaPSS: resolved = try (.rsaPSS, Self.pssHash(alg.parameters))
        default: throw BatchSignatureError.malformed("unsupported signature algorithm \(alg.oid)")
        }
        kind = resolved.kind
        hash = resolved.hash
    }

    /// RSASSA-PSS-params (RFC 4055 §3.1); defaults SHA-1, MGF1-SHA-1, salt 20, trailer 1. swift-crypto verifies
    /// PSS with MGF1 over the same hash and a salt of the hash length, which covers every producer seen.
    /// A SHA-1 hash is reported as legacy SHA-1 by the caller through `usesSha1`.
    static func pssHash(_ params: ASN1Node?) throws -> HashAlgorithm {
        var hash = HashAlgorithm.sha1
        var mgfHash = HashAlgorithm.sha1
        var salt = 20
        var trailer = 1
        if let params, params.identifier != .null {
            for field in try ASN1Walk.children(params) {
                guard field.identifier.tagClass == .contextSpecific, let inner = try ASN1Walk.children(field).first
                else {
                    throw BatchSignatureError.malformed("bad RSASSA-PSS parameters")
                }
                switch field.identifier.tagNumber {
                case 0:
                    let a = try AlgorithmIdentifierValue(inner)
                    guard let h = HashAlgorithm(oid: a.oid) else {
                        throw BatchSignatureError.malformed("unsupported PSS hash \(a.oid)")
                    }
                    hash = h
                case 1:
                    let a = try AlgorithmIdentifierValue(inner)
                    guard a.oid == OID.mgf1, let p = a.parameters,
                        let h = HashAlgorithm(oid: try AlgorithmIdentifierValue(p).oid)
                    else {
                        throw BatchSignatureError.malformed("unsupported PSS mask generation")
                    }
                    mgfHash = h
                case 2:
                    salt = try Int(berEncoded: inner)
                case 3:
                    trailer = try Int(berEncoded: inner)
                default:
                    throw BatchSignatureError.malformed("bad RSASSA-PSS parameters")
                }
            }
        }
        if mgfHash == .sha1 && hash != .sha1 {
            throw BatchSignatureError.malformed("PSS with MGF1-SHA-1 and another hash is unsupported")
        }
        guard mgfHash == hash, salt == hash.length, trailer == 1 else {
            throw BatchSignatureError.malformed("unsupported PSS parameters (salt \(salt), trailer \(trailer))")
        }
        return hash
    }

    /// Verifies `signature` over `bytes` with `publicKey`; throws `malformed` when the key does not fit the
    /// algorithm (or is RSA below 2048 bits) and `wrongSignature` when the signature does not verify.
    func verify(signature: [UInt8], over bytes: [UInt8], publicKey: Certificate.PublicKey) throws {
        let ok: Bool
        switch kind {
        case .rsaPKCS1, .rsaPSS:
            guard let key = _RSA.Signing.PublicKey(publicKey) else {
                throw BatchSignatureError.malformed("algorithm/key type mismatch: RSA algorithm with a non-RSA key")
            }
            guard key.keySizeInBits >= 2048 else {
                throw BatchSignatureError.malformed("RSA key shorter than 2048 bits")
            }
            let sig = _RSA.Signing.RSASignature(rawRepresentation: signature)
            let padding: _RSA.Signing.Padding = kind == .rsaPSS ? .PSS : .insecurePKCS1v1_5
            ok = hash.withDigest(of: bytes) { d in Self.rsaValid(key, sig, d, padding) }
        case .ecdsa:
            if let k = P256.Signing.PublicKey(publicKey) {
                let s = try Self.ecdsaSignature { try P256.Signing.ECDSASignature(derRepresentation: signature) }
                ok = hash.withDigest(of: bytes) { d in Self.p256Valid(k, s, d) }
            } else if let k = P384.Signing.PublicKey(publicKey) {
                let s = try Self.ecdsaSignature { try P384.Signing.ECDSASignature(derRepresentation: signature) }
                ok = hash.withDigest(of: bytes) { d in Self.p384Valid(k, s, d) }
            } else if let k = P521.Signing.PublicKey(publicKey) {
                let s = try Self.ecdsaSignature { try P521.Signing.ECDSASignature(derRepresentation: signature) }
                ok = hash.withDigest(of: bytes) { d in Self.p521Valid(k, s, d) }
            } else {
                throw BatchSignatureError.malformed(
                    "algorithm/key type mismatch: ECDSA algorithm with a non-EC (P-256/384/521) key")
            }
        }
        if !ok { throw BatchSignatureError.wrongSignature("signature does not verify") }
    }

    /// The parsed DER ECDSA signature, or `wrongSignature` when it is not DER.
    static func ecdsaSignature<S>(_ parse: () throws -> S) throws -> S {
        guard let s = try? parse() else { throw BatchSignatureError.wrongSignature("ECDSA signature is not DER") }
        return s
    }

    static func rsaValid<D: Digest>(
        _ k: _RSA.Signing.PublicKey, _ s: _RSA.Signing.RSASignature, _ d: D, _ p: _RSA.Signing.Padding
    ) -> Bool {
        k.isValidSignature(s, for: d, padding: p)
    }

    static func p256Valid<D: Digest>(_ k: P256.Signing.PublicKey, _ s: P256.Signing.ECDSASignature, _ d: D) -> Bool {
        k.isValidSignature(s, for: d)
    }

    static func p384Valid<D: Digest>(_ k: P384.Signing.PublicKey, _ s: P384.Signing.ECDSASignature, _ d: D) -> Bool {
        k.isValidSignature(s, for: d)
    }

    static func p521Valid<D: Digest>(_ k: P521.Signing.PublicKey, _ s: P521.Signing.ECDSASignature, _ d: D) -> Bool {
        k.isValidSignature(s, for: d)
    }
}
