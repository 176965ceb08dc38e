// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import Foundation
import Logging
import NIOConcurrencyHelpers
import SystemPackage

/// The level of an event (§7.9 `level`).
public enum EventLevel: String, Sendable, Comparable {
    case debug = "DEBUG"
    case info = "INFO"
    case warn = "WARN"
    case error = "ERROR"

    var rank: Int {
        switch self {
        case .debug: 0
        case .info: 1
        case .warn: 2
        case .error: 3
        }
    }

    /// Ordered DEBUG < INFO < WARN < ERROR.
    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

/// The operator's event log (PROTOCOL.md §7.9): one `key="value"` line per event on stdout, mandatory fields
/// first. Attribute values are sanitised (``clean(_:)``: one line whatever a peer sends). Callers never pass key
/// material.
public final class EventLog: Sendable {
    /// Events below this level are not written (`logging.level`, §9).
    public let minimumLevel: EventLevel
    let hostname: String
    let pid: String
    let sink: @Sendable (String) -> Void
    /// The optional copy to a syslog collector (§7.9, `logging.syslog.*`).
    public let syslog: SyslogForwarder?
    /// The last WARN and ERROR lines, for the operator console.
    public let recent = RecentEvents()
    /// Serialises writes: whole lines on stdout, and stdout and the syslog copy in the same order when several
    /// threads log at once.
    let order = NIOLock()

    /// Writes stdout's lines on a thread of its own when the log is ``init(minimumLevel:syslog:asynchronous:sink:)``'s
    /// asynchronous one.
    let writer: EventLineWriter?

    /// An event log writing to stdout, or to `sink` when given (one call per line, without the newline).
    /// - Parameters:
    ///   - minimumLevel: the lowest level written.
    ///   - syslog: an optional forwarder that receives a copy of every written line.
    ///   - asynchronous: stdout's lines are written by a thread of their own (``EventLineWriter``), so a stdout that
    ///     stops taking them stops no request (`efgs serve`); one-shot commands write in the logging thread.
    public init(
        minimumLevel: EventLevel = .info, syslog: SyslogForwarder? = nil, asynchronous: Bool = false,
        sink: (@Sendable (String) -> Void)? = nil
    ) {
        self.minimumLevel = minimumLevel
        self.syslog = syslog
        let hostname = ProcessInfo.processInfo.hostName
        let pid = String(ProcessInfo.processInfo.processIdentifier)
        self.hostname = hostname
        self.pid = pid
        let write =
            sink ?? { line in
                _ = try? FileDescriptor.standardOutput.writeAll((line + "\n").utf8)
            }
        if asynchronous {
            let writer = EventLineWriter(write: write) { count in
                Self.line(
                    [
                        ("timestamp", UTCTimestamp.format(Date())), ("level", EventLevel.warn.rawValue),
                        ("hostname", hostname), ("pid", pid), ("traceId", Self.noTrace), ("spanId", Self.noTrace),
                        ("thread", "main"), ("class", "EventLog"), ("message", "event lines dropped"),
                        ("count", String(count)),
                    ])
            }
            self.writer = writer
            self.sink = { writer.enqueue($0) }
        } else {
            writer = nil
            // called under `order` only, so lines never interleave
            self.sink = write
        }
    }

    /// The trace id of lines that belong to no request or job run.
    static let noTrace = String(repeating: "0", count: 16)

    /// Waits up to `seconds` for the lines an asynchronous log still holds to reach stdout, then stops its thread;
    /// true when they all did (a synchronous log holds none).
    @discardableResult
    public func close(within seconds: Double = 5) -> Bool {
        writer?.close(within: seconds) ?? true
    }

    /// A log that writes nothing (checks whose own events must not reach the operator, such as authenticating a
    /// peer only to decide whether its refusal is worth a line).
    public static let discarding = EventLog(minimumLevel: .error, sink: { _ in })

