// SPDX-License-Identifier: EUPL-1.2

import EFGSClient
import EFGSCrypto
import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

/// `AuditVerifier` (PROTOCOL.md §7.4) on entries made the way the gateway makes them: slices by `amount`, both
/// operator signatures, the batch signature and the signer, the keys' origin.
final class AuditVerifierTests: XCTestCase {
    struct Upload {
        var keys: [DiagnosisKey]
        var entry: AuditEntry
    }

    let anchorIssued = try! CertificateFactory.selfSigned(country: nil, commonName: "TA", key: .p256)

    func upload(_ country: String, keys count: Int) throws -> Upload {
        let operatorSigner = try OperatorSigner(pem: anchorIssued.privateKeyPEM)
        let auth = try CertificateFactory.selfSigned(country: country, commonName: "auth-\(country)", key: .p256)
        let sign = try CertificateFactory.selfSigned(country: country, commonName: "sign-\(country)", key: .p256)
        let keys = SampleKeys.make(count, origin: country)
        let signature = try BatchSigner(certificate: sign.certificate, privateKey: sign.privateKey).sign(keys: keys)
        let entry = AuditEntry(
            country: country, uploadedTime: "2024-01-01T00:00:00.000Z", uploaderCertificate: auth.certificatePEM,
            uploaderThumbprint: auth.thumbprint,
            uploaderOperatorSignature: try operatorSigner.sign(auth.certificatePEM),
            signingCertificate: sign.certificatePEM, uploaderSigningThumbprint: sign.thumbprint,
            signingCertificateOperatorSignature: try operatorSigner.sign(sign.certificatePEM), amount: count,
            batchSignature: signature)
        return Upload(keys: keys, entry: entry)
    }

    func testEveryEntryVerifies() throws {
        let uploads = [try upload("DE", keys: 3), try upload("FR", keys: 2)]
        let verifier = AuditVerifier(trustAnchor: try TrustAnchor(pem: anchorIssued.certificatePEM))
        let keys = uploads.flatMap(\.keys)
        let checks = verifier.check(keys: keys, entries: uploads.map(\.entry))
        XCTAssertEqual(checks.map(\.problem), [nil, nil])
        XCTAssertEqual(try verifier.verify(keys: keys, entries: uploads.map(\.entry)), 5)
    }

    func testEachTamperingIsReportedForItsEntry() throws {
        let uploads = [try upload("DE", keys: 3), try upload("FR", keys: 2)]
        let verifier = AuditVerifier(trustAnchor: try TrustAnchor(pem: anchorIssued.certificatePEM))
        let keys = uploads.flatMap(\.keys)
        var entries = uploads.map(\.entry)

        entries[1].signingCertificateOperatorSignature = entries[0].signingCertificateOperatorSignature
        XCTAssertEqual(
            verifier.check(keys: keys, entries: entries).map(\.problem),
            [nil, "operator signature of the signing certificate does not verify"])

        entries = uploads.map(\.entry)
        entries[0].amount = 2
        entries[1].amount = 3
        let shifted = verifier.check(keys: keys, entries: entries)
        XCTAssertTrue(shifted.allSatisfy { $0.problem?.hasPrefix("batch signature does not verify") == true })

        entries = uploads.map(\.entry)
        entries[0].uploaderSigningThumbprint = uploads[1].entry.uploaderSigningThumbprint
        XCTAssertEqual(
            verifier.check(keys: keys, entries: entries)[0].problem, "signer is not the audited signing certificate")

        entries = uploads.map(\.entry)
        let uncovered = verifier.check(keys: keys + SampleKeys.make(1, origin: "DE"), entries: entries)
        XCTAssertEqual(uncovered.last?.problem, "1 downloaded keys are not covered by the audit")

        let otherAnchor = try CertificateFactory.selfSigned(country: nil, commonName: "other", key: .p256)
        let stranger = AuditVerifier(trustAnchor: try TrustAnchor(pem: otherAnchor.certificatePEM))
        XCTAssertThrowsError(try stranger.verify(keys: keys, entries: uploads.map(\.entry))) { error in
            XCTAssertTrue("\(error)".contains("operator signature of the authentication certificate"), "\(error)")
        }
    }
}
