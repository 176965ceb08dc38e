import EFGSCrypto
import EFGSProtocol
import EFGSStore
import Foundation

/// Disconnecting a country (offboarding, `docs/offboarding.md`): every certificate row of the country is revoked —
/// its backend can no longer authenticate, its signatures no longer verify for new uploads, its callback servers
/// are no longer pinned — and its callback subscriptions are deleted with their pending tasks. Keys it uploaded
/// before stay downloadable until key retention deletes them, and its audit entries keep the certificate snapshots,
/// so downloaders can still verify them. Both steps are idempotent: running it again finishes an interrupted run.
public struct CountryOffboarding: Sendable {
    public struct Outcome: Sendable, Equatable {
        public var certificatesRevoked: Int
        public var subscriptionsDeleted: Int
    }

    let gateway: Gateway

    public init(gateway: Gateway) { self.gateway = gateway }

    /// Disconnects `country` (ISO 3166-1 alpha-2, upper case) and logs `Country disconnected` (§7.9 addition).
    public func disconnect(country: String, reason: String) async throws -> Outcome {
        let revoked = try await gateway.store.revokeCertificates(thumbprint: nil, country: country, type: nil)
        let deleted = try await gateway.store.deleteCallbackSubscriptions(country: country)
        gateway.log.scope("Offboarding").warn("Country disconnected", [
            "country": country, "certificatesRevoked": String(revoked), "subscriptionsDeleted": String(deleted), "reason": reason,
        ])
        return Outcome(certificatesRevoked: revoked, subscriptionsDeleted: deleted)
    }

    /// One country as `efgs country list` shows it.
    public struct CountryStatus: Sendable {
        public struct Certificate: Sendable {
            public var type: CertificateType
            public var thumbprint: String
            public var revoked: Bool
            /// nil when the row fails the integrity check (§7.6).
            public var notAfter: Date?
            public var host: String?
        }
        public var country: String
        public var certificates: [Certificate]
        public var lastUpload: Date?
        public var lastDownload: Date?
        public var subscriptions: Int
        /// Connected: at least one AUTHENTICATION row that is not revoked and passes the integrity check.
        public var connected: Bool {
            certificates.contains { $0.type == .authentication && !$0.revoked && $0.notAfter != nil }
        }
    }

    /// Every country with certificate rows or recorded activity, sorted by country code.
    public func list() async throws -> [CountryStatus] {
        let rows = try await gateway.store.certificates(country: nil, type: nil)
        let activity = Dictionary(uniqueKeysWithValues: try await gateway.store.countryActivity().map { ($0.country, $0) })
        let countries = Set(rows.map(\.country)).union(activity.keys).sorted()
        var out: [CountryStatus] = []
        for c in countries {
            let certs = rows.filter { $0.country == c }.map { row in
                let facts = try? gateway.trustAnchor.checkIntegrity(of: .init(thumbprint: row.thumbprint, country: row.country, pem: row.pem, operatorSignature: row.operatorSignature))
                return CountryStatus.Certificate(type: row.type, thumbprint: row.thumbprint, revoked: row.revoked, notAfter: facts?.notAfter, host: row.host)
            }
            let a = activity[c]
            out.append(CountryStatus(country: c, certificates: certs,
                                     lastUpload: a?.lastUpload.map { Date(timeIntervalSince1970: Double($0) / 1000) },
                                     lastDownload: a?.lastDownload.map { Date(timeIntervalSince1970: Double($0) / 1000) },
                                     subscriptions: try await gateway.store.callbackSubscriptions(country: c).count))
        }
        return out
    }
}