    /// A logger for one request or job run: a fresh 16-hex trace/span id and the component (`class`) name.
    public func scope(_ component: String, thread: String = "main") -> EventScope {
        let hex = String(UInt64.random(in: 1...UInt64.max), radix: 16)
        let id = String(repeating: "0", count: 16 - hex.count) + hex
        return EventScope(eventLog: self, component: component, traceId: id, thread: thread)
    }

    func write(
        level: EventLevel, component: String, traceId: String, thread: String, message: String,
        attributes: [(String, String)]
    ) {
        guard level >= minimumLevel else { return }
        let now = Date()
        let fields = [
            ("timestamp", UTCTimestamp.format(now)), ("level", level.rawValue), ("hostname", hostname), ("pid", pid),
            ("traceId", traceId), ("spanId", traceId), ("thread", thread), ("class", component), ("message", message),
        ]
        let line = Self.line(fields + attributes)
        order.withLock {
            sink(line)
            syslog?.send(level: level, component: component, timestamp: now, line: line)
        }
        if level >= .warn {
            recent.append(
                RecentEvents.Entry(
                    time: now, level: level, component: component, message: Self.clean(message),
                    country: attributes.first { $0.0 == "country" }.map { Self.clean($0.1) }, line: line))
        }
    }

    /// One event line: `key="value"` pairs in order, each value sanitised (``clean(_:)``).
    static func line(_ fields: [(String, String)]) -> String {
        fields.map { "\($0.0)=\"\(clean($0.1))\"" }.joined(separator: ", ")
    }

    /// The longest attribute value written, in Unicode scalars; a longer one is cut and marked (a peer's 16 KiB
    /// header does not become a 16 KiB line).
    static let maxValueLength = 1024

    /// One line per event, whatever a peer sends: CR/LF runs → `, `; `"` → `'`; every other control or line/
    /// paragraph separator (C0, DEL, C1 such as NEL, U+2028/U+2029) and the bidirectional overrides and isolates
    /// (U+202A–U+202E, U+2066–U+2069, which reorder what a terminal shows) → `\u{XXXX}`; values longer than
    /// ``maxValueLength`` scalars are cut with `…(+N)`.
    static func clean(_ value: String) -> String {
        var out = ""
        var inBreak = false
        var written = 0
        let scalars = value.unicodeScalars
        for ch in scalars {
            if written == maxValueLength {
                out += "…(+\(scalars.count - written))"
                break
            }
            written += 1
            if ch == "\r" || ch == "\n" {
                if !inBreak {
                    out += ", "
                    inBreak = true
                }
                continue
            }
            inBreak = false
            switch ch.value {
            case 0x22:
                out += "'"
            case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069:
                out += "\\u{" + String(ch.value, radix: 16, uppercase: true) + "}"
            default:
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}

/// The event log bound to one request or job run.
public struct EventScope: Sendable {
    let eventLog: EventLog
    /// The component name written as `class`.
    public var component: String
    /// The 16-hex id written as both `traceId` and `spanId`.
    public let traceId: String
    let thread: String

    /// The same trace, another component (the `class` column).
    public func component(_ name: String) -> EventScope {
        var s = self
        s.component = name
        return s
    }

    /// Logs `message` at `level` with `attributes` in order.
    public func log(_ level: EventLevel, _ message: String, _ attributes: [(String, String)]) {
        eventLog.write(
            level: level, component: component, traceId: traceId, thread: thread, message: message,
            attributes: attributes)
    }

    /// Logs an event in this trace: its own class, level, message and attributes.
    public func log(_ event: APIError.Event) {
        self.component(event.component).log(event.level, event.message, event.attributes)
    }

    /// An INFO event.
    public func info(_ message: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        log(.info, message, attributes.map { ($0.key, $0.value) })
    }

    /// A WARN event.
    public func warn(_ message: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        log(.warn, message, attributes.map { ($0.key, $0.value) })
    }

    /// An ERROR event.
    public func error(_ message: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        log(.error, message, attributes.map { ($0.key, $0.value) })
    }

    /// A DEBUG event.
    public func debug(_ message: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        log(.debug, message, attributes.map { ($0.key, $0.value) })
    }
}
