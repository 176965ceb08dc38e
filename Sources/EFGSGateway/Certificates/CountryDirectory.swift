// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSStore
import Foundation

/// The countries of the federation as `efgs country list` shows them: certificates with state and expiry, last
/// activity and subscriptions.
public struct CountryDirectory: Sendable {
    /// One country.
    public struct CountryStatus: Sendable {
        /// One certificate row of the country.
        public struct Certificate: Sendable {
            /// AUTHENTICATION, SIGNING or CALLBACK.
            public var type: CertificateType
            /// SHA-256 thumbprint (64 lower-case hex).
            public var thumbprint: String
            /// Whether the row is revoked.
            public var revoked: Bool
            /// The certificate's expiry; nil when the row fails the integrity check (§7.6).
            public var notAfter: Date?
            /// The callback host of a CALLBACK row, if restricted to one.
            public var host: String?
        }

        /// ISO 3166-1 alpha-2 code.
        public var country: String
        /// Every certificate row of the country.
        public var certificates: [Certificate]
        /// The last accepted upload.
        public var lastUpload: Date?
        /// The last download.
        public var lastDownload: Date?
        /// The number of callback subscriptions.
        public var subscriptions: Int

        /// Connected: at least one AUTHENTICATION row that is not revoked and passes the integrity check.
        public var connected: Bool {
            certificates.contains { $0.type == .authentication && !$0.revoked && $0.notAfter != nil }
        }
    }

    let store: any CertificateStore & StatisticsStore & CallbackStore
    let directory: CertificateDirectory
    let pendingStatistics: @Sendable () async -> Void

    /// A directory over `store`, integrity-checked with `trustAnchor` (through `certificates`, the running gateway's
    /// directory over the same anchors, when given: the metrics list the countries on every scrape, and rows whose
    /// content passed before are not verified again); `pendingStatistics` returns once the download statistics this
    /// process still holds are written, and is awaited before the last activity is read.
    public init(
        store: any CertificateStore & StatisticsStore & CallbackStore, trustAnchor: TrustAnchors,
        certificates: CertificateDirectory? = nil, pendingStatistics: @escaping @Sendable () async -> Void = {}
    ) {
        self.store = store
        directory = certificates ?? CertificateDirectory(store: store, trustAnchor: trustAnchor)
        self.pendingStatistics = pendingStatistics
    }

    /// Every country with certificate rows or recorded activity, sorted by country code.
    public func list() async throws -> [CountryStatus] {
        let rows = try await store.certificates(country: nil, type: nil)
        await pendingStatistics()
        let activity = Dictionary(uniqueKeysWithValues: try await store.countryActivity().map { ($0.country, $0) })
        let countries = Set(rows.map(\.country)).union(activity.keys).sorted()
        var statuses: [CountryStatus] = []
        for country in countries {
            let certificates = rows.filter { $0.country == country }.map { row in
                CountryStatus.Certificate(
                    type: row.type, thumbprint: row.thumbprint, revoked: row.revoked,
                    notAfter: (try? directory.integrity(of: row).get())?.notAfter, host: row.host)
            }
            let active = activity[country]
            statuses.append(
                CountryStatus(
                    country: country, certificates: certificates,
                    lastUpload: active?.lastUpload.map(Self.date(epochMillis:)),
                    lastDownload: active?.lastDownload.map(Self.date(epochMillis:)),
                    subscriptions: try await store.callbackSubscriptions(country: country).count))
        }
        return statuses
    }

    static func date(epochMillis: Int64) -> Date {
        Date(timeIntervalSince1970: Double(epochMillis) / 1000)
    }
}
