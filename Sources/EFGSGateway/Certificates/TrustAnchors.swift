// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSStore

/// The configured trust anchors (PROTOCOL.md §7.6): the current one and, during a rotation, the next one
/// (`trustAnchor.nextCertificatePath`). A row verifies when either signed it, so rows can be re-signed one by one
/// while countries keep uploading and downloading.
public struct TrustAnchors: Sendable {
    /// `trustAnchor.certificatePath`.
    public let current: TrustAnchor
    /// `trustAnchor.nextCertificatePath`, during a rotation.
    public let next: TrustAnchor?

    /// The anchors `current` and `next`.
    public init(current: TrustAnchor, next: TrustAnchor? = nil) {
        self.current = current
        self.next = next
    }

    /// Every configured anchor, the current one first.
    public var all: [TrustAnchor] { [current] + (next.map { [$0] } ?? []) }

    /// The thumbprints, for messages: `current` or `current, next`.
    public var thumbprints: String { all.map(\.thumbprint).joined(separator: ", ") }

    /// The integrity check of `row` under the current anchor, else the next one.
    ///
    /// - Returns: The row's certificate.
    /// - Throws: The current anchor's reason when neither verifies the row.
    public func checkIntegrity(of row: CertificateRow) throws -> CertificateFacts {
        do {
            return try current.checkIntegrity(of: row)
        } catch {
            guard let next, let facts = try? next.checkIntegrity(of: row) else { throw error }
            return facts
        }
    }

    /// Whether the operator signature `signature` over `pem` verifies under one of the anchors.
    public func isValidSignature(base64 signature: String, over pem: String) -> Bool {
        all.contains { $0.isValidSignature(base64: signature, over: pem) }
    }
}
