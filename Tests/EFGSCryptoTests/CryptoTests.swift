@testable import EFGSCrypto
import EFGSProtocol
import EFGSTestSupport
import Foundation
import X509
import XCTest

final class ThumbprintAndDNTests: XCTestCase {
    func testThumbprintNormalisationSection42() {
        let expected = "00bebc5be79d19e1b8b3f250dc39aebfa9a054baf5f8d61380438d92394c476a"
        for v in ["00BEBC5BE79D19E1B8B3F250DC39AEBFA9A054BAF5F8D61380438D92394C476A", " \(expected) ",
                  "AL68W+edGeG4s/JQ3Dmuv6mgVLr1+NYTgEONkjlMR2o=", "AL68W%2BedGeG4s%2FJQ3Dmuv6mgVLr1%2BNYTgEONkjlMR2o%3D",
                  "AL68W+edGeG4s/JQ3Dmuv6mgVLr1+NYTgEONkjlMR2o"] {
            XCTAssertEqual(Thumbprint.normalise(header: v), expected, v)
        }
        for bad in ["00:BE:BC", "AL68W-edGeG4s_JQ3Dmuv6mgVLr1-NYTgEONkjlMR2o=", "abc", "%ZZ", ""] {
            XCTAssertNil(Thumbprint.normalise(header: bad), bad)
        }
    }

    func testDNExamplesSection43() {
        for dn in ["C=DE", "C = DE, O = x", "/C=DE/O=x", "O=Test Firma GmbH,C=DE,U=,TR,TT=43", "O=a,O=XXX,C=DE", "CN=a\\,b,C=DE",
                   "ST%3dSome-State%2c%20C%3dDE%2c%20O%3dInternet%20Widgits%20Pty%20Ltd", "subject=CN=x, countryName=DE", "CN=x+C=DE"] {
            XCTAssertEqual(DistinguishedNameText(header: dn)?.countries, ["DE"], dn)
        }
        XCTAssertEqual(DistinguishedNameText(header: "O=Test Firma GmbH,U=Abteilung XYZ,TR=test")?.countries, [])
        XCTAssertEqual(DistinguishedNameText(header: "C=DE,C=FR")?.countries, ["DE", "FR"])
        XCTAssertEqual(DistinguishedNameText(header: "CN=\"a,C=FR\",C=DE")?.countries, ["DE"], "quoted separators")
        XCTAssertNil(DistinguishedNameText(header: "C=DE%2"), "bad escape")
        XCTAssertNil(DistinguishedNameText(header: "C=%FF%FE"), "not UTF-8")
    }
}

final class StorageCipherTests: XCTestCase {
    func testSealOpenFormatAndRotation() throws {
        let k1 = [UInt8](repeating: 1, count: 32), k2 = [UInt8](repeating: 2, count: 32)
        let old = try StorageCipher(.init(keys: ["k1": k1], activeKeyId: "k1"))
        let mac = old.dedupMAC(record: Array("record".utf8))
        let sealed = try old.seal([1, 2, 3], mac: mac)
        XCTAssertEqual(Array(sealed.prefix(4)), [0x01, 2, 0x6B, 0x31])
        XCTAssertEqual(sealed.count, 1 + 1 + 2 + 12 + 3 + 16)
        XCTAssertNotEqual(try old.seal([1, 2, 3], mac: mac), sealed, "fresh nonce per value")
        let rotated = try StorageCipher(.init(keys: ["k1": k1, "k2": k2], activeKeyId: "k2", dedupKeyId: "k1"))
        XCTAssertEqual(try rotated.open(sealed, mac: mac), [1, 2, 3])
        XCTAssertEqual(rotated.dedupMAC(record: Array("record".utf8)), mac, "dedup key unchanged by rotation")
        XCTAssertThrowsError(try rotated.open(sealed, mac: [UInt8](repeating: 0, count: 32)), "AAD binds the MAC")
        let other = try StorageCipher(.init(keys: ["k2": k2], activeKeyId: "k2"))
        XCTAssertThrowsError(try other.open(sealed, mac: mac)) { XCTAssertEqual($0 as? StorageCipher.Error, .unknownKeyId("k1")) }
    }
}

