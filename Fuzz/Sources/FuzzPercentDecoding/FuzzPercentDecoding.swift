// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import FuzzSupport

/// `%XX` decoding (PROTOCOL.md §4.2, §4.3, §5.1 path segments, §5.6 `url`) in both `+` modes, against
/// `PercentEncoding`: decoded bytes that are UTF-8, encoded and decoded again, are the same bytes.
enum PercentDecodingTarget {
    static func test(_ text: String) {
        for plusAsSpace in [false, true] {
            guard let bytes = PercentDecoding.decode(text, plusAsSpace: plusAsSpace) else { continue }
            if bytes.count > text.utf8.count { Fuzz.fail("decoding made the text longer") }
            guard let decodedText = String(validating: bytes, as: UTF8.self) else { continue }
            let encoded = PercentEncoding.encode(decodedText)
            guard PercentDecoding.decode(encoded, plusAsSpace: false) == bytes else {
                Fuzz.fail("percent encoding of \(bytes) does not decode back")
            }
        }
    }
}

/// libFuzzer's callback: one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    PercentDecodingTarget.test(Fuzz.text(data, size))
    return 0
}

/// The program's entry (SwiftPM links `main` to `<module>_main`): libFuzzer's driver.
@_cdecl("FuzzPercentDecoding_main")
public func programMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.run(argc, argv, testOneInput)
}
