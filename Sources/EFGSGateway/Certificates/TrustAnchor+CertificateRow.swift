// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSStore

extension TrustAnchor {
    /// The integrity check of a certificate row (PROTOCOL.md §7.6): the operator signature over the row's canonical
    /// PEM verifies under the trust anchor, and the thumbprint and country match the certificate.
    ///
    /// - Returns: The row's certificate.
    /// - Throws: The reason the row fails.
    public func checkIntegrity(of row: CertificateRow) throws -> CertificateFacts {
        try checkIntegrity(of: row.checkedContent)
    }
}

extension CertificateRow {
    /// The fields the integrity check covers (§7.6): thumbprint, country, PEM and operator signature.
    var checkedContent: CertificateRowContent {
        CertificateRowContent(
            thumbprint: thumbprint, country: country, pem: pem, operatorSignature: operatorSignature)
    }
}
