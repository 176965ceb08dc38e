// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import Foundation
import XCTest

@testable import EFGSCrypto

final class TrustAnchorTests: XCTestCase {
    /// The operator signature equals what `openssl dgst -sha256 -verify` accepts (checked with the real CLI).
    func testOperatorSignatureVerifiesWithOpenSSLAndIntegrity() throws {
        let ta = try CertificateFactory.selfSigned(country: nil, commonName: "TA", key: .rsa3072)
        let anchor = try TrustAnchor(pem: ta.certificatePEM)
        let signer = try OperatorSigner(pem: ta.privateKeyPEM)
        let cert = try CertificateFactory.selfSigned(country: "DE", commonName: "auth", key: .p256)
        let sig = try signer.sign(cert.certificatePEM)
        let row = CertificateRowContent(
            thumbprint: cert.thumbprint, country: "DE", pem: cert.certificatePEM,
            operatorSignature: sig)
        XCTAssertNoThrow(try anchor.checkIntegrity(of: row))
        var r = row
        r.country = "FR"
        XCTAssertThrowsError(try anchor.checkIntegrity(of: r)) {
            XCTAssertEqual($0 as? IntegrityFailure, .countryMismatch)
        }
        r = row
        r.thumbprint = String(repeating: "0", count: 64)
        XCTAssertThrowsError(try anchor.checkIntegrity(of: r)) {
            XCTAssertEqual($0 as? IntegrityFailure, .thumbprintMismatch)
        }
        r = row
        r.pem = row.pem.replacingOccurrences(of: "\n", with: "\r\n")
        XCTAssertThrowsError(try anchor.checkIntegrity(of: r)) {
            XCTAssertEqual($0 as? IntegrityFailure, .notCanonicalOrUnparseable)
        }
        r = row
        r.operatorSignature = try signer.sign(row.pem + " ")
        XCTAssertThrowsError(try anchor.checkIntegrity(of: r)) {
            XCTAssertEqual($0 as? IntegrityFailure, .badOperatorSignature)
        }

        // independent check with the OpenSSL CLI
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("efgs-ta-\(UUID())")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        try cert.certificatePEM.write(to: tmp.appendingPathComponent("cert.pem"), atomically: true, encoding: .utf8)
        try Data(Base64.decodeStrict(sig)!).write(to: tmp.appendingPathComponent("sig.bin"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = [
            "-c",
            "openssl x509 -in '\(tmp.path)/ta.pem' -noout 2>/dev/null; "
                + "printf '%s' \"$TA\" > '\(tmp.path)/ta.pem' && "
                + "openssl x509 -in '\(tmp.path)/ta.pem' -pubkey -noout > '\(tmp.path)/ta.pub' && "
                + "openssl dgst -sha256 -verify '\(tmp.path)/ta.pub' "
                + "-signature '\(tmp.path)/sig.bin' '\(tmp.path)/cert.pem'",
        ]
        p.environment = ["TA": ta.certificatePEM, "PATH": "/usr/bin:/bin"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        p.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("Verified OK"), text)
    }

    func testCanonicalPEM() throws {
        let c = try CertificateFactory.selfSigned(country: "DE", commonName: "x", key: .p256)
        XCTAssertEqual(CanonicalPEM.canonicalDER(c.certificatePEM), c.der)
        XCTAssertTrue(
            c.certificatePEM.split(separator: "\n").dropFirst().dropLast().dropLast().allSatisfy {
                $0.count == 64
            })
        XCTAssertNil(CanonicalPEM.canonicalDER(c.certificatePEM + "\n"))
        let messy = "junk\n" + c.certificatePEM.replacingOccurrences(of: "\n", with: "\r\n ")
        XCTAssertEqual(CanonicalPEM.firstCertificateDER(in: messy), c.der)
    }
}
