// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSTestSupport
import Foundation
import X509
import XCTest

@testable import EFGSCrypto

final class CMSVectorTests: XCTestCase {
    let dir = Bundle.module.url(forResource: "Vectors", withExtension: nil)!
    lazy var stream: [UInt8] = Array(try! Data(contentsOf: dir.appendingPathComponent("stream.bin")))

    func sig(_ name: String) -> String {
        try! String(contentsOf: dir.appendingPathComponent(name + ".b64"), encoding: .utf8)
    }

    func verify(_ name: String, legacy: Bool = false, stream s: [UInt8]? = nil) throws -> VerifiedBatchSignature {
        try BatchSignatureVerifier(allowLegacySha1: legacy).verify(
            batchSignature: sig(name), stream: s ?? stream,
            now: Date())
    }

    func structure(_ name: String) throws -> SignedDataValue {
        try SignedDataValue(contentInfo: Base64.decodeStrict(sig(name))!)
    }

    var tampered: [UInt8] {
        var t = stream
        t[3] ^= 1
        return t
    }

    /// Streams that differ from the signed one: a flipped bit, an extra byte, a missing record byte, another key.
    var alteredStreams: [[UInt8]] {
        var other = stream
        other[1] = other[1] == 0x41 ? 0x42 : 0x41
        return [tampered, stream + [0x2E], Array(stream.dropLast()), other, stream + stream]
    }

    static let sha1 = "1.3.14.3.2.26"
    static let sha256 = "2.16.840.1.101.3.4.2.1"

