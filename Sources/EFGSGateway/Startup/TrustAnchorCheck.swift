// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSStore

/// The trust anchor against the certificate table (PROTOCOL.md §7.6): when rows exist and none verifies under the
/// configured anchor, the anchor is not the one that signed them, and every country would be refused with 403.
public struct TrustAnchorCheck: Sendable {
    let store: any CertificateStore
    let trustAnchor: TrustAnchors

    /// A check of `trustAnchor` against `store`'s rows.
    public init(store: any CertificateStore, trustAnchor: TrustAnchors) {
        self.store = store
        self.trustAnchor = trustAnchor
    }

    /// How many rows exist and how many verify.
    public func count() async throws -> (rows: Int, verified: Int) {
        let rows = try await store.certificates(country: nil, type: nil)
        return (rows.count, rows.filter { (try? trustAnchor.checkIntegrity(of: $0)) != nil }.count)
    }

    /// A problem naming `trustAnchor.certificatePath`, or nil.
    public func problem() async throws -> String? {
        let (rows, verified) = try await count()
        guard rows > 0, verified == 0 else { return nil }
        return "none of the \(rows) certificate rows verifies under the trust anchor (thumbprint "
            + "\(trustAnchor.thumbprints)); it is not the anchor that signed them"
    }
}
