// SPDX-License-Identifier: EUPL-1.2

import Foundation

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

    /// The detail for the log line.
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
