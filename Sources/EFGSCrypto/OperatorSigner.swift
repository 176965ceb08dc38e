// SPDX-License-Identifier: EUPL-1.2

import Crypto
import EFGSProtocol
import _CryptoExtras

/// The trust anchor's private key (PROTOCOL.md §7.6), used offline by `efgs cert sign` and by tests and the demo
/// to make the operator signature of a certificate-table row.
public struct OperatorSigner: Sendable {
    enum Raw: Sendable {
        case rsa(_RSA.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
    }

    let raw: Raw

    /// The signer from a PEM private key: RSA, ECDSA P-256 or P-384.
    public init(pem: String) throws {
        if let k = try? _RSA.Signing.PrivateKey(pemRepresentation: pem) {
            raw = .rsa(k)
        } else if let k = try? P256.Signing.PrivateKey(pemRepresentation: pem) {
            raw = .p256(k)
        } else if let k = try? P384.Signing.PrivateKey(pemRepresentation: pem) {
            raw = .p384(k)
        } else {
            throw TrustAnchor.LoadError.unsupportedKey
        }
    }

    /// Base64 signature over `text` (RSA PKCS#1 v1.5 / ECDSA DER, SHA-256).
    public func sign(_ text: String) throws -> String {
        let digest = SHA256.hash(data: Array(text.utf8))
        switch raw {
        case .rsa(let k):
            return Base64.encodeString(try k.signature(for: digest, padding: .insecurePKCS1v1_5).rawRepresentation)
        case .p256(let k):
            return Base64.encodeString(try k.signature(for: digest).derRepresentation)
        case .p384(let k):
            return Base64.encodeString(try k.signature(for: digest).derRepresentation)
        }
    }
}
