// SPDX-License-Identifier: EUPL-1.2

import Crypto
import Foundation
import SwiftASN1
import _CryptoExtras

/// The certificates of a PKCS#12 file (RFC 7292), as a country submits them at onboarding: the integrity MAC is
/// checked with the password, password-encrypted bags are decrypted (PBES2 with PBKDF2 and AES-CBC, RFC 8018 — the
/// default of OpenSSL 3, Java 12+ and Python `cryptography`), and the X.509 certificates of the certificate bags are
/// returned as DER. A file with a private key is refused: a country hands over certificates, never keys.
///
/// swift-nio-ssl's `NIOSSLPKCS12Bundle` cannot be used here: it requires a private key in the file.
public enum PKCS12Certificates {
    /// Why a PKCS#12 file was refused.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// Not a PKCS#12 structure (the detail says where).
        case malformed(String)
        /// The integrity MAC does not verify with the password.
        case wrongPassword
        /// The file holds a key bag.
        case holdsPrivateKey
        /// A feature outside this reader (legacy encryption, public-key modes, other ciphers).
        case unsupported(String)
        /// The file holds no X.509 certificate.
        case noCertificate

        /// The message for the operator, with the command that makes an acceptable file.
        public var description: String {
            switch self {
            case .malformed(let why): return "not a PKCS#12 file: \(why)"
            case .wrongPassword: return "wrong password (the PKCS#12 integrity MAC does not verify)"
            case .holdsPrivateKey:
                return "the PKCS#12 file holds a private key; a country submits its certificate only "
                    + "(openssl pkcs12 -export -nokeys -in cert.pem -out cert.p12)"
            case .unsupported(let what):
                return "\(what) is not supported; export again with AES "
                    + "(openssl pkcs12 -export -nokeys -certpbe AES-256-CBC -macalg sha256 …) or submit PEM"
            case .noCertificate: return "the PKCS#12 file holds no X.509 certificate"
            }
        }
    }

    enum OIDs {
        static let encryptedData: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 6]
        static let keyBag: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 12, 10, 1, 1]
        static let shroudedKeyBag: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 12, 10, 1, 2]
        static let certBag: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 12, 10, 1, 3]
        static let safeContentsBag: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 12, 10, 1, 6]
        static let x509Certificate: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 22, 1]
        static let pbes2: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 5, 13]
        static let pbkdf2: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 5, 12]
        static let hmacWithSHA1: ASN1ObjectIdentifier = [1, 2, 840, 113549, 2, 7]
        static let hmacWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 113549, 2, 9]
        static let hmacWithSHA384: ASN1ObjectIdentifier = [1, 2, 840, 113549, 2, 10]
        static let hmacWithSHA512: ASN1ObjectIdentifier = [1, 2, 840, 113549, 2, 11]
        static let aes128CBC: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 1, 2]
        static let aes192CBC: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 1, 22]
        static let aes256CBC: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 1, 42]
    }

    /// The DER of every certificate in `bytes` (BER or DER), after checking the MAC with `password`.
    public static func certificates(in bytes: [UInt8], password: String) throws -> [[UInt8]] {
        do {
            return try parse(bytes, password: password)
        } catch let f as Failure {
            throw f
        } catch {
            throw Failure.malformed("\(error)")
        }
    }

    /// The certificates of a PFX (§4); any error other than a ``Failure`` is reported as `malformed` by the caller.
    static func parse(_ bytes: [UInt8], password: String) throws -> [[UInt8]] {
        // PFX ::= SEQUENCE { version INTEGER {v3(3)}, authSafe ContentInfo, macData MacData OPTIONAL }  (§4)
        let pfx = try BER.parse(bytes)
        try ASN1Walk.expect(pfx, .sequence)
        let p = try ASN1Walk.children(pfx)
        guard p.count == 2 || p.count == 3 else { throw Failure.malformed("PFX has \(p.count) elements") }
        guard try Int(berEncoded: p[0]) == 3 else { throw Failure.malformed("PFX version is not 3") }
        let authSafe = try dataContent(p[1])
        guard p.count == 3 else {
            throw Failure.unsupported("a PKCS#12 file without integrity MAC (public-key integrity mode)")
        }
        try verifyMAC(p[2], over: authSafe, password: password)

        // AuthenticatedSafe ::= SEQUENCE OF ContentInfo — data or encryptedData (§4.1)
        let safes = try BER.parse(authSafe)
        try ASN1Walk.expect(safes, .sequence)
        var certificates: [[UInt8]] = []
        for ci in try ASN1Walk.children(safes) {
            let c = try ASN1Walk.children(ci)
            guard c.count == 2 else { throw Failure.malformed("ContentInfo has \(c.count) elements") }
            let type = try ASN1ObjectIdentifier(berEncoded: c[0])
            let safeContents: [UInt8]
            if type == OID.data {
                safeContents = try dataContent(ci)
            } else if type == OIDs.encryptedData {
                safeContents = try decrypt(try explicit0(c[1]), password: password)
            } else {
                throw Failure.unsupported("a content of type \(type) (public-key privacy mode)")
            }
            certificates += try certificatesInSafeContents(safeContents, password: password)
        }
        guard !certificates.isEmpty else { throw Failure.noCertificate }
        return certificates
    }

    /// The octets of a `ContentInfo` of type id-data: `[0] EXPLICIT OCTET STRING`.
    static func dataContent(_ contentInfo: ASN1Node) throws -> [UInt8] {
        try ASN1Walk.expect(contentInfo, .sequence)
        let c = try ASN1Walk.children(contentInfo)
        guard c.count == 2, try ASN1ObjectIdentifier(berEncoded: c[0]) == OID.data else {
            throw Failure.malformed("authSafe is not id-data")
        }
        let octets = try explicit0(c[1])
        try ASN1Walk.expect(octets, .octetString)
        return try ASN1Walk.stringContent(octets)
    }

    /// The single value inside a `[0] EXPLICIT` node.
    static func explicit0(_ node: ASN1Node) throws -> ASN1Node {
        try ASN1Walk.expect(node, ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific))
        let inner = try ASN1Walk.children(node)
        guard inner.count == 1 else { throw Failure.malformed("[0] EXPLICIT with \(inner.count) elements") }
        return inner[0]
    }

    /// `SafeContents ::= SEQUENCE OF SafeBag`;
    /// `SafeBag ::= SEQUENCE { bagId, bagValue [0] EXPLICIT, bagAttributes SET OPTIONAL }` (§4.2).
    static func certificatesInSafeContents(_ bytes: [UInt8], password: String) throws -> [[UInt8]] {
        let contents = try BER.parse(bytes)
        try ASN1Walk.expect(contents, .sequence)
        var out: [[UInt8]] = []
        for bag in try ASN1Walk.children(contents) {
            let b = try ASN1Walk.children(bag)
            guard b.count >= 2 else { throw Failure.malformed("SafeBag has \(b.count) elements") }
            let id = try ASN1ObjectIdentifier(berEncoded: b[0])
            let value = try explicit0(b[1])
            if id == OIDs.keyBag || id == OIDs.shroudedKeyBag { throw Failure.holdsPrivateKey }
            if id == OIDs.safeContentsBag {
                out += try certificatesInSafeContents(ASN1Walk.derBytes(value), password: password)
            } else if id == OIDs.certBag {
                // CertBag ::= SEQUENCE { certId, certValue [0] EXPLICIT OCTET STRING } (§4.2.3)
                let cb = try ASN1Walk.children(value)
                guard cb.count == 2 else { throw Failure.malformed("CertBag has \(cb.count) elements") }
                // SDSI certificates are ignored
                guard try ASN1ObjectIdentifier(berEncoded: cb[0]) == OIDs.x509Certificate else { continue }
                let octets = try explicit0(cb[1])
                try ASN1Walk.expect(octets, .octetString)
                out.append(ASN1Walk.derBytes(try BER.parse(try ASN1Walk.stringContent(octets))))
            }
            // CRL and secret bags carry no certificate
        }
        return out
    }

    // MARK: integrity (§5, Appendix B)

    /// `MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 }`.
    static func verifyMAC(_ node: ASN1Node, over authSafe: [UInt8], password: String) throws {
        try ASN1Walk.expect(node, .sequence)
        let m = try ASN1Walk.children(node)
        guard m.count == 2 || m.count == 3 else { throw Failure.malformed("MacData has \(m.count) elements") }
        let digestInfo = try ASN1Walk.children(m[0])
        guard digestInfo.count == 2 else { throw Failure.malformed("DigestInfo has \(digestInfo.count) elements") }
        let algorithm = try AlgorithmIdentifierValue(digestInfo[0])
        guard let digest = HashAlgorithm(oid: algorithm.oid) else {
            throw Failure.unsupported("the MAC algorithm \(algorithm.oid)")
        }
        let expected = try ASN1Walk.stringContent(digestInfo[1])
        let salt = try ASN1Walk.stringContent(m[1])
        let iterations = m.count == 3 ? try Int(berEncoded: m[2]) : 1
        guard (1...10_000_000).contains(iterations) else {
            throw Failure.malformed("MAC iteration count \(iterations)")
        }
        let key = pkcs12KDF(
            digest, password: bmpPassword(password), salt: salt, id: 3, iterations: iterations,
            length: digest.length)
        guard digest.hmac(key: key, authSafe) == expected else { throw Failure.wrongPassword }
    }

    /// The password as BMPString with two zero bytes at the end (Appendix B.1).
    static func bmpPassword(_ password: String) -> [UInt8] {
        password.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } + [0, 0]
    }

    /// The PKCS#12 key derivation of RFC 7292 Appendix B.2 (`id` 1: key, 2: IV, 3: MAC key).
    static func pkcs12KDF(
        _ digest: HashAlgorithm, password: [UInt8], salt: [UInt8], id: UInt8, iterations: Int, length: Int
    ) -> [UInt8] {
        let u = digest.length
        let v = digest.blockLength
        let d = [UInt8](repeating: id, count: v)
        func stretch(_ x: [UInt8]) -> [UInt8] {
            guard !x.isEmpty else { return [] }
            let n = v * ((x.count + v - 1) / v)
            return (0..<n).map { x[$0 % x.count] }
        }
        var i = stretch(salt) + stretch(password)
        var out: [UInt8] = []
        while out.count < length {
            var a = digest.hash(d + i)
            for _ in 1..<iterations { a = digest.hash(a) }
            out += a
            let b = (0..<v).map { a[$0 % u] }
            // I_j = (I_j + B + 1) mod 2^(8v) for each v-byte block
            for start in stride(from: 0, to: i.count, by: v) {
                var carry: UInt16 = 1
                for k in (0..<v).reversed() {
                    let sum = UInt16(i[start + k]) + UInt16(b[k]) + carry
                    i[start + k] = UInt8(sum & 0xFF)
                    carry = sum >> 8
                }
            }
        }
        return Array(out.prefix(length))
    }

    // MARK: privacy (§4.1, RFC 8018 PBES2)

    /// `EncryptedData ::= SEQUENCE { version, EncryptedContentInfo SEQUENCE { contentType, contentEncryptionAlgorithm,
    /// encryptedContent [0] IMPLICIT OCTET STRING } }` (RFC 5652 §8).
    static func decrypt(_ encryptedData: ASN1Node, password: String) throws -> [UInt8] {
        let e = try ASN1Walk.children(encryptedData)
        guard e.count >= 2 else { throw Failure.malformed("EncryptedData has \(e.count) elements") }
        let eci = try ASN1Walk.children(e[1])
        guard eci.count == 3 else { throw Failure.malformed("EncryptedContentInfo without content") }
        let algorithm = try AlgorithmIdentifierValue(eci[1])
        try ASN1Walk.expect(eci[2], ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific))
        let ciphertext = try ASN1Walk.stringContent(eci[2])
        guard algorithm.oid == OIDs.pbes2, let params = algorithm.parameters else {
            throw Failure.unsupported("the legacy encryption \(algorithm.oid) (RC2 / 3DES, PKCS#12 PBE)")
        }
        // PBES2-params ::= SEQUENCE { keyDerivationFunc, encryptionScheme } (RFC 8018 §A.4)
        let pbes2 = try ASN1Walk.children(params)
        guard pbes2.count == 2 else { throw Failure.malformed("PBES2 parameters") }
        let kdf = try AlgorithmIdentifierValue(pbes2[0])
        let scheme = try AlgorithmIdentifierValue(pbes2[1])
        guard kdf.oid == OIDs.pbkdf2, let kdfParams = kdf.parameters else {
            throw Failure.unsupported("the key derivation \(kdf.oid)")
        }
        let keyLength: Int
        switch scheme.oid {
        case OIDs.aes128CBC: keyLength = 16
        case OIDs.aes192CBC: keyLength = 24
        case OIDs.aes256CBC: keyLength = 32
        default: throw Failure.unsupported("the cipher \(scheme.oid)")
        }
        guard let ivNode = scheme.parameters else { throw Failure.malformed("AES-CBC without IV") }
        let iv = try ASN1Walk.stringContent(ivNode)
        // PBKDF2-params ::= SEQUENCE { salt OCTET STRING, iterationCount INTEGER, keyLength INTEGER OPTIONAL,
        //                             prf DEFAULT hmacWithSHA1 }
        var k = try ASN1Walk.children(kdfParams)[...]
        guard k.count >= 2 else { throw Failure.malformed("PBKDF2 parameters") }
        let salt = try ASN1Walk.stringContent(k.removeFirst())
        let iterations = try Int(berEncoded: k.removeFirst())
        guard (1...10_000_000).contains(iterations) else {
            throw Failure.malformed("PBKDF2 iteration count \(iterations)")
        }
        if let n = k.first, n.identifier == .integer {
            k.removeFirst()
            guard try Int(berEncoded: n) == keyLength else {
                throw Failure.malformed("PBKDF2 key length does not match the cipher")
            }
        }
        var prf = KDF.Insecure.PBKDF2.HashFunction.insecureSHA1
        if let n = k.first {
            switch try AlgorithmIdentifierValue(n).oid {
            case OIDs.hmacWithSHA1: prf = .insecureSHA1
            case OIDs.hmacWithSHA256: prf = .sha256
            case OIDs.hmacWithSHA384: prf = .sha384
            case OIDs.hmacWithSHA512: prf = .sha512
            case let other: throw Failure.unsupported("the PBKDF2 function \(other)")
            }
        }
        // PBES2 in PKCS#12 takes the password as UTF-8 octets (RFC 8018 §3), as OpenSSL, Java and cryptography do
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: prf,
            outputByteCount: keyLength, unsafeUncheckedRounds: iterations)
        do {
            return Array(try AES._CBC.decrypt(ciphertext, using: key, iv: try AES._CBC.IV(ivBytes: iv)))
        } catch {
            throw Failure.wrongPassword  // the MAC verified, so a padding error means a differently keyed encryption
        }
    }
}
