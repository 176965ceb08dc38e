import Crypto
import _CryptoExtras
import EFGSProtocol
import Foundation
import X509

/// The gateway operator's trust anchor (PROTOCOL.md §7.6). Every certificate-table row carries the trust anchor's
/// signature over the row's canonical PEM: RSASSA-PKCS1-v1_5/SHA-256 or DER ECDSA/SHA-256, Base64 on one line —
/// what `openssl dgst -sha256 -sign ta.key cert.pem | base64 -w0` produces.
public struct TrustAnchor: Sendable {
    public let certificate: Certificate
    public let thumbprint: String
    enum Key: Sendable {
        case rsa(_RSA.Signing.PublicKey), p256(P256.Signing.PublicKey), p384(P384.Signing.PublicKey), p521(P521.Signing.PublicKey)
    }
    let key: Key

    public enum LoadError: Error, CustomStringConvertible {
        case unreadable(String), notACertificate(String), unsupportedKey
        public var description: String {
            switch self {
            case .unreadable(let s): return "cannot read trust anchor: \(s)"
            case .notACertificate(let s): return "trust anchor is not a PEM certificate: \(s)"
            case .unsupportedKey: return "Unknown signing algorithm used by EFGS Trust Anchor."
            }
        }
    }

    public init(pem: String) throws {
        guard let der = CanonicalPEM.firstCertificateDER(in: pem) else { throw LoadError.notACertificate("no CERTIFICATE block") }
        do { certificate = try Certificate(derEncoded: der) } catch { throw LoadError.notACertificate("\(error)") }
        thumbprint = Thumbprint.of(der: der)
        if let k = _RSA.Signing.PublicKey(certificate.publicKey) { key = .rsa(k) }
        else if let k = P256.Signing.PublicKey(certificate.publicKey) { key = .p256(k) }
        else if let k = P384.Signing.PublicKey(certificate.publicKey) { key = .p384(k) }
        else if let k = P521.Signing.PublicKey(certificate.publicKey) { key = .p521(k) }
        else { throw LoadError.unsupportedKey }
    }

    public init(path: String) throws {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw LoadError.unreadable("\(path): \(error.localizedDescription)") }
        try self.init(pem: text)
    }

    /// Verifies a Base64 operator signature over `text`'s UTF-8 bytes.
    public func isValidSignature(base64 signature: String, over text: String) -> Bool {
        guard let sig = Base64.decodeStrict(signature), !sig.isEmpty else { return false }
        let digest = SHA256.hash(data: Array(text.utf8))
        switch key {
        case .rsa(let k):
            return k.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: sig), for: digest, padding: .insecurePKCS1v1_5)
        case .p256(let k):
            guard let s = try? P256.Signing.ECDSASignature(derRepresentation: sig) else { return false }
            return k.isValidSignature(s, for: digest)
        case .p384(let k):
            guard let s = try? P384.Signing.ECDSASignature(derRepresentation: sig) else { return false }
            return k.isValidSignature(s, for: digest)
        case .p521(let k):
            guard let s = try? P521.Signing.ECDSASignature(derRepresentation: sig) else { return false }
            return k.isValidSignature(s, for: digest)
        }
    }
}

/// The trust anchor's private key, used offline by `efgs cert sign` and by tests and the demo.
public struct OperatorSigner: Sendable {
    let key: Certificate.PrivateKey
    enum Raw: Sendable { case rsa(_RSA.Signing.PrivateKey), p256(P256.Signing.PrivateKey), p384(P384.Signing.PrivateKey) }
    let raw: Raw

    public init(pem: String) throws {
        if let k = try? _RSA.Signing.PrivateKey(pemRepresentation: pem) { raw = .rsa(k); key = Certificate.PrivateKey(k) }
        else if let k = try? P256.Signing.PrivateKey(pemRepresentation: pem) { raw = .p256(k); key = Certificate.PrivateKey(k) }
        else if let k = try? P384.Signing.PrivateKey(pemRepresentation: pem) { raw = .p384(k); key = Certificate.PrivateKey(k) }
        else { throw TrustAnchor.LoadError.unsupportedKey }
    }

    public init(rsa: _RSA.Signing.PrivateKey) { raw = .rsa(rsa); key = Certificate.PrivateKey(rsa) }
    public init(p256: P256.Signing.PrivateKey) { raw = .p256(p256); key = Certificate.PrivateKey(p256) }

    /// Base64 signature over `text` (RSA PKCS#1 v1.5 / ECDSA DER, SHA-256).
    public func sign(_ text: String) throws -> String {
        let digest = SHA256.hash(data: Array(text.utf8))
        switch raw {
        case .rsa(let k): return Base64.encodeString(try k.signature(for: digest, padding: .insecurePKCS1v1_5).rawRepresentation)
        case .p256(let k): return Base64.encodeString(try k.signature(for: digest).derRepresentation)
        case .p384(let k): return Base64.encodeString(try k.signature(for: digest).derRepresentation)
        }
    }
}
