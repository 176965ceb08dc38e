// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSStore
import Foundation

/// The operator's decisions on the certificate table (PROTOCOL.md §7.6): import after the onboarding review and
/// the integrity check, revoke, list and verify. `efgs cert …` parses options and prints; the decisions are here.
public struct CertificateRegistry: Sendable {
    let store: any CertificateStore
    let trustAnchor: TrustAnchors
    let audit: OperatorAudit

    /// A registry over `store`, checked against `trustAnchor`, recording every change in `audit`.
    public init(store: any CertificateStore, trustAnchor: TrustAnchors, audit: OperatorAudit) {
        self.store = store
        self.trustAnchor = trustAnchor
        self.audit = audit
    }

    /// A certificate to register.
    public struct Submission: Sendable {
        /// The certificate, read from the country's PEM or PKCS#12 file.
        public var facts: CertificateFacts
        /// AUTHENTICATION, SIGNING or CALLBACK.
        public var type: CertificateType
        /// The country it is registered for; must be the certificate's only `C`.
        public var country: String
        /// The callback host (CALLBACK rows only).
        public var host: String?
        /// The operator signature (Base64) from `efgs cert sign`.
        public var operatorSignature: String
        /// Accept an RSA-2048 key (with a warning).
        public var allowRSA2048: Bool

        /// A submission of `facts` as a `type` row of `country`.
        public init(
            facts: CertificateFacts, type: CertificateType, country: String, host: String? = nil,
            operatorSignature: String, allowRSA2048: Bool = false
        ) {
            self.facts = facts
            self.type = type
            self.country = country
            self.host = host
            self.operatorSignature = operatorSignature
            self.allowRSA2048 = allowRSA2048
        }
    }

    /// What an import did.
    public struct Imported: Sendable {
        /// The row as stored.
        public var row: CertificateRow
        /// Warnings of the onboarding review.
        public var warnings: [String]
    }

    /// The checks that need no store: the arguments and the onboarding review. `efgs cert import` runs them before
    /// it opens the database.
    ///
    /// - Returns: The review's warnings.
    /// - Throws: ``CertificateAdministrationError``.
    public static func check(_ submission: Submission, now: Date = Date()) throws -> [String] {
        guard KeyValidator.isCountryCode(submission.country) else {
            throw CertificateAdministrationError.invalidCountry(submission.country)
        }
        if submission.host != nil && submission.type != .callback {
            throw CertificateAdministrationError(.invalidArgument, "--host is for CALLBACK rows only")
        }
        return try OnboardingReview.check(
            submission.facts, country: submission.country, allowRSA2048: submission.allowRSA2048, now: now)
    }

    /// Checks a submission without writing: ``check(_:now:)``, the integrity check, duplicates.
    ///
    /// - Throws: ``CertificateAdministrationError``.
    public func review(_ submission: Submission, now: Date = Date()) async throws -> (CertificateRow, [String]) {
        let warnings = try Self.check(submission, now: now)
        let row = CertificateRow(
            createdAt: UTCTimestamp.millis(now), thumbprint: submission.facts.thumbprint, country: submission.country,
            type: submission.type, host: submission.host, pem: submission.facts.canonicalPEM,
            operatorSignature: submission.operatorSignature.trimmingCharacters(in: .whitespacesAndNewlines))
        do {
            _ = try trustAnchor.checkIntegrity(of: row)
        } catch {
            throw CertificateAdministrationError(.integrity, "refused: the row fails the integrity check: \(error)")
        }
        if !(try await store.certificates(thumbprint: row.thumbprint, type: row.type)).isEmpty {
            throw CertificateAdministrationError(
                .duplicate, "refused: a \(row.type.rawValue) row with thumbprint \(row.thumbprint) exists already")
        }
        return (row, warnings)
    }

