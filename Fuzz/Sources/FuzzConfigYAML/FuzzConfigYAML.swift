// SPDX-License-Identifier: EUPL-1.2

import EFGSGateway
import FuzzSupport

/// The YAML configuration (`efgs serve --config`, PROTOCOL.md §9): the input is the file's text, given to
/// `GatewayConfiguration.load(yaml:environment:)`, which `load(path:environment:)` calls once it has read the file
/// (unknown-key check over Yams, then swift-configuration's YAML snapshot and every section's settings reader),
/// with an empty environment. Nothing is written, opened or started: loading only reads and validates settings.
/// (Until 2026-12-02 the target wrote each input to a file for `load(path:)`.)
enum ConfigYAMLTarget {
    static func test(_ bytes: [UInt8]) {
        _ = try? GatewayConfiguration.load(yaml: (bytes, "/fuzz/efgs.yaml"), environment: [:])
    }
}

/// libFuzzer's callback: one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ConfigYAMLTarget.test(Fuzz.bytes(data, size))
    return 0
}

/// The program's entry (SwiftPM links `main` to `<module>_main`): libFuzzer's driver.
@_cdecl("FuzzConfigYAML_main")
public func programMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.run(argc, argv, testOneInput)
}
