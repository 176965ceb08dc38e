// SPDX-License-Identifier: EUPL-1.2

import Foundation
import XCTest

/// The README's "Your first gateway" block, run as it is with bash in an empty folder: the walkthrough an operator
/// follows stays true.
final class FirstGatewayWalkthroughTests: XCTestCase {
    func testTheReadmeWalkthroughRunsAsWritten() throws {
        try EFGS.requireBinary()
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        guard let begin = text.range(of: "<!-- first-gateway:begin -->"),
            let end = text.range(of: "<!-- first-gateway:end -->")
        else { return XCTFail("the README has no first-gateway block") }
        let script = text[begin.upperBound..<end.lowerBound].split(separator: "\n")
            .filter { !$0.hasPrefix("```") }.joined(separator: "\n")
        let dir = try temporaryFolder(self, "walkthrough")
        let port = Int.random(in: 20_000...60_000)
        let path =
            EFGS.binary.deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "")
        let r = try runProcess(
            URL(fileURLWithPath: "/usr/bin/timeout"), ["300", "bash", "-euo", "pipefail", "-c", script], in: dir,
            environment: ["PATH": path, "PORT": String(port)])
        XCTAssertEqual(r.status, 0, r.output)
        for line in [
            "trust anchor written", "imported AUTHENTICATION certificate for DE", "imported SIGNING certificate for DE",
            "configuration ok", "wrote 5 DE test key(s) to keys.json",
            "201 Created: upload batch first-1 accepted (5 keys)",
            "created 1 download batch(es)",
        ] {
            XCTAssertTrue(r.output.contains(line), "\(line)\n\(r.output)")
        }
    }
}
