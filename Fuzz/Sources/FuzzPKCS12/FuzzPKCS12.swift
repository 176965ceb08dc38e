// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import FuzzSupport

/// A PKCS#12 file (operator input to `efgs cert import --pkcs12`, `cert sign --pkcs12`):
/// `PKCS12Certificates.certificates(in:password:)` with the vectors' password, then the X.509 reading of every
/// certificate it returns. A mutated file mostly stops at the MAC; the PFX, MacData and KDF parameters are read
/// before it.
enum PKCS12Target {
    /// `tools/vectors/pkcs12.sh`'s password.
    static let password = "Vector-Pass-1"

    static func test(_ bytes: [UInt8]) {
        guard let certificates = try? PKCS12Certificates.certificates(in: bytes, password: password) else { return }
        if certificates.isEmpty { Fuzz.fail("PKCS#12 read returned no certificate instead of throwing") }
        for der in certificates { _ = try? CertificateFacts(der: der) }
    }
}

/// libFuzzer's callback: one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    PKCS12Target.test(Fuzz.bytes(data, size))
    return 0
}

/// The program's entry (SwiftPM links `main` to `<module>_main`): libFuzzer's driver.
@_cdecl("FuzzPKCS12_main")
public func programMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.run(argc, argv, testOneInput)
}
