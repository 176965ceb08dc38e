import EFGSCrypto
import EFGSProtocol
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
    var tampered: [UInt8] { var t = stream; t[3] ^= 1; return t }

    /// Every acceptance vector verifies, and fails when any byte of the stream changes.
    func testAcceptedProducers() throws {
        for name in ["openssl-rsa-attrs", "openssl-rsa-noattr", "openssl-ec-attrs", "openssl-ec-noattr", "openssl-rsa-pss",
                     "openssl-rsa-ski", "openssl-rsa-attached", "python-rsa", "python-rsa-noattr", "python-ec"] {
            XCTAssertNoThrow(try verify(name), name)
            XCTAssertThrowsError(try verify(name, stream: tampered), name)
            XCTAssertThrowsError(try verify(name, stream: stream + [0x2E]), name)
        }
        XCTAssertEqual(try verify("openssl-rsa-attrs").signer.countries, ["DE"])
    }

    func testLegacySha1NeedsTheOption() throws {
        for name in ["openssl-rsa-sha1", "openssl-ec-sha1"] {
            XCTAssertThrowsError(try verify(name)) { e in
                guard case .legacySha1Rejected = e as? BatchSignatureError else { return XCTFail("\(name): \(e)") }
            }
            XCTAssertTrue(try verify(name, legacy: true).usedLegacySha1)
            XCTAssertThrowsError(try verify(name, legacy: true, stream: tampered))
        }
    }

    func testRejections() {
        XCTAssertThrowsError(try verify("openssl-two-signers")) { XCTAssertEqual($0 as? BatchSignatureError, .signerCount(2)) }
        XCTAssertThrowsError(try verify("openssl-nocerts")) { XCTAssertEqual($0 as? BatchSignatureError, .noSignerCertificate) }
        XCTAssertThrowsError(try verify("openssl-enveloped")) { e in guard case .malformed = e as? BatchSignatureError else { return XCTFail("\(e)") } }
        XCTAssertThrowsError(try verify("openssl-other-content"))
        let v = BatchSignatureVerifier(allowLegacySha1: false)
        let good = sig("openssl-rsa-attrs")
        for bad in ["", "garbage", good.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"),
                    String(good.prefix(40)) + "\n" + String(good.dropFirst(40)), " " + good] where bad != good {
            XCTAssertThrowsError(try v.verify(batchSignature: bad, stream: stream, now: Date()), bad.prefix(20).description)
        }
        // the signature of another stream order (§3.3 V2): wrong order must fail
        XCTAssertThrowsError(try v.verify(batchSignature: good, stream: Array(stream.reversed()), now: Date()))
        // signer expired by the time of verification
        XCTAssertThrowsError(try v.verify(batchSignature: good, stream: stream, now: Date().addingTimeInterval(20 * 365 * 86_400))) { e in
            guard case .certificateNotValidNow = e as? BatchSignatureError else { return XCTFail("\(e)") }
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