final class CMSVectorTests: XCTestCase {
    let dir = Bundle.module.url(forResource: "Vectors", withExtension: nil)!
    lazy var stream: [UInt8] = Array(try! Data(contentsOf: dir.appendingPathComponent("stream.bin")))
    func sig(_ name: String) -> String { try! String(contentsOf: dir.appendingPathComponent(name + ".b64"), encoding: .utf8) }
    func verify(_ name: String, legacy: Bool = false, stream s: [UInt8]? = nil) throws -> VerifiedBatchSignature {
        try BatchSignatureVerifier(allowLegacySha1: legacy).verify(batchSignature: sig(name), stream: s ?? stream, now: Date())
    }
    func structure(_ name: String) throws -> SignedDataValue { try SignedDataValue(contentInfo: Base64.decodeStrict(sig(name))!) }
    var tampered: [UInt8] { var t = stream; t[3] ^= 1; return t }

    /// Streams that differ from the signed one: a flipped bit, an extra byte, a missing record byte, another key.
    var alteredStreams: [[UInt8]] {
        var other = stream; other[1] = other[1] == 0x41 ? 0x42 : 0x41
        return [tampered, stream + [0x2E], Array(stream.dropLast()), other, stream + stream]
    }

    static let sha1 = "1.3.14.3.2.26", sha256 = "2.16.840.1.101.3.4.2.1"

