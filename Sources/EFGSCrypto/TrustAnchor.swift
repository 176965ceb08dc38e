// SPDX-License-Identifier: EUPL-1.2

import Crypto
import EFGSProtocol
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// The gateway operator's trust anchor (PROTOCOL.md §7.6). Every certificate-table row carries the trust anchor's
/// signature over the row's canonical PEM: RSASSA-PKCS1-v1_5/SHA-256 or DER ECDSA/SHA-256, Base64 on one line —
/// what `openssl dgst -sha256 -sign ta.key cert.pem | base64 -w0` produces.
public struct TrustAnchor: Sendable {
    /// The trust anchor certificate.
    public let certificate: Certificate
    /// The certificate's thumbprint (§1).
    public let thumbprint: String

    enum Key: Sendable {
        case rsa(_RSA.Signing.PublicKey)
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case p521(P521.Signing.PublicKey)
    }

    let key: Key

    /// Why a trust anchor (or its private key, see ``OperatorSigner``) could not be loaded.
    public enum LoadError: Error, CustomStringConvertible {
        /// The file could not be read.
        case unreadable(String)
        /// The text holds no parseable certificate.
        case notACertificate(String)
        /// The key is neither RSA nor ECDSA P-256/P-384/P-521.
        case unsupportedKey

        /// The message for the operator (`unsupportedKey` is the reference implementation's text).
        public var description: String {
            switch self {
            case .unreadable(let s): return "cannot read trust anchor: \(s)"
            case .notACertificate(let s): return "trust anchor is not a PEM certificate: \(s)"
            case .unsupportedKey: return "Unknown signing algorithm used by EFGS Trust Anchor."
            }
        }
    }

    /// The trust anchor from the first certificate of PEM text.
    public init(pem: String) throws {
        guard let der = CanonicalPEM.firstCertificateDER(in: pem) else {
            throw LoadError.notACertificate("no CERTIFICATE block")
        }
        do {
            certificate = try Certificate(derEncoded: der)
        } catch {
            throw LoadError.notACertificate("\(error)")
        }
        thumbprint = Thumbprint.of(der: der)
        if let k = _RSA.Signing.PublicKey(certificate.publicKey) {
            key = .rsa(k)
        } else if let k = P256.Signing.PublicKey(certificate.publicKey) {
            key = .p256(k)
        } else if let k = P384.Signing.PublicKey(certificate.publicKey) {
            key = .p384(k)
        } else if let k = P521.Signing.PublicKey(certificate.publicKey) {
            key = .p521(k)
        } else {
            throw LoadError.unsupportedKey
        }
    }

    /// The trust anchor from a PEM file.
    public init(path: String) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw LoadError.unreadable("\(path): \(error.localizedDescription)")
        }
        try self.init(pem: text)
    }

    /// Verifies a Base64 operator signature over `text`'s UTF-8 bytes.
    public func isValidSignature(base64 signature: String, over text: String) -> Bool {
        guard let sig = Base64.decodeStrict(signature), !sig.isEmpty else { return false }
        let digest = SHA256.hash(data: Array(text.utf8))
        switch key {
        case .rsa(let k):
            let rsaSignature = _RSA.Signing.RSASignature(rawRepresentation: sig)
            return k.isValidSignature(rsaSignature, for: digest, padding: .insecurePKCS1v1_5)
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
