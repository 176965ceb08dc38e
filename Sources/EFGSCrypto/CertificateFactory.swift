// SPDX-License-Identifier: EUPL-1.2

import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// Makes self-signed X.509 v3 certificates and keys (trust anchor, demo PKI, tests) with swift-certificates.
public enum CertificateFactory {
    /// The key types the factory makes.
    public enum KeyKind: String, Sendable { case rsa2048, rsa3072, rsa4096, p256 }

    /// A certificate with its key, in object, PEM and DER form.
    public struct Issued: Sendable {
        /// The certificate.
        public var certificate: Certificate
        /// Its private key.
        public var privateKey: Certificate.PrivateKey
        /// The certificate as canonical PEM (PROTOCOL.md §7.6).
        public var certificatePEM: String
        /// The private key as PEM.
        public var privateKeyPEM: String
        /// The certificate's DER.
        public var der: [UInt8]
        /// The certificate's thumbprint (§1).
        public var thumbprint: String { Thumbprint.of(der: der) }
    }

    /// A fresh private key of `kind`, as a swift-certificates key and as PEM.
    public static func makeKey(_ kind: KeyKind) throws -> (Certificate.PrivateKey, String) {
        switch kind {
        case .rsa2048:
            let k = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            return (Certificate.PrivateKey(k), k.pemRepresentation)
        case .rsa3072:
            let k = try _RSA.Signing.PrivateKey(keySize: .bits3072)
            return (Certificate.PrivateKey(k), k.pemRepresentation)
        case .rsa4096:
            let k = try _RSA.Signing.PrivateKey(keySize: .bits4096)
            return (Certificate.PrivateKey(k), k.pemRepresentation)
        case .p256:
            let k = P256.Signing.PrivateKey()
            return (Certificate.PrivateKey(k), k.pemRepresentation)
        }
    }

    /// A self-signed certificate with subject `C=<country>, O=<organization>, CN=<commonName>` (more `C` attributes
    /// with `extraSubjectCountries`, for tests of the "exactly one C" rules).
    public static func selfSigned(
        country: String?, organization: String = "EFGS", commonName: String, key kind: KeyKind,
        dnsNames: [String] = [], ipAddresses: [[UInt8]] = [], extraSubjectCountries: [String] = [],
        notBefore: Date = Date().addingTimeInterval(-3600), notAfter: Date = Date().addingTimeInterval(365 * 86_400)
    ) throws -> Issued {
        let (key, keyPEM) = try makeKey(kind)
        let name = try DistinguishedName {
            if let country { CountryName(country) }
            for extra in extraSubjectCountries { CountryName(extra) }
            OrganizationName(organization)
            CommonName(commonName)
        }
        let extensions = try Certificate.Extensions {
            SubjectKeyIdentifier(hash: key.publicKey)
            if !dnsNames.isEmpty || !ipAddresses.isEmpty {
                SubjectAlternativeNames(
                    dnsNames.map { .dnsName($0) }
                        + ipAddresses.map { .ipAddress(ASN1OctetString(contentBytes: $0[...])) })
            }
        }
        let cert = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: name, subject: name,
            signatureAlgorithm: kind == .p256 ? .ecdsaWithSHA256 : .sha256WithRSAEncryption,
            extensions: extensions, issuerPrivateKey: key)
        var s = DER.Serializer()
        try s.serialize(cert)
        let der = s.serializedBytes
        return Issued(
            certificate: cert, privateKey: key, certificatePEM: CanonicalPEM.encode(der: der),
            privateKeyPEM: keyPEM, der: der)
    }
}
