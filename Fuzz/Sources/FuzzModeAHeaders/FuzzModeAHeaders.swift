// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import FuzzSupport

/// The two headers of authentication mode a (PROTOCOL.md §4.2, §4.3): the input's first line is the
/// `X-SSL-Client-SHA256` value, the rest the `X-SSL-Client-DN` value; the whole input is also tried as each.
enum ModeAHeadersTarget {
    static func test(_ thumbprint: String, _ dn: String, whole: String) {
        for value in [thumbprint, whole] {
            if let t = Thumbprint.normalise(header: value) {
                guard t.utf8.count == 64,
                    t.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
                else { Fuzz.fail("normalised thumbprint is not 64 lower-case hex digits: \(t)") }
            }
        }
        for value in [dn, whole] {
            _ = DistinguishedNameText(header: value)?.countries
        }
    }
}

/// libFuzzer's callback: one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let (first, rest) = Fuzz.texts(data, size)
    ModeAHeadersTarget.test(first, rest, whole: Fuzz.text(data, size))
    return 0
}

/// The program's entry (SwiftPM links `main` to `<module>_main`): libFuzzer's driver.
@_cdecl("FuzzModeAHeaders_main")
public func programMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.run(argc, argv, testOneInput)
}
