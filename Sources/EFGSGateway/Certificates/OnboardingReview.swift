// SPDX-License-Identifier: EUPL-1.2

import Crypto
import EFGSCrypto
import EFGSProtocol
import Foundation
import X509
import _CryptoExtras

/// The onboarding review of a national certificate (`docs/onboarding.md`, PROTOCOL.md §4.2): X.509 v3, exactly one
/// `C` equal to the country, RSA ≥ 3072 bits (2048 only by override) or EC ≥ P-256, not signed with SHA-1, not
/// expired; a warning when it expires within 3 months.
public enum OnboardingReview {
    /// Reviews `facts` for `country`.
    ///
    /// - Returns: Warnings the operator must see.
    /// - Throws: ``CertificateAdministrationError`` with code `.onboardingReview`.
    public static func check(
        _ facts: CertificateFacts, country: String, allowRSA2048: Bool, now: Date = Date()
    ) throws -> [String] {
        func refuse(_ reason: String) -> CertificateAdministrationError {
            CertificateAdministrationError(.onboardingReview, "refused: \(reason)")
        }
        var warnings: [String] = []
        let certificate = facts.certificate
        guard certificate.version == .v3 else { throw refuse("certificate is not X.509 v3") }
        guard facts.countries == [country] else {
            throw refuse("subject must contain exactly one C equal to \(country) (found \(facts.countries))")
        }
        if let rsa = _RSA.Signing.PublicKey(certificate.publicKey) {
            if rsa.keySizeInBits < 2048 { throw refuse("RSA key of \(rsa.keySizeInBits) bits") }
            if rsa.keySizeInBits < 3072 {
                guard allowRSA2048 else {
                    throw refuse("RSA keys must have ≥ 3072 bits (use --allow-rsa2048 to override)")
                }
                warnings.append("RSA-2048 key accepted by override")
            }
        } else if P256.Signing.PublicKey(certificate.publicKey) == nil,
            P384.Signing.PublicKey(certificate.publicKey) == nil,
            P521.Signing.PublicKey(certificate.publicKey) == nil
        {
            throw refuse("key must be RSA ≥ 3072 or EC ≥ P-256")
        }
        if certificate.signatureAlgorithm == .sha1WithRSAEncryption { throw refuse("certificate signed with SHA-1") }
        if certificate.notValidAfter < now {
            throw refuse("certificate expired \(UTCTimestamp.format(certificate.notValidAfter))")
        }
        if certificate.notValidAfter < now.addingTimeInterval(90 * 86_400) {
            warnings.append("certificate expires within 3 months (\(UTCTimestamp.format(certificate.notValidAfter)))")
        }
        return warnings
    }
}
