// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import Foundation
import SwiftASN1
import X509

/// What the gateway needs to know of an X.509 certificate (PROTOCOL.md §1 "certificate", §6.4, §7.6): the parsed
/// certificate, its DER, thumbprint and subject countries.
public struct CertificateFacts: Sendable {
    /// The parsed certificate.
    public var certificate: Certificate
    /// Its DER encoding.
    public var der: [UInt8]
    /// SHA-256 of the DER in lower-case hex (§1).
    public var thumbprint: String
    /// Values of the subject's `C` (2.5.4.6) attributes.
    public var countries: [String]

    /// Parses a DER certificate; throws when it is not one.
    public init(der: [UInt8]) throws {
        self.der = der
        certificate = try Certificate(derEncoded: der)
        thumbprint = Thumbprint.of(der: der)
        countries = Self.countries(of: certificate.subject)
    }

    /// The values of the `C` (countryName) attributes of a name, in order.
    public static func countries(of name: DistinguishedName) -> [String] {
        name.flatMap { rdn in rdn.filter { $0.type == .RDNAttributeType.countryName } }
            .map { String($0.value) ?? $0.value.description }
    }

    /// Start of the validity period.
    public var notBefore: Date { certificate.notValidBefore }
    /// End of the validity period.
    public var notAfter: Date { certificate.notValidAfter }

    /// True when `now` lies within the validity period, both ends included.
    public func isValid(at now: Date) -> Bool { notBefore <= now && now <= notAfter }

    /// The canonical PEM of the certificate (§7.6).
    public var canonicalPEM: String { CanonicalPEM.encode(der: der) }
    /// The subject as text (swift-certificates' `DistinguishedName.description`).
    public var subjectText: String { certificate.subject.description }
}