    /// PROTOCOL.md §6.5: every required case, from an independent producer (BouncyCastle Java, OpenSSL CLI, Python
    /// cryptography/asn1crypto — see each vector's `.cmd`), verifies with the algorithms of its row and fails when
    /// any byte of the stream changes. SHA-1 rows verify only with the legacy option.
    func testRequiredAcceptanceCasesSection65() throws {
        let cases: [(name: String, legacy: Bool, digest: String, signature: String)] = [
            ("bc-a-rsa", false, Self.sha256, "1.2.840.113549.1.1.11"),   // A-RSA, BouncyCastle defaults, BER
            ("bc-a-ec", false, Self.sha256, "1.2.840.10045.4.3.2"),      // A-EC
            ("bc-b-rsa", false, Self.sha256, "1.2.840.113549.1.1.1"),    // B, sha256+NULL, rsaEncryption+NULL
            ("py-c-net", false, Self.sha256, "1.2.840.113549.1.1.1"),    // C, RSA-4096, no attributes, DER
            ("py-e-rsa", true, Self.sha1, "1.2.840.113549.1.1.5"),       // E, Go pkcs7 shape
            ("py-e-ec", true, Self.sha1, "1.2.840.10045.4.1"),           // E with EC
            ("py-f", true, Self.sha256, "1.2.840.113549.1.1.5"),         // F, SHA1withRSA over a SHA-256 messageDigest
            ("bc-h-sha1", true, Self.sha1, "1.2.840.113549.1.1.1"),      // H, SHA-1 with bare rsaEncryption
            ("bc-pss", false, Self.sha256, "1.2.840.113549.1.1.10"),     // PSS, salt 32
            ("openssl-rsa-pss", false, Self.sha256, "1.2.840.113549.1.1.10"),
            ("bc-ski", false, Self.sha256, "1.2.840.113549.1.1.11"),     // SKI SID
            ("openssl-rsa-ski", false, Self.sha256, "1.2.840.113549.1.1.1"),
            ("bc-attached", false, Self.sha256, "1.2.840.113549.1.1.11"), // attached eContent = stream
            ("openssl-rsa-attached", false, Self.sha256, "1.2.840.113549.1.1.1"),
            ("bc-direct-rsa", false, Self.sha256, "1.2.840.113549.1.1.11"),
            ("openssl-rsa-attrs", false, Self.sha256, "1.2.840.113549.1.1.1"),
            ("openssl-rsa-noattr", false, Self.sha256, "1.2.840.113549.1.1.1"),
            ("openssl-ec-attrs", false, Self.sha256, "1.2.840.10045.4.3.2"),
            ("openssl-ec-noattr", false, Self.sha256, "1.2.840.10045.4.3.2"),
            ("python-rsa", false, Self.sha256, "1.2.840.113549.1.1.1"),
            ("python-rsa-noattr", false, Self.sha256, "1.2.840.113549.1.1.1"),
            ("python-ec", false, Self.sha256, "1.2.840.10045.4.3.2"),
            ("py-ec-bare", false, Self.sha256, "1.2.840.10045.2.1"),
            ("py-algprot-ok", false, Self.sha256, "1.2.840.113549.1.1.11"),
        ]
        for c in cases {
            let v: VerifiedBatchSignature
            do { v = try verify(c.name, legacy: c.legacy) } catch { XCTFail("\(c.name): \(error)"); continue }
            XCTAssertEqual(v.digestAlgorithm, c.digest, c.name)
            XCTAssertEqual(v.signatureAlgorithm, c.signature, c.name)
            XCTAssertEqual(v.usedLegacySha1, c.legacy, c.name)
            XCTAssertEqual(v.signer.countries, ["DE"], c.name)
            for altered in alteredStreams {
                XCTAssertThrowsError(try verify(c.name, legacy: true, stream: altered), c.name)
            }
            if c.legacy {
                XCTAssertThrowsError(try verify(c.name)) { e in
                    guard case .legacySha1Rejected = e as? BatchSignatureError else { return XCTFail("\(c.name): \(e)") }
                }
            }
        }
        // the shapes are the ones the cases name
        for name in ["bc-a-rsa", "bc-a-ec", "bc-b-rsa", "bc-h-sha1", "bc-ski", "bc-attached"] {
            XCTAssertTrue(sig(name).hasPrefix("MIAGCSqGSIb3DQEHAqCAMIAC"), "\(name) is BER with indefinite lengths")
        }
        for name in ["py-c-net", "py-e-rsa", "py-f", "bc-pss"] {
            XCTAssertTrue(sig(name).hasPrefix("MII"), "\(name) is DER")
        }
        guard case .subjectKeyIdentifier = try structure("bc-ski").signerInfos[0].sid else { return XCTFail("bc-ski has an SKI SID") }
        guard case .subjectKeyIdentifier = try structure("openssl-rsa-ski").signerInfos[0].sid else { return XCTFail("openssl-rsa-ski has an SKI SID") }
        XCTAssertEqual(try structure("bc-attached").eContent, stream)
        XCTAssertNil(try structure("bc-a-rsa").eContent)
        XCTAssertNil(try structure("py-c-net").signerInfos[0].signedAttributes, "case C has no signed attributes")
        XCTAssertEqual(try structure("bc-a-rsa").signerInfos[0].signedAttributes?.map(\.type.description).sorted(),
                       ["1.2.840.113549.1.9.3", "1.2.840.113549.1.9.4", "1.2.840.113549.1.9.5", "1.2.840.113549.1.9.52"])
        XCTAssertEqual(try structure("bc-b-rsa").signerInfos[0].digestAlgorithm.parameters?.identifier, .null, "case B: sha256 with NULL")
        XCTAssertGreaterThan(sig("py-c-net").count, 2400, "RSA-4096 signatures make a long header (§8.21)")
    }

