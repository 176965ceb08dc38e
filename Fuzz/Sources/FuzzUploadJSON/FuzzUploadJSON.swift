// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import Foundation
import FuzzSupport

/// An upload body in `application/json` (PROTOCOL.md §2.2, §2.3) through `WireFormat.decodeKeys`, then the
/// per-key validation. The exact JSON the gateway writes for the decoded keys must read back to the same output.
enum UploadJSONTarget {
    static let validator = KeyValidator(now: Date(timeIntervalSince1970: 1_811_808_000))

    static func test(_ body: [UInt8]) {
        guard let keys = try? WireFormat.json.decodeKeys(body, maxKeys: 5000) else { return }
        _ = validator.firstFailure(in: keys)
        let encoded = WireFormat.json.encodeKeys(keys)
        guard let again = try? WireFormat.json.decodeKeys(encoded), WireFormat.json.encodeKeys(again) == encoded
        else {
            Fuzz.fail("JSON output of decoded keys is not valid input: \(String(decoding: encoded, as: UTF8.self))")
        }
    }
}

/// libFuzzer's callback: one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    UploadJSONTarget.test(Fuzz.bytes(data, size))
    return 0
}

/// The program's entry (SwiftPM links `main` to `<module>_main`): libFuzzer's driver.
@_cdecl("FuzzUploadJSON_main")
public func programMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.run(argc, argv, testOneInput)
}
