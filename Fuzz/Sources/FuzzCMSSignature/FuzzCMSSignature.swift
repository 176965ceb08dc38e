// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import Foundation
import FuzzSupport

/// The detached batch signature of an upload (PROTOCOL.md §6): the input is the CMS `ContentInfo` (the
/// Base64-decoded `batchSignature`), verified over a fixed batch stream — the one the committed vectors sign, so
/// a seed reaches the signature and attribute checks.
enum CMSSignatureTarget {
    /// `Tests/EFGSCryptoTests/Vectors/stream.bin`: the batch stream of the two vector keys.
    static let stream = Array(
        "Dg8LDgwPDxAODwsODA8PEA==.AAAAAg==.AAAAAQ==.AAAAAw==.REUsRlIsUEw=.REU=.AAAAAg==.AAAAKg==.".utf8)
    /// Inside the vectors' signer certificates' validity (2026-11-23 … 2036-11-20): 2027-06-01.
    static let now = Date(timeIntervalSince1970: 1_811_808_000)

    static func test(_ der: [UInt8]) {
        let signature = Base64.encodeString(der)
        for legacy in [true, false] {
            _ = try? BatchSignatureVerifier(allowLegacySha1: legacy).verify(
                batchSignature: signature, stream: stream, now: now)
        }
    }
}

/// libFuzzer's callback: one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    CMSSignatureTarget.test(Fuzz.bytes(data, size))
    return 0
}

/// The program's entry (SwiftPM links `main` to `<module>_main`): libFuzzer's driver.
@_cdecl("FuzzCMSSignature_main")
public func programMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.run(argc, argv, testOneInput)
}