    /// PROTOCOL.md §6.5: every required case, from an independent producer (BouncyCastle Java, OpenSSL CLI, Python
    /// cryptography/asn1crypto — see each vector's `.cmd`), verifies with the algorithms of its row and fails when
    /// any byte of the stream changes. SHA-1 rows verify only with the legacy option.
    func testRequiredAcceptanceCasesSection65() throws {
        let cases: [(name: String, legacy: Bool, digest: String, signature: String)] = [
            ("bc-a-rsa", false, Self.sha256, "1.2.840.113549.1.1.11"),  // A-RSA, BouncyCastle defaults, BER
            ("bc-a-ec", false, Self.sha256, "1.2.840.10045.4.3.2"),  // A-EC
            ("bc-b-rsa", false, Self.sha256, "1.2.840.113549.1.1.1"),  // B, sha256+NULL, rsaEncryption+NULL
            ("py-c-net", false, Self.sha256, "1.2.840.113549.1.1.1"),  // C, RSA-4096, no attributes, DER
            ("py-e-rsa", true, Self.sha1, "1.2.840.113549.1.1.5"),  // E, Go pkcs7 shape
            ("py-e-ec", true, Self.sha1, "1.2.840.10045.4.1"),  // E with EC
            ("py-f", true, Self.sha256, "1.2.840.113549.1.1.5"),  // F, SHA1withRSA over a SHA-256 messageDigest
            ("bc-h-sha1", true, Self.sha1, "1.2.840.113549.1.1.1"),  // H, SHA-1 with bare rsaEncryption
            ("bc-pss", false, Self.sha256, "1.2.840.113549.1.1.10"),  // PSS, salt 32
            ("openssl-rsa-pss", false, Self.sha256, "1.2.840.113549.1.1.10"),
            ("bc-ski", false, Self.sha256, "1.2.840.113549.1.1.11"),  // SKI SID
            ("openssl-rsa-ski", false, Self.sha256, "1.2.840.113549.1.1.1"),
            ("bc-attached", false, Self.sha256, "1.2.840.113549.1.1.11"),  // attached eContent = stream
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
            do {
                v = try verify(c.name, legacy: c.legacy)
            } catch {
                XCTFail("\(c.name): \(error)")
                continue
            }
            XCTAssertEqual(v.digestAlgorithm, c.digest, c.name)
            XCTAssertEqual(v.signatureAlgorithm, c.signature, c.name)
            XCTAssertEqual(v.usedLegacySha1, c.legacy, c.name)
            XCTAssertEqual(v.signer.countries, ["DE"], c.name)
            for altered in alteredStreams {
                XCTAssertThrowsError(try verify(c.name, legacy: true, stream: altered), c.name)
            }
            if c.legacy {
                XCTAssertThrowsError(try verify(c.name)) { e in
                    guard case .legacySha1Rejected = e as? BatchSignatureError else {
                        return XCTFail("\(c.name): \(e)")
                    }
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
        guard case .subjectKeyIdentifier = try structure("bc-ski").signerInfos[0].sid else {
            return XCTFail("bc-ski has an SKI SID")
        }
        guard case .subjectKeyIdentifier = try structure("openssl-rsa-ski").signerInfos[0].sid else {
            return XCTFail("openssl-rsa-ski has an SKI SID")
        }
        XCTAssertEqual(try structure("bc-attached").eContent, stream)
        XCTAssertNil(try structure("bc-a-rsa").eContent)
        XCTAssertNil(try structure("py-c-net").signerInfos[0].signedAttributes, "case C has no signed attributes")
        XCTAssertEqual(
            try structure("bc-a-rsa").signerInfos[0].signedAttributes?.map(\.type.description).sorted(),
            [
                "1.2.840.113549.1.9.3", "1.2.840.113549.1.9.4", "1.2.840.113549.1.9.5",
                "1.2.840.113549.1.9.52",
            ])
        XCTAssertEqual(
            try structure("bc-b-rsa").signerInfos[0].digestAlgorithm.parameters?.identifier, .null,
            "case B: sha256 with NULL")
        XCTAssertGreaterThan(sig("py-c-net").count, 2400, "RSA-4096 signatures make a long header (§8.21)")
    }

    /// PROTOCOL.md §6.6: the structural and cryptographic rejections, each for the reason the log names.
    func testRequiredRejectionCasesSection66() {
        func reason(_ name: String, legacy: Bool = true) -> BatchSignatureError? {
            do {
                _ = try verify(name, legacy: legacy)
                return nil
            } catch {
                return error as? BatchSignatureError
            }
        }
        func isMalformed(_ e: BatchSignatureError?) -> Bool {
            if case .malformed = e { return true }
            return false
        }
        func isWrong(_ e: BatchSignatureError?) -> Bool {
            if case .wrongSignature = e { return true }
            return false
        }
        XCTAssertEqual(reason("openssl-two-signers"), .signerCount(2))
        XCTAssertEqual(reason("rej-zero-signers"), .signerCount(0))
        XCTAssertEqual(reason("openssl-nocerts"), .noSignerCertificate)
        XCTAssertEqual(reason("rej-sid-unmatched"), .noSignerCertificate)
        for name in [
            "openssl-enveloped", "rej-econtenttype", "rej-md5", "rej-md5-rsa", "rej-unknown-sigalg",
            "rej-ecdsa-oid-rsa-key", "rej-rsa-oid-ec-key", "rej-no-contenttype", "rej-contenttype-signeddata",
            "rej-algprot-mismatch",
        ] {
            XCTAssertTrue(isMalformed(reason(name)), "\(name): \(String(describing: reason(name)))")
        }
        for name in ["rej-md-mismatch", "rej-attached-different", "rej-bad-signature", "openssl-other-content"] {
            XCTAssertTrue(isWrong(reason(name)), "\(name): \(String(describing: reason(name)))")
        }
        guard case .signingTimeOutsideValidity = reason("rej-signingtime-outside") else {
            return XCTFail("signingTime outside validity")
        }
        for name in ["rej-signer-expired", "rej-signer-not-yet-valid"] {
            guard case .certificateNotValidNow = reason(name) else {
                return XCTFail("\(name): \(String(describing: reason(name)))")
            }
        }
        // the same SHA-1 producers are refused while the legacy option is off
        for name in ["openssl-rsa-sha1", "openssl-ec-sha1", "py-e-rsa", "py-e-ec", "py-f", "bc-h-sha1"] {
            guard case .legacySha1Rejected = reason(name, legacy: false) else { return XCTFail(name) }
        }
        // Base64 rules (§6.1.1): empty, garbage, URL-safe, whitespace or line breaks
        let v = BatchSignatureVerifier(allowLegacySha1: false)
        let good = sig("bc-a-rsa")
        XCTAssertNoThrow(try v.verify(batchSignature: good, stream: stream, now: Date()))
        XCTAssertNoThrow(
            try v.verify(
                batchSignature: good.replacingOccurrences(of: "=", with: ""), stream: stream,
                now: Date()), "padding optional")
        let head = String(good.prefix(40))
        let tail = String(good.dropFirst(40))
        let urlSafe = good.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        var bads: [String] = ["", "garbage!", urlSafe, " " + good, good + " "]
        for separator in ["\n", "\r\n", " ", "\t"] { bads.append(head + separator + tail) }
        for bad in bads where bad != good {
            XCTAssertThrowsError(
                try v.verify(batchSignature: bad, stream: stream, now: Date()),
                bad.prefix(20).description)
        }
        // §3.3 V2: the signature of one order does not verify another order of the same records
        XCTAssertThrowsError(try v.verify(batchSignature: good, stream: Array(stream.reversed()), now: Date()))
    }

    /// Thousands of mutated signatures (bit flips, truncations, insertions in the BER and DER encodings) are
    /// refused with a `BatchSignatureError`, never a crash; a mutation that still verifies can only be one that
    /// leaves the signed bytes, the signer key and the signature intact.
    func testMutatedSignaturesNeverCrash() throws {
        var rng = SeededGenerator(seed: 0x6C50_E847)
        for name in ["bc-a-rsa", "py-c-net", "openssl-ec-attrs"] {
            let der = Base64.decodeStrict(sig(name))!
            var refused = 0
            for _ in 0..<1500 {
                do {
                    _ = try BatchSignatureVerifier(allowLegacySha1: true).verify(
                        batchSignature: Base64.encodeString(mutate(der, &rng)), stream: stream, now: Date())
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
                let verifier = BatchSignatureVerifier(allowLegacySha1: false)
                let v = try verifier.verify(batchSignature: s, stream: stream, now: Date())
                XCTAssertEqual(v.signer.thumbprint, issued.thumbprint)
                XCTAssertThrowsError(try verifier.verify(batchSignature: s, stream: tampered, now: Date()))
            }
        }
    }

    func testSigningTimeOutsideValidityIsRejected() throws {
        let issued = try CertificateFactory.selfSigned(country: "FR", commonName: "signer", key: .p256)
        let s = try BatchSigner(certificate: issued.certificate, privateKey: issued.privateKey)
            .sign(stream: stream, signingTime: Date().addingTimeInterval(-30 * 86_400))
        let verifier = BatchSignatureVerifier(allowLegacySha1: false)
        XCTAssertThrowsError(try verifier.verify(batchSignature: s, stream: stream, now: Date())) { e in
            guard case .signingTimeOutsideValidity = e as? BatchSignatureError else { return XCTFail("\(e)") }
        }
    }
}