    /// Reviews the submission and registers it; the import (or its refusal) is recorded in the operator audit.
    ///
    /// - Throws: ``CertificateAdministrationError`` before anything but the audit record is written.
    public func register(
        _ submission: Submission, by context: OperatorContext = .current(), now: Date = Date()
    ) async throws -> Imported {
        let subject = "\(submission.type.rawValue) \(submission.facts.thumbprint)"
        let reviewed: (CertificateRow, [String])
        do {
            reviewed = try await review(submission, now: now)
        } catch let refusal as CertificateAdministrationError {
            try await audit.record(
                "cert import", by: context, country: submission.country, subject: subject,
                outcome: refusal.reason, refused: true)
            throw refusal
        }
        let row = try await store.insertCertificate(reviewed.0)
        try await audit.record(
            "cert import", by: context, country: row.country, subject: subject,
            outcome: "imported" + (reviewed.1.isEmpty ? "" : " with warnings: " + reviewed.1.joined(separator: "; ")))
        return Imported(row: row, warnings: reviewed.1)
    }

    /// Revokes the rows with `thumbprint` (any case) and `type`; returns how many changed. Recorded in the operator
    /// audit.
    public func revoke(
        thumbprint: String, type: CertificateType, by context: OperatorContext = .current()
    ) async throws -> Int {
        let thumbprint = thumbprint.lowercased()
        let countries = Set(try await store.certificates(thumbprint: thumbprint, type: type).map(\.country))
        let revoked = try await store.revokeCertificates(thumbprint: thumbprint, country: nil, type: type)
        try await audit.record(
            "cert revoke", by: context, country: countries.count == 1 ? countries.first : nil,
            subject: "\(type.rawValue) \(thumbprint)",
            outcome: revoked == 0 ? "no active row matched" : "revoked \(revoked) row(s)", refused: revoked == 0)
        return revoked
    }

    /// Every row with the outcome of its integrity check (the certificate, or why it fails).
    public func rows() async throws -> [(row: CertificateRow, integrity: Result<CertificateFacts, any Error>)] {
        try await store.certificates(country: nil, type: nil).map { row in
            (row, Result { try trustAnchor.checkIntegrity(of: row) })
        }
    }

    // MARK: trust-anchor rotation (docs/runbook.md)

    /// The file name of a row in a rotation folder: `COUNTRY-TYPE-thumbprint` (`.pem` holds its canonical PEM,
    /// `.sig` the new operator signature).
    public static func rotationName(_ row: CertificateRow) -> String {
        "\(row.country)-\(row.type.rawValue)-\(row.thumbprint)"
    }

    /// Every row, for `efgs cert export`: each row's canonical PEM is re-signed offline with the next anchor.
    public func exportRows() async throws -> [CertificateRow] {
        try await store.certificates(country: nil, type: nil)
    }

    /// Replaces the operator signature of the row (`thumbprint`, `type`) with `operatorSignature`, after checking
    /// that the row verifies with it under a configured anchor (normally `trustAnchor.nextCertificatePath`).
    /// Recorded in the operator audit.
    ///
    /// - Throws: ``CertificateAdministrationError``: `.invalidArgument` for an unknown row, `.integrity` for a
    ///   signature no configured anchor made — nothing is changed.
    public func resign(
        thumbprint: String, type: CertificateType, operatorSignature: String, by context: OperatorContext = .current()
    ) async throws {
        let thumbprint = thumbprint.lowercased()
        let subject = "\(type.rawValue) \(thumbprint)"
        let signature = operatorSignature.trimmingCharacters(in: .whitespacesAndNewlines)
        let rows = try await store.certificates(thumbprint: thumbprint, type: type)
        do {
            guard var row = rows.first else {
                throw CertificateAdministrationError(.invalidArgument, "no \(subject) row")
            }
            row.operatorSignature = signature
            do {
                _ = try trustAnchor.checkIntegrity(of: row)
            } catch {
                throw CertificateAdministrationError(
                    .integrity,
                    "refused: the new signature of \(subject) does not verify under the configured anchors "
                        + "(\(trustAnchor.thumbprints)): \(error)")
            }
            _ = try await store.updateOperatorSignature(
                thumbprint: thumbprint, type: type, operatorSignature: signature)
            try await audit.record(
                "cert resign", by: context, country: row.country, subject: subject, outcome: "re-signed")
        } catch let refusal as CertificateAdministrationError {
            try await audit.record(
                "cert resign", by: context, country: rows.first?.country, subject: subject, outcome: refusal.reason,
                refused: true)
            throw refusal
        }
    }
}