    /// PROTOCOL.md §6.6: the structural and cryptographic rejections, each for the reason the log names.
    func testRequiredRejectionCasesSection66() {
        func reason(_ name: String, legacy: Bool = true) -> BatchSignatureError? {
            do { _ = try verify(name, legacy: legacy); return nil } catch { return error as? BatchSignatureError }
        }
        func isMalformed(_ e: BatchSignatureError?) -> Bool { if case .malformed = e { return true }; return false }
        func isWrong(_ e: BatchSignatureError?) -> Bool { if case .wrongSignature = e { return true }; return false }
        XCTAssertEqual(reason("openssl-two-signers"), .signerCount(2))
        XCTAssertEqual(reason("rej-zero-signers"), .signerCount(0))
        XCTAssertEqual(reason("openssl-nocerts"), .noSignerCertificate)
        XCTAssertEqual(reason("rej-sid-unmatched"), .noSignerCertificate)
        for name in ["openssl-enveloped", "rej-econtenttype", "rej-md5", "rej-md5-rsa", "rej-unknown-sigalg", "rej-ecdsa-oid-rsa-key",
                     "rej-rsa-oid-ec-key", "rej-no-contenttype", "rej-contenttype-signeddata", "rej-algprot-mismatch"] {
            XCTAssertTrue(isMalformed(reason(name)), "\(name): \(String(describing: reason(name)))")
        }
        for name in ["rej-md-mismatch", "rej-attached-different", "rej-bad-signature", "openssl-other-content"] {
            XCTAssertTrue(isWrong(reason(name)), "\(name): \(String(describing: reason(name)))")
        }
        guard case .signingTimeOutsideValidity = reason("rej-signingtime-outside") else { return XCTFail("signingTime outside validity") }
        for name in ["rej-signer-expired", "rej-signer-not-yet-valid"] {
            guard case .certificateNotValidNow = reason(name) else { return XCTFail("\(name): \(String(describing: reason(name)))") }
        }
        // the same SHA-1 producers are refused while the legacy option is off
        for name in ["openssl-rsa-sha1", "openssl-ec-sha1", "py-e-rsa", "py-e-ec", "py-f", "bc-h-sha1"] {
            guard case .legacySha1Rejected = reason(name, legacy: false) else { return XCTFail(name) }
        }
        // Base64 rules (§6.1.1): empty, garbage, URL-safe, whitespace or line breaks
        let v = BatchSignatureVerifier(allowLegacySha1: false)
        let good = sig("bc-a-rsa")
        XCTAssertNoThrow(try v.verify(batchSignature: good, stream: stream, now: Date()))
        XCTAssertNoThrow(try v.verify(batchSignature: good.replacingOccurrences(of: "=", with: ""), stream: stream, now: Date()), "padding optional")
        let head = String(good.prefix(40)), tail = String(good.dropFirst(40))
        let urlSafe = good.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        var bads: [String] = ["", "garbage!", urlSafe, " " + good, good + " "]
        for separator in ["\n", "\r\n", " ", "\t"] { bads.append(head + separator + tail) }
        for bad in bads where bad != good {
            XCTAssertThrowsError(try v.verify(batchSignature: bad, stream: stream, now: Date()), bad.prefix(20).description)
        }
        // §3.3 V2: the signature of one order does not verify another order of the same records
        XCTAssertThrowsError(try v.verify(batchSignature: good, stream: Array(stream.reversed()), now: Date()))
    }

    /// Thousands of mutated signatures (bit flips, truncations, insertions in the BER and DER encodings) are
    /// refused with a `BatchSignatureError`, never a crash; a mutation that still verifies can only be one that
    /// leaves the signed bytes, the signer key and the signature intact.
    func testMutatedSignaturesNeverCrash() throws {
        var rng = SeededGenerator(seed: 0x6C50E847)
        for name in ["bc-a-rsa", "py-c-net", "openssl-ec-attrs"] {
            let der = Base64.decodeStrict(sig(name))!
            var refused = 0
            for _ in 0..<1500 {
                do {
                    _ = try BatchSignatureVerifier(allowLegacySha1: true).verify(batchSignature: Base64.encodeString(mutate(der, &rng)), stream: stream, now: Date())
                } catch is BatchSignatureError {
                    refused += 1
                }
            }
            XCTAssertGreaterThan(refused, 1350, name)
        }
    }

    func testSwiftCertificatesSignerRoundTripsRSAAndEC() throws {
        for kind in [CertificateFactory.KeyKind.rsa3072, .p256] {
            let issued = try CertificateFactory.selfSigned(country: "FR", commonName: "signer", key: kind)
            let signer = try BatchSigner(certificate: issued.certificate, privateKey: issued.privateKey)
            for signingTime in [Date(), nil] as [Date?] {
                let s = try signer.sign(stream: stream, signingTime: signingTime)
                let v = try BatchSignatureVerifier(allowLegacySha1: false).verify(batchSignature: s, stream: stream, now: Date())
                XCTAssertEqual(v.signer.thumbprint, issued.thumbprint)
                XCTAssertThrowsError(try BatchSignatureVerifier(allowLegacySha1: false).verify(batchSignature: s, stream: tampered, now: Date()))
            }
        }
    }

