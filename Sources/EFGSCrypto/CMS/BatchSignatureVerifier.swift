import Crypto
import _CryptoExtras
import EFGSProtocol
import Foundation
import SwiftASN1
import X509

/// Why a batch signature was refused. Every case answers 400 `Invalid signature`; the case picks the log event
/// of PROTOCOL.md §7.9 (class SignatureVerifier).
public enum BatchSignatureError: Error, Equatable, CustomStringConvertible {
    /// `no signer information`: zero or several SignerInfos.
    case signerCount(Int)
    /// `no signer certificate`: the SID matches no embedded certificate.
    case noSignerCertificate
    /// `error verifying batch signature`: Base64, ASN.1, structure, algorithm.
    case malformed(String)
    /// `legacy SHA-1 signature rejected`.
    case legacySha1Rejected(digestAlgorithm: String, signatureAlgorithm: String)
    /// `signing time outside certificate validity`.
    case signingTimeOutsideValidity(String)
    /// `wrong signature`: signature or messageDigest mismatch.
    case wrongSignature(String)
    /// `signing certificate expired` (also not yet valid).
    case certificateNotValidNow(notBefore: Date, notAfter: Date)

    public var description: String {
        switch self {
        case .signerCount(let n): return "expected exactly one SignerInfo, found \(n)"
        case .noSignerCertificate: return "signer certificate not found in the CMS certificates"
        case .malformed(let r): return r
        case .legacySha1Rejected(let d, let s): return "legacy SHA-1 (digest \(d), signature \(s))"
        case .signingTimeOutsideValidity(let t): return "signingTime \(t) outside the certificate validity"
        case .wrongSignature(let r): return r
        case .certificateNotValidNow: return "signer certificate not valid now"
        }
    }
}

/// A CMS signature that verified over the batch stream. The signer's registration (row, country) is checked by
/// the caller (§6.4), which owns the certificate table.
public struct VerifiedBatchSignature: Sendable {
    public var signer: CertificateFacts
    public var digestAlgorithm: String
    public var signatureAlgorithm: String
    /// True when SHA-1 was involved and accepted because `allowLegacySha1` is on (logged at WARN).
    public var usedLegacySha1: Bool
}

/// Verifies the detached CMS (RFC 5652) `batchSignature` over the batch stream, exactly per PROTOCOL.md §6:
/// BER and DER, one SignerInfo, signer by IssuerAndSerialNumber or SubjectKeyIdentifier, the algorithm matrix of
/// §6.2 (bare `rsaEncryption`/`id-ecPublicKey`, combined OIDs whose hash wins over digestAlgorithm, RSASSA-PSS),
/// and the signed-attribute rules of §6.3.
///
/// swift-certificates' `CMS.isValidSignature` refuses several producers the spec requires (bare rsaEncryption,
/// SHA-256 with NULL parameters, PSS, SHA-1 over a SHA-256 messageDigest), so the verification is written here on
/// swift-asn1's BER parser and swift-crypto's primitives, using swift-certificates for the X.509 certificate.
public struct BatchSignatureVerifier: Sendable {
    public var allowLegacySha1: Bool

    public init(allowLegacySha1: Bool) { self.allowLegacySha1 = allowLegacySha1 }

