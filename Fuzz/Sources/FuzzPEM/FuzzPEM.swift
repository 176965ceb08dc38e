// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import FuzzSupport

/// PEM text (operator input to `efgs cert import`/`cert sign`, trust anchors, stored rows of PROTOCOL.md §7.6):
/// `CanonicalPEM.canonicalDER` and `firstCertificateDER`, then the X.509 reading of what they return and the
/// trust-anchor reading. Canonical
/// PEM must encode back to itself.
enum PEMTarget {
    static func test(_ text: String) {
        if let der = CanonicalPEM.canonicalDER(text) {
            if CanonicalPEM.encode(der: der) != text { Fuzz.fail("canonical PEM does not encode to itself") }
            _ = try? CertificateFacts(der: der)
        }
        if let der = CanonicalPEM.firstCertificateDER(in: text), let facts = try? CertificateFacts(der: der) {
            _ = (facts.thumbprint, facts.countries, facts.subjectText)
            _ = try? TrustAnchor(pem: text)
        }
    }
}

/// libFuzzer's callback: one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    PEMTarget.test(Fuzz.text(data, size))
    return 0
}

/// The program's entry (SwiftPM links `main` to `<module>_main`): libFuzzer's driver.
@_cdecl("FuzzPEM_main")
public func programMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.run(argc, argv, testOneInput)
}
