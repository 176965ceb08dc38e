// SPDX-License-Identifier: EUPL-1.2

import Foundation
import XCTest

@testable import EFGSCrypto

/// PKCS#12 files made by independent producers (OpenSSL CLI 3.x, Python `cryptography`; `tools/vectors/pkcs12.sh`,
/// each file's command in its `.cmd`): the certificate comes out byte for byte as in `cert.pem`.
final class PKCS12Tests: XCTestCase {
    let dir = Bundle.module.url(forResource: "Vectors", withExtension: nil)!.appendingPathComponent("pkcs12")

    func file(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: dir.appendingPathComponent(name))) }

    func der(_ pem: String) throws -> [UInt8] {
        try XCTUnwrap(CanonicalPEM.firstCertificateDER(in: String(decoding: try file(pem), as: UTF8.self)))
    }

    func testCertificateOnlyFilesOfEveryProducer() throws {
        let cert = try der("cert.pem")
        for (name, password) in [
            ("openssl-default.p12", "Vector-Pass-1"),
            ("openssl-aes128-sha1.p12", "Vector-Pass-1"),
            ("openssl-unencrypted.p12", "Vector-Pass-1"),
            ("openssl-unicode-pass.p12", "Pässwörd-€"),
            ("python-cryptography.p12", "Vector-Pass-1"),
        ] {
            XCTAssertEqual(try PKCS12Certificates.certificates(in: try file(name), password: password), [cert], name)
        }
        XCTAssertEqual(
            try PKCS12Certificates.certificates(
                in: try file("openssl-two-certs.p12"),
                password: "Vector-Pass-1"),
            [cert, try der("ca.pem")])
    }

    func testRefusals() throws {
        func failure(_ name: String, _ password: String) -> PKCS12Certificates.Failure? {
            do {
                _ = try PKCS12Certificates.certificates(in: try file(name), password: password)
                return nil
            } catch {
                return error as? PKCS12Certificates.Failure
            }
        }
        XCTAssertEqual(failure("openssl-default.p12", "wrong"), .wrongPassword)
        XCTAssertEqual(failure("openssl-unicode-pass.p12", "Passwort-EUR"), .wrongPassword)
        XCTAssertEqual(failure("openssl-unencrypted.p12", ""), .wrongPassword, "the MAC protects unencrypted files too")
        XCTAssertEqual(failure("openssl-with-key.p12", "Vector-Pass-1"), .holdsPrivateKey)
        guard case .unsupported(let what) = failure("openssl-3des.p12", "Vector-Pass-1") else {
            return XCTFail("3DES accepted")
        }
        XCTAssertTrue(what.contains("legacy encryption"), what)
        // a PEM file, garbage, and every truncation of a valid file: a clear error, never a crash
        XCTAssertNotNil(failure("cert.pem", "x"))
        let valid = try file("openssl-default.p12")
        for cut in stride(from: 0, to: valid.count, by: 7) {
            XCTAssertThrowsError(
                try PKCS12Certificates.certificates(
                    in: Array(valid.prefix(cut)),
                    password: "Vector-Pass-1"))
        }
        // one flipped byte anywhere: never a silently wrong certificate
        let cert = try der("cert.pem")
        for i in stride(from: 0, to: valid.count, by: 5) {
            var m = valid
            m[i] ^= 0x01
            if let certs = try? PKCS12Certificates.certificates(in: m, password: "Vector-Pass-1") {
                XCTAssertEqual(certs, [cert], "byte \(i)")
            }
        }
    }

    /// RFC 7292 Appendix B.2 key derivation against OpenSSL's PKCS12KDF (the password given BMP-encoded):
    ///
    ///     openssl kdf -keylen 48 -kdfopt digest:SHA256 -kdfopt hexpass:<BMP of Vector-Pass-1> \
    ///         -kdfopt hexsalt:0102030405060708 -kdfopt iter:2048 -kdfopt id:3 PKCS12KDF
    ///     openssl kdf -keylen 50 -kdfopt digest:SHA1 -kdfopt hexpass:<same> \
    ///         -kdfopt hexsalt:a1a2a3a4a5a6a7a8a9 -kdfopt iter:3 -kdfopt id:1 PKCS12KDF
    ///
    /// (longer than one digest output, so the block update of the KDF is exercised).
    func testPKCS12KDFAgainstOpenSSL() throws {
        let bmp = PKCS12Certificates.bmpPassword("Vector-Pass-1")
        XCTAssertEqual(hex(bmp), "0056006500630074006f0072002d0050006100730073002d00310000")
        XCTAssertEqual(
            hex(
                PKCS12Certificates.pkcs12KDF(
                    .sha256, password: bmp, salt: [1, 2, 3, 4, 5, 6, 7, 8], id: 3,
                    iterations: 2048, length: 48)),
            "6aab850aba26a07138415415030"
                + "39b6d9e019b59a3c1a5c55652e5129bf7bb81f2f0cc84bd9347e198acdeeb25e016b2")
        let salt: [UInt8] = [0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9]
        XCTAssertEqual(
            hex(
                PKCS12Certificates.pkcs12KDF(
                    .sha1, password: bmp, salt: salt, id: 1, iterations: 3,
                    length: 50)),
            "d83b0fe99ca9115b0217ff115aca008c9f84e6b59043ad8f7e8dd376f03d6e14"
                + "d653cbcb67bb03cc35ec3d57dede3902490f")
        XCTAssertEqual(PKCS12Certificates.bmpPassword("Aé"), [0x00, 0x41, 0x00, 0xE9, 0x00, 0x00])
    }

    func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }
}
