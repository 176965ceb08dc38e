// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore

/// Disconnecting a country (offboarding, `docs/offboarding.md`): every certificate row of the country is revoked —
/// its backend can no longer authenticate, its signatures no longer verify for new uploads, its callback servers
/// are no longer pinned — and its callback subscriptions are deleted with their pending tasks. Keys it uploaded
/// before stay downloadable until key retention deletes them, and its audit entries keep the certificate snapshots,
/// so downloaders can still verify them. Both steps are idempotent: running it again finishes an interrupted run.
public struct CountryOffboarding: Sendable {
    /// What a disconnection changed.
    public struct Outcome: Sendable, Equatable {
        /// Certificate rows revoked now.
        public var certificatesRevoked: Int
        /// Callback subscriptions deleted now.
        public var subscriptionsDeleted: Int
    }

    let store: any CertificateStore & CallbackStore
    let log: EventLog
    let audit: OperatorAudit

    /// Offboarding on `store`, logging to `log` and recording in `audit`.
    public init(store: any CertificateStore & CallbackStore, log: EventLog, audit: OperatorAudit) {
        self.store = store
        self.log = log
        self.audit = audit
    }

    /// Disconnects `country` (ISO 3166-1 alpha-2, upper case) and logs `Country disconnected` (§7.9 addition); the
    /// change is recorded in the operator audit.
    ///
    /// - Throws: ``CertificateAdministrationError``: `.invalidArgument` for a country code, `.nothingActive` when
    ///   the country has no active certificate row and no subscription (nothing is written but the audit record).
    public func disconnect(
        country: String, reason: String, by context: OperatorContext = .current()
    ) async throws -> Outcome {
        guard KeyValidator.isCountryCode(country) else { throw CertificateAdministrationError.invalidCountry(country) }
        let active = try await store.certificates(country: country, type: nil).filter { !$0.revoked }
        let subscriptions = try await store.callbackSubscriptions(country: country)
        guard !active.isEmpty || !subscriptions.isEmpty else {
            let refusal = CertificateAdministrationError(
                .nothingActive, "\(country) has no active certificate row and no callback subscription; nothing done")
            try await audit.record(
                "country disconnect", by: context, country: country, subject: "country \(country)",
                outcome: refusal.reason, refused: true)
            throw refusal
        }
        let revoked = try await store.revokeCertificates(thumbprint: nil, country: country, type: nil)
        let deleted = try await store.deleteCallbackSubscriptions(country: country)
        try await audit.record(
            "country disconnect", by: context, country: country,
            subject: "country \(country): "
                + active.map { "\($0.type.rawValue) \($0.thumbprint)" }.joined(separator: ", "),
            outcome: "revoked \(revoked) row(s), deleted \(deleted) subscription(s); reason: \(reason)")
        log.scope("Offboarding").warn(
            "Country disconnected",
            [
                "country": country, "certificatesRevoked": String(revoked), "subscriptionsDeleted": String(deleted),
                "reason": reason,
            ])
        return Outcome(certificatesRevoked: revoked, subscriptionsDeleted: deleted)
    }
}
