// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSGateway
import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import XCTest

/// The operator's certificate decisions (`efgs cert import`, `cert revoke`, `cert list`, `country disconnect`) as
/// domain code: each refusal has its code and is made before anything is written.
final class CertificateRegistryTests: XCTestCase {
    func submission(
        _ f: Fixture, _ issued: CertificateFactory.Issued, country: String, type: CertificateType = .authentication,
        host: String? = nil, allowRSA2048: Bool = false, signature: String? = nil
    ) throws -> CertificateRegistry.Submission {
        let facts = try CertificateFacts(der: issued.der)
        return CertificateRegistry.Submission(
            facts: facts, type: type, country: country, host: host,
            operatorSignature: try signature ?? f.operatorSigner.sign(facts.canonicalPEM), allowRSA2048: allowRSA2048)
    }

    func testRefusalsCarryTheirCodeAndWriteNothing() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        let registry = f.services.certificateRegistry
        let rowsBefore = try await f.store.certificates(country: nil, type: nil).count
        let pl = try CertificateFactory.selfSigned(country: "PL", commonName: "auth-PL", key: .p256)
        let rsa2048 = try CertificateFactory.selfSigned(country: "PL", commonName: "old-PL", key: .rsa2048)
        let two = try CertificateFactory.selfSigned(
            country: "PL", commonName: "two", key: .p256, extraSubjectCountries: ["DE"])
        let expiring = try CertificateFactory.selfSigned(
            country: "PL", commonName: "soon", key: .p256, notAfter: Date().addingTimeInterval(30 * 86_400))
        let cases: [(CertificateRegistry.Submission, CertificateAdministrationError.Code, String)] = [
            (try submission(f, pl, country: "pl"), .invalidArgument, "two upper-case letters"),
            (try submission(f, pl, country: "PL", host: "x.pl"), .invalidArgument, "--host is for CALLBACK rows only"),
            (try submission(f, pl, country: "FR"), .onboardingReview, "exactly one C equal to FR"),
            (try submission(f, two, country: "PL"), .onboardingReview, "exactly one C equal to PL"),
            (try submission(f, rsa2048, country: "PL"), .onboardingReview, "≥ 3072 bits"),
            (try submission(f, pl, country: "PL", signature: "AAAA"), .integrity, "fails the integrity check"),
            (
                try submission(f, f.countries["DE"]!.auth, country: "DE"), .duplicate,
                "exists already"
            ),
        ]
        for (submission, code, text) in cases {
            do {
                _ = try await registry.register(submission)
                XCTFail("accepted: \(text)")
            } catch let error as CertificateAdministrationError {
                XCTAssertEqual(error.code, code, error.reason)
                XCTAssertTrue(error.reason.contains(text), error.reason)
            }
        }
        try await assertEq(try await f.store.certificates(country: nil, type: nil).count, rowsBefore)

        let warned = try await registry.register(try submission(f, rsa2048, country: "PL", allowRSA2048: true))
        XCTAssertEqual(warned.warnings, ["RSA-2048 key accepted by override"])
        let soon = try await registry.register(try submission(f, expiring, country: "PL", type: .signing))
        XCTAssertTrue(soon.warnings[0].hasPrefix("certificate expires within 3 months"), "\(soon.warnings)")
        try await assertEq(try await registry.revoke(thumbprint: soon.row.thumbprint.uppercased(), type: .signing), 1)
        let trail = try await f.services.operatorAudit.events(since: .distantPast, country: nil)
        XCTAssertEqual(trail.count, cases.count + 3, "every refusal after the store opened, both imports, the revoke")
        XCTAssertEqual(trail.last?.command, "cert revoke")
        XCTAssertEqual(trail.last?.outcome, "revoked 1 row(s)")
        XCTAssertTrue(f.lines.contains { $0.contains(#"class="OperatorAudit""#) && $0.contains("cert import") })
        let rows = try await registry.rows()
        XCTAssertEqual(rows.count, rowsBefore + 2)
        XCTAssertTrue(rows.allSatisfy { (try? $0.integrity.get()) != nil })
    }

    func testDisconnectRefusesAnInvalidCountryCode() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        do {
            _ = try await f.services.offboarding.disconnect(country: "de", reason: "test")
            XCTFail("lower-case country accepted")
        } catch let error as CertificateAdministrationError {
            XCTAssertEqual(error.code, .invalidArgument)
        }
        let countries = try await f.services.countries.list()
        XCTAssertTrue(countries.allSatisfy(\.connected))
    }
}
