// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSStore

/// The trust anchor against the certificate table (PROTOCOL.md §7.6): when rows exist and none verifies under the
/// configured anchor, the anchor is not the one that signed them, and every country would be refused with 403.
public struct TrustAnchorCheck: Sendable {
    let store: any CertificateStore
    let trustAnchor: TrustAnchors
    let directory: CertificateDirectory?

    /// A check of `trustAnchor` against `store`'s rows; with `directory` (the running gateway's, over the same
    /// anchors), rows whose content passed before are not verified again (the readiness check runs on every probe).
    public init(store: any CertificateStore, trustAnchor: TrustAnchors, directory: CertificateDirectory? = nil) {
        self.store = store
        self.trustAnchor = trustAnchor
        self.directory = directory
    }

    /// How many rows exist and how many verify.
    public func count() async throws -> (rows: Int, verified: Int) {
        let rows = try await store.certificates(country: nil, type: nil)
        let verified = rows.filter { row in
            if let directory { return (try? directory.integrity(of: row).get()) != nil }
            return (try? trustAnchor.checkIntegrity(of: row)) != nil
        }
        return (rows.count, verified.count)
    }

    /// A problem naming `trustAnchor.certificatePath`, or nil.
    public func problem() async throws -> String? {
        let (rows, verified) = try await count()
        guard rows > 0, verified == 0 else { return nil }
        return "none of the \(rows) certificate rows verifies under the trust anchor (thumbprint "
            + "\(trustAnchor.thumbprints)); it is not the anchor that signed them"
    }
}