    func testSigningTimeOutsideValidityIsRejected() throws {
        let issued = try CertificateFactory.selfSigned(country: "FR", commonName: "signer", key: .p256)
        let s = try BatchSigner(certificate: issued.certificate, privateKey: issued.privateKey).sign(stream: stream, signingTime: Date().addingTimeInterval(-30 * 86_400))
        XCTAssertThrowsError(try BatchSignatureVerifier(allowLegacySha1: false).verify(batchSignature: s, stream: stream, now: Date())) { e in
            guard case .signingTimeOutsideValidity = e as? BatchSignatureError else { return XCTFail("\(e)") }
        }
    }
}

final class TrustAnchorTests: XCTestCase {
    /// The operator signature equals what `openssl dgst -sha256 -verify` accepts (checked with the real CLI).
    func testOperatorSignatureVerifiesWithOpenSSLAndIntegrity() throws {
        let ta = try CertificateFactory.selfSigned(country: nil, commonName: "TA", key: .rsa3072)
        let anchor = try TrustAnchor(pem: ta.certificatePEM)
        let signer = try OperatorSigner(pem: ta.privateKeyPEM)
        let cert = try CertificateFactory.selfSigned(country: "DE", commonName: "auth", key: .p256)
        let sig = try signer.sign(cert.certificatePEM)
        let row = CertificateRowContent(thumbprint: cert.thumbprint, country: "DE", pem: cert.certificatePEM, operatorSignature: sig)
        XCTAssertNoThrow(try anchor.checkIntegrity(of: row))
        var r = row; r.country = "FR"
        XCTAssertThrowsError(try anchor.checkIntegrity(of: r)) { XCTAssertEqual($0 as? IntegrityFailure, .countryMismatch) }
        r = row; r.thumbprint = String(repeating: "0", count: 64)
        XCTAssertThrowsError(try anchor.checkIntegrity(of: r)) { XCTAssertEqual($0 as? IntegrityFailure, .thumbprintMismatch) }
        r = row; r.pem = row.pem.replacingOccurrences(of: "\n", with: "\r\n")
        XCTAssertThrowsError(try anchor.checkIntegrity(of: r)) { XCTAssertEqual($0 as? IntegrityFailure, .notCanonicalOrUnparseable) }
        r = row; r.operatorSignature = try signer.sign(row.pem + " ")
        XCTAssertThrowsError(try anchor.checkIntegrity(of: r)) { XCTAssertEqual($0 as? IntegrityFailure, .badOperatorSignature) }

        // independent check with the OpenSSL CLI
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("efgs-ta-\(UUID())")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        try cert.certificatePEM.write(to: tmp.appendingPathComponent("cert.pem"), atomically: true, encoding: .utf8)
        try Data(Base64.decodeStrict(sig)!).write(to: tmp.appendingPathComponent("sig.bin"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "openssl x509 -in '\(tmp.path)/ta.pem' -noout 2>/dev/null; printf '%s' \"$TA\" > '\(tmp.path)/ta.pem' && openssl x509 -in '\(tmp.path)/ta.pem' -pubkey -noout > '\(tmp.path)/ta.pub' && openssl dgst -sha256 -verify '\(tmp.path)/ta.pub' -signature '\(tmp.path)/sig.bin' '\(tmp.path)/cert.pem'"]
        p.environment = ["TA": ta.certificatePEM, "PATH": "/usr/bin:/bin"]
        let out = Pipe(); p.standardOutput = out; p.standardError = out
        try p.run(); p.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("Verified OK"), text)
    }

    func testCanonicalPEM() throws {
        let c = try CertificateFactory.selfSigned(country: "DE", commonName: "x", key: .p256)
        XCTAssertEqual(CanonicalPEM.canonicalDER(c.certificatePEM), c.der)
        XCTAssertTrue(c.certificatePEM.split(separator: "\n").dropFirst().dropLast().dropLast().allSatisfy { $0.count == 64 })
        XCTAssertNil(CanonicalPEM.canonicalDER(c.certificatePEM + "\n"))
        XCTAssertEqual(CanonicalPEM.firstCertificateDER(in: "junk\n" + c.certificatePEM.replacingOccurrences(of: "\n", with: "\r\n ")), c.der)
    }
}

