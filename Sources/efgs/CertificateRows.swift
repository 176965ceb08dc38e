// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSGateway
import EFGSProtocol
import EFGSStore

/// Certificate rows registered in one go, each signed by the trust anchor's key as `efgs cert sign` + `efgs cert
/// import` would do it: for the federations `efgs demo` and `efgs soak` make for themselves.
enum CertificateRows {
    /// Registers every (certificate, country, type) row with an operator signature made with `trustAnchorKeyPEM`.
    static func register(
        _ rows: [(CertificateFactory.Issued, String, CertificateType)], trustAnchorKeyPEM: String,
        services: GatewayServices
    ) async throws {
        let operatorSigner = try OperatorSigner(pem: trustAnchorKeyPEM)
        for (issued, country, type) in rows {
            let facts = try CertificateFacts(der: issued.der)
            _ = try await services.certificateRegistry.register(
                .init(
                    facts: facts, type: type, country: country,
                    operatorSignature: try operatorSigner.sign(facts.canonicalPEM)))
        }
    }
}
