// SPDX-License-Identifier: EUPL-1.2

import EFGSGateway
import Foundation
import FuzzSupport

/// The YAML configuration (`efgs serve --config`, PROTOCOL.md §9): the input is the file, read by
/// `GatewayConfiguration.load(path:environment:)` exactly as start-up reads it (unknown-key check over Yams, then
/// swift-configuration's YAML provider and every section's settings reader), with an empty environment. Nothing
/// is opened or started: loading only reads and validates settings. The file lives in a folder of this process.
enum ConfigYAMLTarget {
    static let path: String = {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("efgs-fuzz-config-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent("efgs.yaml").path
    }()

    static func test(_ bytes: [UInt8]) {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            Fuzz.fail("cannot write \(path)")
        }
        let path = self.path
        _ = Fuzz.wait { () async -> Bool in
            (try? await GatewayConfiguration.load(path: path, environment: [:])) != nil
        }
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
