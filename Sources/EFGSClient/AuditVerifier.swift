// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import Foundation

/// Re-verifies a downloaded batch against its audit (§7.4): slices the keys by `amount` in order, checks each
/// slice's batch signature and both operator signatures with the trust anchor.
public struct AuditVerifier: Sendable {
    /// The gateway operator's trust anchor; it must verify both operator signatures of every entry (§7.6).
    public let trustAnchor: TrustAnchor
    /// Every anchor an operator signature may verify under: during a trust-anchor rotation the old and the new one.
    public let trustAnchors: [TrustAnchor]
    /// Whether batch signatures using SHA-1 are accepted (as `signature.allowLegacySha1`, §6.2).
    public let allowLegacySha1: Bool

    /// A verifier for audits of the gateway whose trust anchor is `trustAnchor`.
    public init(trustAnchor: TrustAnchor, allowLegacySha1: Bool = false) {
        self.init(trustAnchors: [trustAnchor], allowLegacySha1: allowLegacySha1)
    }

    /// A verifier accepting operator signatures of any of `trustAnchors` (a rotation announces the next anchor
    /// before rows are re-signed with it); the first is ``trustAnchor``.
    public init(trustAnchors: [TrustAnchor], allowLegacySha1: Bool = false) {
        precondition(!trustAnchors.isEmpty, "at least one trust anchor")
        self.trustAnchor = trustAnchors[0]
        self.trustAnchors = trustAnchors
        self.allowLegacySha1 = allowLegacySha1
    }

    /// The first audit entry that failed, thrown by `verify(keys:entries:now:)`.
    public struct Failure: Error, CustomStringConvertible {
        /// The entry's uploader country (`-` for keys no entry covers).
        public var country: String
        /// The entry's `uploadedTime` (`-` for keys no entry covers).
        public var uploadedTime: String
        /// Why the entry failed.
        public var reason: String
        /// `upload batch of <country> at <uploadedTime>: <reason>`.
        public var description: String { "upload batch of \(country) at \(uploadedTime): \(reason)" }
    }

    /// The verdict on one audit entry (one upload batch of one country).
    public struct EntryCheck: Sendable {
        /// The entry's uploader country; `-` for the entry reporting uncovered keys.
        public var country: String
        /// The entry's acceptance time as in the audit; `-` for the entry reporting uncovered keys.
        public var uploadedTime: String
        /// The number of downloaded keys this entry covers (its slice length).
        public var amount: Int
        /// nil when the entry verifies.
        public var problem: String?
    }

    /// Checks every entry; the slices are taken in order by `amount`. A last entry with country `-` reports
    /// downloaded keys that no entry covers.
    public func check(keys: [DiagnosisKey], entries: [AuditEntry], now: Date = Date()) -> [EntryCheck] {
        var offset = 0
        var out: [EntryCheck] = []
        for e in entries {
            func entry(_ problem: String?) -> EntryCheck {
                EntryCheck(country: e.country, uploadedTime: e.uploadedTime, amount: e.amount, problem: problem)
            }
            guard e.amount >= 0, offset + e.amount <= keys.count else {
                out.append(entry("audit amounts exceed the downloaded keys"))
                offset = keys.count
                continue
            }
            let slice = Array(keys[offset..<(offset + e.amount)])
            offset += e.amount
            let signedByAnAnchor = { (signature: String, pem: String) in
                trustAnchors.contains { $0.isValidSignature(base64: signature, over: pem) }
            }
            guard signedByAnAnchor(e.uploaderOperatorSignature, e.uploaderCertificate) else {
                out.append(entry("operator signature of the authentication certificate does not verify"))
                continue
            }
            guard
                signedByAnAnchor(e.signingCertificateOperatorSignature, e.signingCertificate)
            else {
                out.append(entry("operator signature of the signing certificate does not verify"))
                continue
            }
            let verified: VerifiedBatchSignature
            do {
                verified = try BatchSignatureVerifier(allowLegacySha1: allowLegacySha1).verify(
                    batchSignature: e.batchSignature, stream: BatchStream.bytes(of: slice), now: now)
            } catch {
                out.append(entry("batch signature does not verify: \(error)"))
                continue
            }
            guard verified.signer.thumbprint == e.uploaderSigningThumbprint else {
                out.append(entry("signer is not the audited signing certificate"))
                continue
            }
            guard slice.allSatisfy({ $0.origin == e.country }) else {
                out.append(entry("keys of another origin in the slice"))
                continue
            }
            out.append(entry(nil))
        }
        if offset < keys.count {
            out.append(
                EntryCheck(
                    country: "-", uploadedTime: "-", amount: keys.count - offset,
                    problem: "\(keys.count - offset) downloaded keys are not covered by the audit"))
        }
        return out
    }

    /// Returns the number of keys verified; throws the first failing entry.
    public func verify(keys: [DiagnosisKey], entries: [AuditEntry], now: Date = Date()) throws -> Int {
        for c in check(keys: keys, entries: entries, now: now) {
            if let problem = c.problem {
                throw Failure(country: c.country, uploadedTime: c.uploadedTime, reason: problem)
            }
        }
        return keys.count
    }
}
