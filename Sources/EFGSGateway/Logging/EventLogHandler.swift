// SPDX-License-Identifier: EUPL-1.2

import Logging

/// A swift-log handler that writes the libraries' log lines (Hummingbird, PostgresNIO, SQLiteNIO) into the event
/// log (§7.9) in its format, class = the logger's label, from `warning` up by default — so an operator reads one
/// format, and a database that cannot be reached is not a stream of foreign lines.
public struct EventLogHandler: LogHandler {
    let label: String
    let eventLog: EventLog
    /// The swift-log metadata of this handler.
    public var metadata: Logger.Metadata = [:]
    /// The lowest level written.
    public var logLevel: Logger.Level

    /// A handler writing `label`'s lines from `level` up into `eventLog`.
    public init(label: String, eventLog: EventLog, level: Logger.Level = .warning) {
        self.label = label
        self.eventLog = eventLog
        self.logLevel = level
    }

    /// A logger called `label` writing into `eventLog`.
    public static func logger(_ label: String, eventLog: EventLog, level: Logger.Level = .warning) -> Logger {
        var logger = Logger(label: label) { EventLogHandler(label: $0, eventLog: eventLog, level: level) }
        logger.logLevel = level
        return logger
    }

    /// The metadata value `key`.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line: the swift-log level mapped to DEBUG, INFO, WARN or ERROR; metadata as attributes.
    public func log(event: LogEvent) {
        let level: EventLevel
        switch event.level {
        case .trace, .debug: level = .debug
        case .info, .notice: level = .info
        case .warning: level = .warn
        case .error, .critical: level = .error
        }
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let attributes = merged.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") }
        eventLog.scope(label, thread: "library").log(level, "\(event.message)", attributes)
    }
}