    public func verify(batchSignature: String, stream: [UInt8], now: Date) throws -> VerifiedBatchSignature {
        guard !batchSignature.isEmpty, let der = Base64.decodeStrict(batchSignature), !der.isEmpty else {
            throw BatchSignatureError.malformed("batchSignature is not strict standard Base64")
        }
        let sd: SignedDataValue
        do { sd = try SignedDataValue(contentInfo: der) } catch {
            throw BatchSignatureError.malformed("CMS structure: \(error)")
        }
        guard sd.eContentType == OID.data else { throw BatchSignatureError.malformed("eContentType is not id-data") }
        if let content = sd.eContent, content != stream {
            throw BatchSignatureError.wrongSignature("attached content differs from the batch stream")
        }
        guard sd.signerInfos.count == 1, let si = sd.signerInfos.first else {
            throw BatchSignatureError.signerCount(sd.signerInfos.count)
        }
        guard let signer = try findSigner(si.sid, in: sd.certificates) else { throw BatchSignatureError.noSignerCertificate }

        let digestHash = try HashAlgorithm(digestAlgorithm: si.digestAlgorithm)
        let scheme = try SignatureScheme(si.signatureAlgorithm, digest: digestHash)
        let legacy = digestHash == .sha1 || scheme.usesSha1
        if legacy && !allowLegacySha1 {
            throw BatchSignatureError.legacySha1Rejected(digestAlgorithm: si.digestAlgorithm.oid.description, signatureAlgorithm: si.signatureAlgorithm.oid.description)
        }

        let signedBytes: [UInt8]
        if let attrs = si.signedAttributes, let attrsDER = si.signedAttributesDER {
            try checkSignedAttributes(attrs, signer: si, digest: digestHash, stream: stream, certificate: signer)
            signedBytes = attrsDER
        } else {
            signedBytes = stream
        }
        try scheme.verify(signature: si.signature, over: signedBytes, publicKey: signer.certificate.publicKey)

        guard signer.isValid(at: now) else {
            throw BatchSignatureError.certificateNotValidNow(notBefore: signer.notBefore, notAfter: signer.notAfter)
        }
        return VerifiedBatchSignature(signer: signer, digestAlgorithm: si.digestAlgorithm.oid.description,
                                      signatureAlgorithm: si.signatureAlgorithm.oid.description, usedLegacySha1: legacy)
    }

    func findSigner(_ sid: SignerIdentifierValue, in certificates: [[UInt8]]) throws -> CertificateFacts? {
        for der in certificates {
            guard let facts = try? CertificateFacts(der: der) else { continue }
            switch sid {
            case .issuerAndSerialNumber(let issuerDER, let serial):
                var s = DER.Serializer()
                try s.serialize(facts.certificate.issuer)
                if s.serializedBytes == issuerDER, Self.integerValue(facts.certificate.serialNumber.bytes) == Self.integerValue(serial) { return facts }
            case .subjectKeyIdentifier(let ski):
                if let ext = try? facts.certificate.extensions.subjectKeyIdentifier, Array(ext.keyIdentifier) == ski { return facts }
            }
        }
        return nil
    }

    /// INTEGER content octets without DER sign padding, so equal values compare equal.
    static func integerValue<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        Array(bytes.drop { $0 == 0 })
    }

    /// §6.3: contentType once = id-data; messageDigest once = digest(stream); signingTime within the signer's
    /// validity; CMSAlgorithmProtection naming the SignerInfo's algorithms.
    func checkSignedAttributes(_ attrs: [AttributeValue], signer si: SignerInfoValue, digest: HashAlgorithm,
                               stream: [UInt8], certificate: CertificateFacts) throws {
        func single(_ oid: ASN1ObjectIdentifier, _ name: String) throws -> ASN1Node? {
            let found = attrs.filter { $0.type == oid }
            if found.isEmpty { return nil }
            guard found.count == 1, found[0].values.count == 1 else { throw BatchSignatureError.malformed("\(name) attribute occurs more than once") }
            return found[0].values[0]
        }
        guard let ct = try single(OID.contentTypeAttr, "contentType") else { throw BatchSignatureError.malformed("contentType attribute missing") }
        guard (try? ASN1ObjectIdentifier(berEncoded: ct)) == OID.data else { throw BatchSignatureError.malformed("contentType attribute is not id-data") }
        guard let md = try single(OID.messageDigestAttr, "messageDigest") else { throw BatchSignatureError.malformed("messageDigest attribute missing") }
        guard md.identifier == .octetString, let mdBytes = try? ASN1Walk.stringContent(md) else {
            throw BatchSignatureError.malformed("messageDigest is not an OCTET STRING")
        }
        guard mdBytes == digest.hash(stream) else { throw BatchSignatureError.wrongSignature("messageDigest mismatch") }
        if let st = try single(OID.signingTimeAttr, "signingTime") {
            let time: Date
            if let t = try? UTCTime(berEncoded: st) {
                time = Self.date(t.year, t.month, t.day, t.hours, t.minutes, t.seconds)
            } else if let t = try? GeneralizedTime(berEncoded: st) {
                time = Self.date(t.year, t.month, t.day, t.hours, t.minutes, t.seconds)
            } else {
                throw BatchSignatureError.malformed("signingTime is neither UTCTime nor GeneralizedTime")
            }
            guard certificate.isValid(at: time) else {
                throw BatchSignatureError.signingTimeOutsideValidity(UTCTimestamp.format(time))
            }
        }
        if let ap = try single(OID.algorithmProtectionAttr, "CMSAlgorithmProtection") {
            let parts = (try? ASN1Walk.children(ap)) ?? []
            guard let first = parts.first, let d = try? AlgorithmIdentifierValue(first), d.oid == si.digestAlgorithm.oid else {
                throw BatchSignatureError.malformed("CMSAlgorithmProtection digest algorithm mismatch")
            }
            let sigTag = ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific)
            guard let s = parts.dropFirst().first(where: { $0.identifier == sigTag }),
                  let oidNode = (try? ASN1Walk.children(s))?.first,
                  (try? ASN1ObjectIdentifier(berEncoded: oidNode)) == si.signatureAlgorithm.oid else {
                throw BatchSignatureError.malformed("CMSAlgorithmProtection signature algorithm mismatch")
            }
        }
    }

    static func date(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int) -> Date {
        let day = UTCDay(year: y, month: mo, day: d) ?? UTCDay(epochDay: 0)
        return Date(timeIntervalSince1970: TimeInterval(day.epochDay * 86_400 + Int64(h * 3600 + mi * 60 + s)))
    }
}

