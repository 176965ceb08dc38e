// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import Foundation

/// The gateway's own certificates as configured (callback client, TLS of mode c, TLS of the admin listener), read
/// from their files: what the expiry gauge `efgs_gateway_certificate_expiry_seconds` and the console's Certificates
/// page show.
struct GatewayCertificates {
    /// One configured certificate file.
    struct File {
        /// The setting naming it.
        var setting: String
        /// Its path.
        var path: String
        /// When its first certificate expires; nil when the file cannot be read or parsed.
        var notAfter: Date?
    }

    /// The configured files of `config`, in a fixed order, each read now.
    static func files(_ config: GatewayConfiguration) -> [File] {
        [
            ("callback.clientCertificatePath", config.callback.clientCertificatePath),
            ("auth.tlsCertificatePath", config.auth.tlsCertificatePath),
            ("admin.tlsCertificatePath", config.admin.tlsCertificatePath),
        ].compactMap { setting, path in
            guard let path else { return nil }
            let notAfter = (try? String(contentsOfFile: path, encoding: .utf8))
                .flatMap { CanonicalPEM.firstCertificateDER(in: $0) }
                .flatMap { try? CertificateFacts(der: $0) }?.notAfter
            return File(setting: setting, path: path, notAfter: notAfter)
        }
    }
}
