// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import Foundation
import FuzzSupport

/// An upload body in `application/protobuf` (PROTOCOL.md §2.1) through `WireFormat.decodeKeys`, the call the
/// upload handler makes, then the per-key validation. The keys of a body that decodes must encode to bytes that
/// decode and encode to the same bytes again.
enum ProtobufBatchTarget {
    static let validator = KeyValidator(now: Date(timeIntervalSince1970: 1_811_808_000))

    static func test(_ body: [UInt8]) {
        guard let keys = try? WireFormat.protobuf.decodeKeys(body, maxKeys: 5000) else { return }
        _ = validator.firstFailure(in: keys)
        let encoded = WireFormat.protobuf.encodeKeys(keys)
        guard let again = try? WireFormat.protobuf.decodeKeys(encoded),
            WireFormat.protobuf.encodeKeys(again) == encoded
        else { Fuzz.fail("protobuf keys do not survive encode and decode") }
    }
}

/// libFuzzer's callback: one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ProtobufBatchTarget.test(Fuzz.bytes(data, size))
    return 0
}

/// The program's entry (SwiftPM links `main` to `<module>_main`): libFuzzer's driver.
@_cdecl("FuzzProtobufBatch_main")
public func programMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.run(argc, argv, testOneInput)
}