/// The hash functions of §6.2 (parameters absent or NULL).
enum HashAlgorithm: Equatable {
    case sha1, sha256, sha384, sha512

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

    var length: Int {
        switch self { case .sha1: return 20; case .sha256: return 32; case .sha384: return 48; case .sha512: return 64 }
    }

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
}

/// A SignerInfo signatureAlgorithm resolved per the table of §6.2.
struct SignatureScheme {
    enum Kind { case rsaPKCS1, rsaPSS, ecdsa }
    var kind: Kind
    var hash: HashAlgorithm
    var usesSha1: Bool { hash == .sha1 }

    init(_ alg: AlgorithmIdentifierValue, digest: HashAlgorithm) throws {
        switch alg.oid {
        case OID.rsaEncryption: kind = .rsaPKCS1; hash = digest
        case OID.sha1WithRSA: kind = .rsaPKCS1; hash = .sha1
        case OID.sha256WithRSA: kind = .rsaPKCS1; hash = .sha256
        case OID.sha384WithRSA: kind = .rsaPKCS1; hash = .sha384
        case OID.sha512WithRSA: kind = .rsaPKCS1; hash = .sha512
        case OID.ecPublicKey: kind = .ecdsa; hash = digest
        case OID.ecdsaWithSHA1: kind = .ecdsa; hash = .sha1
        case OID.ecdsaWithSHA256: kind = .ecdsa; hash = .sha256
        case OID.ecdsaWithSHA384: kind = .ecdsa; hash = .sha384
        case OID.ecdsaWithSHA512: kind = .ecdsa; hash = .sha512
        case OID.rsassaPSS:
            kind = .rsaPSS
            hash = try Self.pssHash(alg.parameters)
        default:
            throw BatchSignatureError.malformed("unsupported signature algorithm \(alg.oid)")
        }
    }

