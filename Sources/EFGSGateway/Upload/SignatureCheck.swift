// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSStore
import Foundation
import Metrics

/// Check 15 of §5.3: the batch signature verifies over the batch stream (§6) and its signer is a registered,
/// integrity-checked, unrevoked SIGNING row of the uploading country (§6.4). A refusal is 400
/// `Invalid signature` with the precise §7.9 event (class SignatureVerifier), which is also the `reason` label of
/// `efgs_signature_failures_total`.
public struct SignatureCheck: Sendable {
    let verifier: BatchSignatureVerifier
    let certificates: CertificateDirectory
    let clock: @Sendable () -> Date

    /// A check with `verifier`, looking signers up in `certificates`.
    public init(
        verifier: BatchSignatureVerifier, certificates: CertificateDirectory, clock: @escaping @Sendable () -> Date
    ) {
        self.verifier = verifier
        self.certificates = certificates
        self.clock = clock
    }

    /// The signer's SIGNING row, or a refusal.
    public func verify(
        _ signature: String, stream: [UInt8], caller: AuthenticatedCountry, batchTag: String, keys: [DiagnosisKey],
        log: EventScope
    ) async throws -> CertificateRow {
        let log = log.component("SignatureVerifier")
        let verified: VerifiedBatchSignature
        do {
            verified = try verifier.verify(batchSignature: signature, stream: stream, now: clock())
        } catch let error as BatchSignatureError {
            throw Self.refusal(Self.event(of: error))
        }
        let thumbprint = verified.signer.thumbprint
        let countries = verified.signer.countries
        guard countries.count == 1, let signerCountry = countries.first else {
            throw Self.refusal(
                "error verifying batch signature", [("reason", "signer subject has \(countries.count) C attributes")])
        }
        let row: CertificateRow
        switch try await certificates.lookUp(thumbprint: thumbprint, country: signerCountry, type: .signing, log: log) {
        case .verified(let verified): row = verified
        case .absent: throw Self.refusal("unknown signing certificate", [("certThumbprint", thumbprint)])
        case .failingIntegrity:
            throw Self.refusal("invalid signing certificate signature", [("certThumbprint", thumbprint)])
        }
        guard !row.revoked else { throw Self.refusal("certificate is revoked", [("certThumbprint", thumbprint)]) }
        guard signerCountry == caller.country else {
            throw Self.refusal(
                "different origins",
                [
                    ("certThumbprint", thumbprint), ("certCountry", signerCountry),
                    ("batchCountries", Set(keys.map(\.origin)).sorted().joined(separator: ",")),
                ])
        }
        if verified.usedLegacySha1 {
            log.warn(
                "legacy SHA-1 signature accepted",
                [
                    "certThumbprint": thumbprint, "digestAlgorithm": verified.digestAlgorithm,
                    "signatureAlgorithm": verified.signatureAlgorithm,
                ])
        }
        log.info(
            "verified batch signature",
            ["batchTag": batchTag, "numKeys": String(keys.count), "certThumbprint": thumbprint])
        return row
    }

    /// The §7.9 event of a CMS verification failure.
    static func event(of error: BatchSignatureError) -> (String, [(String, String)]) {
        switch error {
        case .signerCount(let count):
            return ("no signer information", [("signerCount", String(count))])
        case .noSignerCertificate:
            return ("no signer certificate", [("reason", error.description)])
        case .malformed(let reason):
            return ("error verifying batch signature", [("reason", String(reason.prefix(300)))])
        case .legacySha1Rejected(let digest, let signature):
            return (
                "legacy SHA-1 signature rejected",
                [("certThumbprint", ""), ("digestAlgorithm", digest), ("signatureAlgorithm", signature)]
            )
        case .signingTimeOutsideValidity(let time):
            return ("signing time outside certificate validity", [("certThumbprint", ""), ("signingTime", time)])
        case .wrongSignature:
            return ("wrong signature", [("certThumbprint", "")])
        case .certificateNotValidNow(let notBefore, let notAfter):
            return (
                "signing certificate expired",
                [
                    ("certNotBefore", UTCTimestamp.format(notBefore)),
                    ("certNotAfter", UTCTimestamp.format(notAfter)),
                ]
            )
        }
    }

    static func refusal(_ event: (String, [(String, String)])) -> APIError {
        refusal(event.0, event.1)
    }

    /// 400 `Invalid signature`, counted by reason.
    static func refusal(_ event: String, _ attributes: [(String, String)]) -> APIError {
        Counter(label: "efgs_signature_failures_total", dimensions: [("reason", event)]).increment()
        return APIError(400, "Invalid signature", event: .init("SignatureVerifier", .error, event, attributes))
    }
}
