// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import Foundation
import SwiftASN1
import X509

/// Verifies the detached CMS (RFC 5652) `batchSignature` over the batch stream, exactly per PROTOCOL.md §6:
/// BER and DER, one SignerInfo, signer by IssuerAndSerialNumber or SubjectKeyIdentifier, the algorithm matrix of
/// §6.2 (bare `rsaEncryption`/`id-ecPublicKey`, combined OIDs whose hash wins over digestAlgorithm, RSASSA-PSS),
/// and the signed-attribute rules of §6.3.
///
/// swift-certificates' `CMS.isValidSignature` refuses several producers the spec requires (bare rsaEncryption,
/// SHA-256 with NULL parameters, PSS, SHA-1 over a SHA-256 messageDigest), so the verification is written here on
/// swift-asn1's BER parser and swift-crypto's primitives, using swift-certificates for the X.509 certificate.
public struct BatchSignatureVerifier: Sendable {
    /// Accept SHA-1 digests and signatures (PROTOCOL.md §6.2); an accepted one is logged at WARN.
    public var allowLegacySha1: Bool

    /// A verifier with the given legacy SHA-1 policy.
    public init(allowLegacySha1: Bool) { self.allowLegacySha1 = allowLegacySha1 }

    /// Verifies `batchSignature` (standard Base64 of a CMS ContentInfo) over `stream` (the §3.2 batch stream);
    /// the signer certificate must be valid at `now`. Throws a ``BatchSignatureError`` that names the refusal.
    public func verify(batchSignature: String, stream: [UInt8], now: Date) throws -> VerifiedBatchSignature {
        guard !batchSignature.isEmpty, let der = Base64.decodeStrict(batchSignature), !der.isEmpty else {
            throw BatchSignatureError.malformed("batchSignature is not strict standard Base64")
        }
        let sd: SignedDataValue
        do {
            sd = try SignedDataValue(contentInfo: der)
        } catch {
            throw BatchSignatureError.malformed("CMS structure: \(error)")
        }
        guard sd.eContentType == OID.data else { throw BatchSignatureError.malformed("eContentType is not id-data") }
        if let content = sd.eContent, content != stream {
            throw BatchSignatureError.wrongSignature("attached content differs from the batch stream")
        }
        guard sd.signerInfos.count == 1, let si = sd.signerInfos.first else {
            throw BatchSignatureError.signerCount(sd.signerInfos.count)
        }
        guard let signer = try findSigner(si.sid, in: sd.certificates) else {
            throw BatchSignatureError.noSignerCertificate
        }

        let digestHash = try HashAlgorithm(digestAlgorithm: si.digestAlgorithm)
        let scheme = try SignatureScheme(si.signatureAlgorithm, digest: digestHash)
        let legacy = digestHash == .sha1 || scheme.usesSha1
        if legacy && !allowLegacySha1 {
            throw BatchSignatureError.legacySha1Rejected(
                digestAlgorithm: si.digestAlgorithm.oid.description,
                signatureAlgorithm: si.signatureAlgorithm.oid.description)
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
        return VerifiedBatchSignature(
            signer: signer, digestAlgorithm: si.digestAlgorithm.oid.description,
            signatureAlgorithm: si.signatureAlgorithm.oid.description,
            usedLegacySha1: legacy)
    }

    /// The embedded certificate the SignerIdentifier names (RFC 5652 §5.3), or nil.
    func findSigner(_ sid: SignerIdentifierValue, in certificates: [[UInt8]]) throws -> CertificateFacts? {
        for der in certificates {
            guard let facts = try? CertificateFacts(der: der) else { continue }
            switch sid {
            case .issuerAndSerialNumber(let issuerDER, let serial):
                var s = DER.Serializer()
                try s.serialize(facts.certificate.issuer)
                if s.serializedBytes == issuerDER,
                    Self.integerValue(facts.certificate.serialNumber.bytes) == Self.integerValue(serial)
                {
                    return facts
                }
            case .subjectKeyIdentifier(let ski):
                if let ext = try? facts.certificate.extensions.subjectKeyIdentifier, Array(ext.keyIdentifier) == ski {
                    return facts
                }
            }
        }
        return nil
    }

    /// INTEGER content octets without DER sign padding, so equal values compare equal.
    static func integerValue<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        Array(bytes.drop { $0 == 0 })
    }

    /// §6.3: contentType once = id-data; messageDigest once = digest(stream); signingTime within the signer's
    /// validity; CMSAlgorithmProtection (RFC 6211) naming the SignerInfo's algorithms.
    func checkSignedAttributes(
        _ attrs: [AttributeValue], signer si: SignerInfoValue, digest: HashAlgorithm,
        stream: [UInt8], certificate: CertificateFacts
    ) throws {
        func single(_ oid: ASN1ObjectIdentifier, _ name: String) throws -> ASN1Node? {
            let found = attrs.filter { $0.type == oid }
            if found.isEmpty { return nil }
            guard found.count == 1, found[0].values.count == 1 else {
                throw BatchSignatureError.malformed("\(name) attribute occurs more than once")
            }
            return found[0].values[0]
        }
        guard let ct = try single(OID.contentTypeAttr, "contentType") else {
            throw BatchSignatureError.malformed("contentType attribute missing")
        }
        guard (try? ASN1ObjectIdentifier(berEncoded: ct)) == OID.data else {
            throw BatchSignatureError.malformed("contentType attribute is not id-data")
        }
        guard let md = try single(OID.messageDigestAttr, "messageDigest") else {
            throw BatchSignatureError.malformed("messageDigest attribute missing")
        }
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
            guard let first = parts.first, let d = try? AlgorithmIdentifierValue(first),
                d.oid == si.digestAlgorithm.oid
            else {
                throw BatchSignatureError.malformed("CMSAlgorithmProtection digest algorithm mismatch")
            }
            let sigTag = ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific)
            guard let s = parts.dropFirst().first(where: { $0.identifier == sigTag }),
                let oidNode = (try? ASN1Walk.children(s))?.first,
                (try? ASN1ObjectIdentifier(berEncoded: oidNode)) == si.signatureAlgorithm.oid
            else {
                throw BatchSignatureError.malformed("CMSAlgorithmProtection signature algorithm mismatch")
            }
        }
    }

    /// The instant of a UTC calendar date and time of day (an invalid date counts as 1970-01-01).
    static func date(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int) -> Date {
        let day = UTCDay(year: y, month: mo, day: d) ?? UTCDay(epochDay: 0)
        return Date(timeIntervalSince1970: TimeInterval(day.epochDay * 86_400 + Int64(h * 3600 + mi * 60 + s)))
    }
}
