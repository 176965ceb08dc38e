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

    /// Offboarding on `store`, logging to `log`.
    public init(store: any CertificateStore & CallbackStore, log: EventLog) {
        self.store = store
        self.log = log
    }

    /// Disconnects `country` (ISO 3166-1 alpha-2, upper case) and logs `Country disconnected` (§7.9 addition).
    ///
    /// - Throws: ``CertificateAdministrationError`` `.invalidCountry` before anything is written.
    public func disconnect(country: String, reason: String) async throws -> Outcome {
        guard KeyValidator.isCountryCode(country) else { throw CertificateAdministrationError.invalidCountry(country) }
        let revoked = try await store.revokeCertificates(thumbprint: nil, country: country, type: nil)
        let deleted = try await store.deleteCallbackSubscriptions(country: country)
        log.scope("Offboarding").warn(
            "Country disconnected",
            [
                "country": country, "certificatesRevoked": String(revoked), "subscriptionsDeleted": String(deleted),
                "reason": reason,
            ])
        return Outcome(certificatesRevoked: revoked, subscriptionsDeleted: deleted)
    }
}