    /// RSASSA-PSS-params (RFC 4055 §3.1); defaults SHA-1, MGF1-SHA-1, salt 20, trailer 1. swift-crypto verifies
    /// PSS with MGF1 over the same hash and a salt of the hash length, which covers every producer seen.
    static func pssHash(_ params: ASN1Node?) throws -> HashAlgorithm {
        var hash = HashAlgorithm.sha1, mgfHash = HashAlgorithm.sha1, salt = 20, trailer = 1
        if let params, params.identifier != .null {
            for field in try ASN1Walk.children(params) {
                guard field.identifier.tagClass == .contextSpecific, let inner = try ASN1Walk.children(field).first else {
                    throw BatchSignatureError.malformed("bad RSASSA-PSS parameters")
                }
                switch field.identifier.tagNumber {
                case 0:
                    let a = try AlgorithmIdentifierValue(inner)
                    guard let h = HashAlgorithm(oid: a.oid) else { throw BatchSignatureError.malformed("unsupported PSS hash \(a.oid)") }
                    hash = h
                case 1:
                    let a = try AlgorithmIdentifierValue(inner)
                    guard a.oid == OID.mgf1, let p = a.parameters, let h = HashAlgorithm(oid: try AlgorithmIdentifierValue(p).oid) else {
                        throw BatchSignatureError.malformed("unsupported PSS mask generation")
                    }
                    mgfHash = h
                case 2: salt = try Int(berEncoded: inner)
                case 3: trailer = try Int(berEncoded: inner)
                default: throw BatchSignatureError.malformed("bad RSASSA-PSS parameters")
                }
            }
        }
        if hash == .sha1 || mgfHash == .sha1 {
            // reported as legacy SHA-1 by the caller via `usesSha1` when the hash is SHA-1
            if mgfHash == .sha1 && hash != .sha1 { throw BatchSignatureError.malformed("PSS with MGF1-SHA-1 and another hash is unsupported") }
        }
        guard mgfHash == hash, salt == hash.length, trailer == 1 else {
            throw BatchSignatureError.malformed("unsupported PSS parameters (salt \(salt), trailer \(trailer))")
        }
        return hash
    }

    func verify(signature: [UInt8], over bytes: [UInt8], publicKey: Certificate.PublicKey) throws {
        let ok: Bool
        switch kind {
        case .rsaPKCS1, .rsaPSS:
            guard let key = _RSA.Signing.PublicKey(publicKey) else { throw BatchSignatureError.malformed("algorithm/key type mismatch: RSA algorithm with a non-RSA key") }
            guard key.keySizeInBits >= 2048 else { throw BatchSignatureError.malformed("RSA key shorter than 2048 bits") }
            let sig = _RSA.Signing.RSASignature(rawRepresentation: signature)
            let padding: _RSA.Signing.Padding = kind == .rsaPSS ? .PSS : .insecurePKCS1v1_5
            ok = hash.withDigest(of: bytes) { d in Self.rsaValid(key, sig, d, padding) }
        case .ecdsa:
            if let k = P256.Signing.PublicKey(publicKey) {
                guard let s = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { throw BatchSignatureError.wrongSignature("ECDSA signature is not DER") }
                ok = hash.withDigest(of: bytes) { d in Self.p256Valid(k, s, d) }
            } else if let k = P384.Signing.PublicKey(publicKey) {
                guard let s = try? P384.Signing.ECDSASignature(derRepresentation: signature) else { throw BatchSignatureError.wrongSignature("ECDSA signature is not DER") }
                ok = hash.withDigest(of: bytes) { d in Self.p384Valid(k, s, d) }
            } else if let k = P521.Signing.PublicKey(publicKey) {
                guard let s = try? P521.Signing.ECDSASignature(derRepresentation: signature) else { throw BatchSignatureError.wrongSignature("ECDSA signature is not DER") }
                ok = hash.withDigest(of: bytes) { d in Self.p521Valid(k, s, d) }
            } else {
                throw BatchSignatureError.malformed("algorithm/key type mismatch: ECDSA algorithm with a non-EC (P-256/384/521) key")
            }
        }
        if !ok { throw BatchSignatureError.wrongSignature("signature does not verify") }
    }

    static func rsaValid<D: Digest>(_ k: _RSA.Signing.PublicKey, _ s: _RSA.Signing.RSASignature, _ d: D, _ p: _RSA.Signing.Padding) -> Bool {
        k.isValidSignature(s, for: d, padding: p)
    }
    static func p256Valid<D: Digest>(_ k: P256.Signing.PublicKey, _ s: P256.Signing.ECDSASignature, _ d: D) -> Bool { k.isValidSignature(s, for: d) }
    static func p384Valid<D: Digest>(_ k: P384.Signing.PublicKey, _ s: P384.Signing.ECDSASignature, _ d: D) -> Bool { k.isValidSignature(s, for: d) }
    static func p521Valid<D: Digest>(_ k: P521.Signing.PublicKey, _ s: P521.Signing.ECDSASignature, _ d: D) -> Bool { k.isValidSignature(s, for: d) }
}
