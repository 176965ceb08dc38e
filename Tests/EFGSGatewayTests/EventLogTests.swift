// SPDX-License-Identifier: EUPL-1.2

import XCTest

@testable import EFGSGateway

/// Issue 12, finding 6: whatever a peer sends, an event is one line on the operator's terminal and in syslog.
final class EventLogTests: XCTestCase {
    func line(_ value: String) -> String {
        let box = LinesBox()
        let log = EventLog(minimumLevel: .debug, sink: { box.add($0) })
        log.scope("Test").warn("message", ["value": value])
        return box.lines.joined(separator: "\n")
    }

    func testControlCharactersAndSeparatorsAreEscaped() {
        // ESC (a terminal escape), VT, NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR, NUL, DEL, a bidi override
        let hostile = "a\u{1B}[31mred\u{0B}b\u{85}c\u{2028}d\u{2029}e\u{0}f\u{7F}g\u{202E}h"
        let written = line(hostile)
        XCTAssertTrue(
            written.contains(#"value="a\u{1B}[31mred\u{B}b\u{85}c\u{2028}d\u{2029}e\u{0}f\u{7F}g\u{202E}h""#), written)
        for scalar in written.unicodeScalars {
            XCTAssertFalse(
                (0...0x1F).contains(scalar.value) || (0x7F...0x9F).contains(scalar.value)
                    || [0x2028, 0x2029, 0x202E].contains(scalar.value), "U+\(String(scalar.value, radix: 16))")
        }
        XCTAssertTrue(line("x\r\n\r\ny").contains(#"value="x, y""#), "CR/LF runs as before")
        XCTAssertTrue(line(#"say "hi""#).contains(#"value="say 'hi'""#))
        XCTAssertTrue(line("ü €").contains(#"value="ü €""#), "printable non-ASCII stays")
    }

    func testLongValuesAreCut() {
        let written = line(String(repeating: "a", count: 5000))
        XCTAssertTrue(
            written.contains(String(repeating: "a", count: 1024) + "…(+3976)\""), written.suffix(40).description)
        XCTAssertFalse(written.contains(String(repeating: "a", count: 1025)))
    }
}

final class LinesBox: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []
    var lines: [String] { lock.withLock { collected } }
    func add(_ line: String) { lock.withLock { collected.append(line) } }
}
