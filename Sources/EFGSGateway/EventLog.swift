import EFGSProtocol
import Foundation
import Logging
import NIOConcurrencyHelpers

public enum EventLevel: String, Sendable, Comparable {
    case debug = "DEBUG", info = "INFO", warn = "WARN", error = "ERROR"
    var rank: Int { switch self { case .debug: 0; case .info: 1; case .warn: 2; case .error: 3 } }
    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

/// The operator's event log (PROTOCOL.md §7.9): one `key="value"` line per event on stdout, mandatory fields
/// first. Attribute values are sanitised (CR/LF runs → `, `, `"` → `'`). Callers never pass key material.
public final class EventLog: Sendable {
    public let minimumLevel: EventLevel
    let hostname: String
    let pid: String
    let sink: @Sendable (String) -> Void
    /// The optional copy to a syslog collector (§7.9, `logging.syslog.*`).
    public let syslog: SyslogForwarder?
    /// Serialises writes: whole lines on stdout, and stdout and the syslog copy in the same order when several
    /// threads log at once.
    let order = NIOLock()

    public init(minimumLevel: EventLevel = .info, syslog: SyslogForwarder? = nil, sink: (@Sendable (String) -> Void)? = nil) {
        self.minimumLevel = minimumLevel
        self.syslog = syslog
        hostname = ProcessInfo.processInfo.hostName
        pid = String(ProcessInfo.processInfo.processIdentifier)
        // called under `order` only, so lines never interleave
        self.sink = sink ?? { line in
            var out = line + "\n"
            out.withUTF8 { buf in _ = fwrite(buf.baseAddress, 1, buf.count, stdout) }
            fflush(stdout)
        }
    }

    /// A logger for one request or job run: a fresh 16-hex trace/span id and the component (`class`) name.
    public func scope(_ component: String, thread: String = "main") -> EventScope {
        let id = String(format: "%016llx", UInt64.random(in: 1...UInt64.max))
        return EventScope(log: self, component: component, traceId: id, thread: thread)
    }

    func write(level: EventLevel, component: String, traceId: String, thread: String, message: String, attributes: KeyValuePairs<String, String>) {
        guard level >= minimumLevel else { return }
        let now = Date()
        var line = "timestamp=\"\(UTCTimestamp.format(now))\", level=\"\(level.rawValue)\", hostname=\"\(Self.clean(hostname))\", pid=\"\(pid)\", traceId=\"\(traceId)\", spanId=\"\(traceId)\", thread=\"\(Self.clean(thread))\", class=\"\(Self.clean(component))\", message=\"\(Self.clean(message))\""
        for (k, v) in attributes { line += ", \(k)=\"\(Self.clean(v))\"" }
        order.withLock {
            sink(line)
            syslog?.send(level: level, component: component, timestamp: now, line: line)
        }
    }

    /// CR/LF runs → `, `; `"` → `'`.
    static func clean(_ value: String) -> String {
        var out = ""
        var inBreak = false
        for ch in value.unicodeScalars {
            if ch == "\r" || ch == "\n" {
                if !inBreak { out += ", "; inBreak = true }
                continue
            }
            inBreak = false
            out.unicodeScalars.append(ch == "\"" ? "'" : ch)
        }
        return out
    }
}

/// The event log bound to one request or job run.
public struct EventScope: Sendable {
    let log: EventLog
    public var component: String
    public let traceId: String
    let thread: String

    /// The same trace, another component (the `class` column).
    public func component(_ name: String) -> EventScope {
        var s = self
        s.component = name
        return s
    }

    public func info(_ message: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        log.write(level: .info, component: component, traceId: traceId, thread: thread, message: message, attributes: attributes)
    }
    public func warn(_ message: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        log.write(level: .warn, component: component, traceId: traceId, thread: thread, message: message, attributes: attributes)
    }
    public func error(_ message: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        log.write(level: .error, component: component, traceId: traceId, thread: thread, message: message, attributes: attributes)
    }
    public func debug(_ message: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        log.write(level: .debug, component: component, traceId: traceId, thread: thread, message: message, attributes: attributes)
    }
}
