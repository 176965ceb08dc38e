// SPDX-License-Identifier: EUPL-1.2

import Synchronization
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

    /// A stdout that stops taking lines (a stalled journald, a full pipe) stops nobody who logs: `efgs serve`'s log
    /// queues its lines for a thread of their own, drops the oldest past its capacity, and says how many it dropped
    /// once stdout takes lines again. Before, every logging request waited on the blocked write.
    func testAStalledStdoutStopsNobodyAndDroppedLinesAreCounted() throws {
        let box = LinesBox()
        let stalled = DispatchSemaphore(value: 0)
        let log = EventLog(
            minimumLevel: .info, asynchronous: true,
            sink: { line in
                if box.lines.isEmpty { stalled.wait() }  // the first line blocks until stdout "comes back"
                box.add(line)
            })
        let count = 30_000
        let logged = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let scope = log.scope("Test")
            for i in 0..<count { scope.info("line", ["n": String(i)]) }
            logged.signal()
        }
        XCTAssertEqual(logged.wait(timeout: .now() + 20), .success, "logging waited for the stalled stdout")
        XCTAssertTrue(box.lines.isEmpty)
        stalled.signal()
        XCTAssertTrue(log.close(within: 20), "the queue reached stdout once it took lines again")
        let lines = box.lines
        let numbers = lines.compactMap { line in
            line.range(of: #"n=""#).flatMap { r in Int(line[r.upperBound...].prefix { $0.isNumber }) }
        }
        let dropped = try XCTUnwrap(log.writer?.droppedCount)
        XCTAssertGreaterThan(dropped, 0)
        XCTAssertEqual(numbers.count + dropped, count, "every line written or counted as dropped")
        XCTAssertEqual(numbers, numbers.sorted(), "in order")
        XCTAssertEqual(numbers.last, count - 1, "the oldest waiting lines are the ones dropped")
        let notice = try XCTUnwrap(lines.first { $0.contains(#"message="event lines dropped""#) })
        XCTAssertTrue(notice.contains(#"level="WARN""#) && notice.contains(#"count="\#(dropped)""#), notice)
    }

    /// The lines held while stdout stalls stay within the queue's capacity plus one batch of the writing thread,
    /// wherever the stall falls: the thread takes at most ``EventLineWriter/batchSize`` lines at a time. Before, it
    /// took every waiting line at once, and lines it held in a stalled write were bounded by nothing (here 2001 lines
    /// held with a capacity of 1000); the lines still waiting at close are counted as dropped.
    func testLinesHeldDuringAStallStayWithinTheCapacityAndOneBatch() {
        let box = LinesBox()
        let entered = DispatchSemaphore(value: 0)
        let gates = [DispatchSemaphore(value: 0), DispatchSemaphore(value: 0)]
        let writes = Mutex(0)
        let writer = EventLineWriter(
            capacity: 1000,
            write: { line in
                let n = writes.withLock { n in
                    n += 1
                    return n
                }
                if n <= 2 {  // stdout stalls on the first line, then again on the first line of the next batch
                    entered.signal()
                    gates[n - 1].wait()
                }
                box.add(line)
            }, droppedNotice: { "dropped \($0)" })
        writer.enqueue("first")
        XCTAssertEqual(entered.wait(timeout: .now() + 20), .success)
        for i in 0..<3000 { writer.enqueue("a\(i)") }
        gates[0].signal()
        XCTAssertEqual(entered.wait(timeout: .now() + 20), .success)
        for i in 0..<3000 { writer.enqueue("b\(i)") }
        gates[1].signal()
        XCTAssertTrue(writer.close(within: 20))
        let written = box.lines.filter { !$0.hasPrefix("dropped") }
        XCTAssertLessThanOrEqual(written.count, 1 + EventLineWriter.batchSize + 1000, "held: capacity and one batch")
        XCTAssertEqual(written.count + writer.droppedCount, 6001, "every line written or counted as dropped")
        XCTAssertEqual(written.last, "b2999", "the newest line is kept")
        XCTAssertTrue(box.lines.contains("dropped 2000"), "the lines dropped during the first stall are reported")
    }

    /// The waiting-line queue of stdout and syslog keeps the newest `capacity` elements in order and counts the
    /// ones it drops.
    func testADropOldestQueueKeepsTheNewestAndCountsTheRest() {
        var queue = DropOldestQueue<Int>(capacity: 3)
        XCTAssertEqual((0..<3).map { queue.append($0) }, [false, false, false])
        XCTAssertEqual(queue.droppedTotal, 0)
        XCTAssertTrue(queue.append(3))
        XCTAssertTrue(queue.append(4))
        XCTAssertEqual(Array(queue.elements), [2, 3, 4])
        XCTAssertEqual(queue.droppedTotal, 2)
        XCTAssertEqual(queue.removeFirst(upTo: 2), [2, 3])
        XCTAssertEqual(queue.removeFirst(upTo: 5), [4])
        XCTAssertFalse(queue.append(5))
        XCTAssertEqual(Array(queue.removeAll()), [5])
        XCTAssertTrue(queue.elements.isEmpty)
        XCTAssertEqual(queue.droppedTotal, 2)
    }

    /// A synchronous log (one-shot commands) writes each line before the call returns.
    func testASynchronousLogWritesBeforeReturning() {
        let box = LinesBox()
        let log = EventLog(minimumLevel: .info, sink: { box.add($0) })
        log.scope("Test").info("now")
        XCTAssertEqual(box.lines.count, 1)
        XCTAssertNil(log.writer)
    }
}

final class LinesBox: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []
    var lines: [String] { lock.withLock { collected } }
    func add(_ line: String) { lock.withLock { collected.append(line) } }
}
