// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSStore

/// Certificate-table lookups with the integrity check on every lookup (PROTOCOL.md §7.6): a row whose operator
/// signature does not verify under the trust anchor is treated as absent and logged (class CertificateService).
/// Rows are read from the store for every lookup, by a read that began after the lookup asked, so a revocation counts
/// from the next request on: on the calling thread where the store can
/// (``CertificateStore/certificatesNow(thumbprint:type:)``, SQLite), otherwise with concurrent lookups of one
/// thumbprint sharing a query (``SharedFreshReads``); the public-key work of a row's check is done once per process
/// (``IntegrityVerdicts``).
public struct CertificateDirectory: Sendable {
    let store: any CertificateStore
    let trustAnchor: TrustAnchors
    let verdicts = IntegrityVerdicts()
    let rowReads = SharedFreshReads<RowsKey, [CertificateRow]>(sharesFailure: StoreError.isUnavailable)

    /// The rows of one thumbprint and type.
    struct RowsKey: Hashable, Sendable {
        var thumbprint: String
        var type: CertificateType
    }

    /// A directory over `store` checked against `trustAnchor`.
    public init(store: any CertificateStore, trustAnchor: TrustAnchors) {
        self.store = store
        self.trustAnchor = trustAnchor
    }

    /// The first row (thumbprint, type) whose country is `country` and that passes the integrity check.
    public func verifiedRow(
        thumbprint: String, country: String, type: CertificateType, log: EventScope
    ) async throws -> CertificateRow? {
        switch try await lookUp(thumbprint: thumbprint, country: country, type: type, log: log) {
        case .verified(let row): row
        case .absent, .failingIntegrity: nil
        }
    }

    /// What one read of the rows (thumbprint, type) of `country` found.
    public enum Lookup: Sendable {
        /// The first of them that passes the integrity check.
        case verified(CertificateRow)
        /// No such row.
        case absent
        /// Rows, none of which passes the integrity check (each failure logged).
        case failingIntegrity
    }

    /// The rows (thumbprint, type) of `country`, read once and integrity-checked: the signature check (§6.4) tells an
    /// unknown signer from one whose row fails the check without reading the rows twice (it did until 2026-12-04,
    /// a second round trip to the database in every upload).
    public func lookUp(
        thumbprint: String, country: String, type: CertificateType, log: EventScope
    ) async throws -> Lookup {
        let store = self.store
        let read: [CertificateRow]
        if let now = store.certificatesNow(thumbprint: thumbprint, type: type) {
            read = now
        } else {
            read = try await rowReads.read(RowsKey(thumbprint: thumbprint, type: type)) {
                try await store.certificates(thumbprint: thumbprint, type: type)
            }
        }
        let rows = read.filter { $0.country == country }
        guard !rows.isEmpty else { return .absent }
        return rows.first { integrityChecked($0, log: log) != nil }.map(Lookup.verified) ?? .failingIntegrity
    }

    /// The non-revoked CALLBACK rows of `country` that pass the integrity check and whose `host`, when set, is
    /// `host` (case-insensitive), with their certificates — the candidates for a callback host (§5.6, §7.5).
    func callbackRows(
        country: String, host: String, log: EventScope
    ) async throws -> [(row: CertificateRow, facts: CertificateFacts)] {
        try await store.certificates(country: country, type: .callback).compactMap { row in
            guard !row.revoked, row.host.map({ $0.lowercased() == host }) ?? true else { return nil }
            return integrityChecked(row, log: log).map { (row, $0) }
        }
    }

    /// The row's certificate when it passes the integrity check (§7.6); otherwise nil, and the failure is logged.
    func integrityChecked(_ row: CertificateRow, log: EventScope) -> CertificateFacts? {
        switch integrity(of: row) {
        case .success(let facts):
            return facts
        case .failure(let error):
            log.component("CertificateService").error(
                String(describing: error), ["certVerifyThumbprint": row.thumbprint])
            return nil
        }
    }

    /// The integrity check of `row` (§7.6), without logging: its certificate, or why it fails. A passing content is
    /// checked once per process (``IntegrityVerdicts``), so the readiness check, the metrics and the console, which
    /// look at every row on each call, do no public-key work for rows the requests checked already.
    public func integrity(of row: CertificateRow) -> Result<CertificateFacts, any Error> {
        if let facts = verdicts.facts(of: row) { return .success(facts) }
        do {
            let facts = try trustAnchor.checkIntegrity(of: row)
            verdicts.remember(row, facts: facts)
            return .success(facts)
        } catch {
            return .failure(error)
        }
    }
}
