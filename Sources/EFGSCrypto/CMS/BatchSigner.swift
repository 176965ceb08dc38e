// SPDX-License-Identifier: EUPL-1.2

import Crypto
import EFGSProtocol
import Foundation
import SwiftASN1
@_spi(CMS) import X509
import _CryptoExtras

/// Signs a batch stream as a national backend does: detached CMS SignedData (RFC 5652) with the signer certificate
/// embedded, returned as the `batchSignature` header value (standard Base64, PROTOCOL.md §6.1). Uses
/// swift-certificates' CMS signer (sha256WithRSAEncryption, ecdsa-with-SHA256 or, for a P-384 key,
/// ecdsa-with-SHA384; IssuerAndSerialNumber).
public struct BatchSigner: Sendable {
    /// Why the signer could not be made from PEM text.
    public enum LoadError: Error, CustomStringConvertible {
        /// The certificate text holds no `CERTIFICATE` block and is no bare Base64 DER.
        case notACertificate

        /// The message for the operator.
        public var description: String {
            switch self {
            case .notACertificate: return "the signing certificate is not a PEM certificate"
            }
        }
    }

    /// The signer certificate, embedded in every signature.
    public let certificate: Certificate
    let privateKey: Certificate.PrivateKey
    let algorithm: Certificate.SignatureAlgorithm

    /// A signer from the PEM of its certificate and private key.
    public init(certificatePEM: String, privateKeyPEM: String) throws {
        guard let der = CanonicalPEM.firstCertificateDER(in: certificatePEM) else {
            throw LoadError.notACertificate
        }
        try self.init(
            certificate: try Certificate(derEncoded: der),
            privateKey: try Certificate.PrivateKey(pemEncoded: privateKeyPEM))
    }

    /// A signer from a certificate and its private key; the algorithm follows the key type.
    public init(certificate: Certificate, privateKey: Certificate.PrivateKey) throws {
        self.certificate = certificate
        self.privateKey = privateKey
        if _RSA.Signing.PublicKey(certificate.publicKey) != nil {
            algorithm = .sha256WithRSAEncryption
        } else if P384.Signing.PublicKey(certificate.publicKey) != nil {
            algorithm = .ecdsaWithSHA384
        } else {
            algorithm = .ecdsaWithSHA256
        }
    }

    /// The `batchSignature` of `keys` (their §3.2 batch stream).
    public func sign(keys: [DiagnosisKey], signingTime: Date? = Date()) throws -> String {
        try sign(stream: BatchStream.bytes(of: keys), signingTime: signingTime)
    }

    /// The `batchSignature` of a batch stream; with a `signingTime` the signature carries signed attributes
    /// (§6.3), without one it signs the stream directly.
    public func sign(stream: [UInt8], signingTime: Date? = Date()) throws -> String {
        let bytes: [UInt8]
        if let signingTime {
            bytes = try CMS.sign(
                stream, signatureAlgorithm: algorithm, certificate: certificate,
                privateKey: privateKey, signingTime: signingTime, detached: true)
        } else {
            bytes = try CMS.sign(
                stream, signatureAlgorithm: algorithm, certificate: certificate,
                privateKey: privateKey, detached: true)
        }
        return Base64.encodeString(bytes)
    }
}
