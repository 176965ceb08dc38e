// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSGateway
import FuzzSupport

/// The certificate header of authentication mode b (PROTOCOL.md §4.1): percent-encoded PEM or bare Base64 DER,
/// read by `Authenticator.proxyCertificate(header:)`, the call the authenticator makes; a certificate it returns
/// gives its thumbprint, countries and subject as the authenticator reads them. Also the DER itself: the input
/// Base64-encoded as a header.
enum CertificateHeaderTarget {
    static func test(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        for header in [text, CanonicalPEM.encode(der: bytes)] {
            guard let facts = Authenticator.proxyCertificate(header: header) else { continue }
            _ = (facts.thumbprint, facts.countries, facts.subjectText, facts.notBefore, facts.notAfter)
        }
    }
}

/// libFuzzer's callback: one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    CertificateHeaderTarget.test(Fuzz.bytes(data, size))
    return 0
}

/// The program's entry (SwiftPM links `main` to `<module>_main`): libFuzzer's driver.
@_cdecl("FuzzCertificateHeader_main")
public func programMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.run(argc, argv, testOneInput)
}
