// SPDX-License-Identifier: EUPL-1.2

/// `logging.*` (PROTOCOL.md §7.9, §9): the event log and its optional syslog copy.
public struct LoggingSettings: Sendable {
    /// `logging.level`: DEBUG, INFO, WARN or ERROR.
    public var level = EventLevel.info
    /// `logging.syslog.*`: the RFC 5424 copy of the event log; nil when `logging.syslog.host` is empty.
    public var syslog: SyslogForwarder.Settings?

    /// The defaults of §9.
    public init() {}

    init(_ settings: SettingsReader, syslog syslogSettings: SettingsReader) throws {
        if let text = settings.string("level") {
            guard let parsed = EventLevel(rawValue: text.uppercased()) else {
                throw settings.invalid("level", "'\(text)' is not DEBUG, INFO, WARN or ERROR")
            }
            level = parsed
        }
        guard let host = syslogSettings.string("host") else { return }
        guard HostName.isValid(host) else {
            throw syslogSettings.invalid("host", "'\(host)' is not an IP address or host name")
        }
        var forwarder = SyslogForwarder.Settings(host: host)
        forwarder.port = try syslogSettings.int("port", default: 601, in: 1...65535)
        forwarder.tls = try syslogSettings.bool("tls", default: false)
        forwarder.caPath = syslogSettings.string("caPath")
        if forwarder.caPath != nil, !forwarder.tls {
            throw syslogSettings.invalid(
                "caPath", "is set but logging.syslog.tls is false: the copy would go unencrypted")
        }
        let facility = syslogSettings.string("facility") ?? "local0"
        let code =
            SyslogMessage.facilities[facility.lowercased()]
            ?? Int(facility).flatMap { (0...23).contains($0) ? $0 : nil }
        guard let code else {
            throw syslogSettings.invalid(
                "facility", "'\(facility)' is not a facility name (local0…local7, daemon, …) or 0…23")
        }
        forwarder.facility = code
        syslog = forwarder
    }
}
