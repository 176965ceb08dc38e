import Crypto
import _CryptoExtras
import EFGSProtocol
import Foundation
@_spi(CMS) import X509

/// Signs a batch stream as a national backend does: detached CMS SignedData with the signer certificate
/// embedded, returned as the `batchSignature` header value (standard Base64). Uses swift-certificates' CMS
/// signer (sha256WithRSAEncryption or ecdsa-with-SHA256, IssuerAndSerialNumber).
public struct BatchSigner: Sendable {
    public let certificate: Certificate
    let privateKey: Certificate.PrivateKey
    let algorithm: Certificate.SignatureAlgorithm

    public init(certificatePEM: String, privateKeyPEM: String) throws {
        guard let der = CanonicalPEM.firstCertificateDER(in: certificatePEM) else {
            throw TrustAnchor.LoadError.notACertificate("signing certificate")
        }
        try self.init(certificate: try Certificate(derEncoded: der), privateKey: try Certificate.PrivateKey(pemEncoded: privateKeyPEM))
    }

    public init(certificate: Certificate, privateKey: Certificate.PrivateKey) throws {
        self.certificate = certificate
        self.privateKey = privateKey
        if _RSA.Signing.PublicKey(certificate.publicKey) != nil { algorithm = .sha256WithRSAEncryption }
        else if P384.Signing.PublicKey(certificate.publicKey) != nil { algorithm = .ecdsaWithSHA384 }
        else { algorithm = .ecdsaWithSHA256 }
    }

    /// The `batchSignature` of `keys` (their §3.2 batch stream).
    public func sign(keys: [DiagnosisKey], signingTime: Date? = Date()) throws -> String {
        try sign(stream: BatchStream.bytes(of: keys), signingTime: signingTime)
    }

    public func sign(stream: [UInt8], signingTime: Date? = Date()) throws -> String {
        let bytes: [UInt8]
        if let signingTime {
            bytes = try CMS.sign(stream, signatureAlgorithm: algorithm, certificate: certificate, privateKey: privateKey, signingTime: signingTime, detached: true)
        } else {
            bytes = try CMS.sign(stream, signatureAlgorithm: algorithm, certificate: certificate, privateKey: privateKey, detached: true)
        }
        return Base64.encodeString(bytes)
    }
}
