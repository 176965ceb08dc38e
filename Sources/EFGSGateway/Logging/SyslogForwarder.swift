// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import Foundation
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// One syslog message in RFC 5424 §6 form: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG`, framed for TCP
/// by octet counting (RFC 6587 §3.4.1, also RFC 5425 §4.3 over TLS): `MSG-LEN SP SYSLOG-MSG`.
public struct SyslogMessage: Sendable, Equatable {
    /// RFC 5424 §6.2.1 facility codes by name; `logging.syslog.facility` takes a name or the number.
    public static let facilities: [String: Int] = [
        "kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7, "uucp": 8, "cron": 9,
        "authpriv": 10, "ftp": 11, "ntp": 12, "audit": 13, "alert": 14, "clock": 15,
        "local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20, "local5": 21, "local6": 22, "local7": 23,
    ]

    /// RFC 5424 §6.2.1 severity of an event level: ERROR → 3 (error), WARN → 4 (warning), INFO → 6
    /// (informational), DEBUG → 7 (debug).
    public static func severity(_ level: EventLevel) -> Int {
        switch level {
        case .error: 3
        case .warn: 4
        case .info: 6
        case .debug: 7
        }
    }

    /// RFC 5424 §6.2.1 facility code (0…23); PRI = facility × 8 + severity.
    public var facility: Int
    /// The event's level, mapped to the RFC 5424 severity by `severity(_:)`.
    public var level: EventLevel
    /// The event's time, written as the RFC 5424 TIMESTAMP in UTC with milliseconds.
    public var timestamp: Date
    /// The HOSTNAME header field (non-printable characters removed, at most 255, `-` when empty).
    public var hostname: String
    /// The PROCID header field, the gateway's process id (at most 128 characters, `-` when empty).
    public var procId: String
    /// The event's component (`class`), so a collector can filter on it.
    public var msgId: String
    /// The §7.9 line, unchanged.
    public var line: String

    /// A message from its parts; nothing is validated here, the header fields are cleaned when encoded.
    public init(
        facility: Int, level: EventLevel, timestamp: Date, hostname: String, procId: String, msgId: String, line: String
    ) {
        self.facility = facility
        self.level = level
        self.timestamp = timestamp
        self.hostname = hostname
        self.procId = procId
        self.msgId = msgId
        self.line = line
    }

    /// The header fields are PRINTUSASCII (33…126) of bounded length (RFC 5424 §6.2); `-` when empty.
    static func headerField(_ s: String, max: Int) -> String {
        let printable = String(
            String.UnicodeScalarView(s.unicodeScalars.filter { (33...126).contains($0.value) }).prefix(max))
        return printable.isEmpty ? "-" : printable
    }

    /// The SYSLOG-MSG bytes. MSG is the line; a line that is not pure ASCII starts with the BOM (RFC 5424 §6.4).
    public var syslogMessage: [UInt8] {
        let pri = facility * 8 + Self.severity(level)
        let header =
            "<\(pri)>1 \(UTCTimestamp.format(timestamp)) \(Self.headerField(hostname, max: 255)) efgs "
            + "\(Self.headerField(procId, max: 128)) \(Self.headerField(msgId, max: 32)) - "
        var bytes = Array(header.utf8)
        let msg = Array(line.utf8)
        if msg.contains(where: { $0 >= 0x80 }) { bytes += [0xEF, 0xBB, 0xBF] }
        return bytes + msg
    }

    /// The octet-counted frame: decimal length, one space, the message.
    public var frame: [UInt8] {
        let message = syslogMessage
        return Array("\(message.count) ".utf8) + message
    }
}

/// Pushes a copy of every event line to a syslog collector over TCP (optionally TLS) — PROTOCOL.md §7.9, settings
/// `logging.syslog.*` (§9). Logging never waits for the collector: lines go into a bounded queue (oldest dropped
/// beyond `capacity`, counted in `efgs_syslog_dropped_total`) and one writer task sends them, connecting on demand
/// and reconnecting with back-off after a failure. A line leaves the queue only once its write succeeded, so lines
/// logged while the collector is down arrive after it is back (as long as the queue holds them).
public final class SyslogForwarder: Sendable {
    /// Where and how to reach the collector: the `logging.syslog.*` settings (§9).
    public struct Settings: Sendable, Equatable {
        /// The collector's host name or IP literal (`logging.syslog.host`).
        public var host: String
        /// The collector's TCP port (`logging.syslog.port`, default 601, RFC 6587).
        public var port: Int
        /// Whether to use TLS ≥ 1.2 (RFC 5425) to the collector (`logging.syslog.tls`); SNI unless an IP literal.
        public var tls: Bool
        /// PEM file of the CA(s) that issued the collector's certificate; the system roots when nil.
        public var caPath: String?
        /// RFC 5424 facility code of every message (`logging.syslog.facility`, default 16 = `local0`).
        public var facility: Int

        /// Settings with the §9 defaults: port 601, plain TCP, system roots, facility `local0`.
        public init(host: String, port: Int = 601, tls: Bool = false, caPath: String? = nil, facility: Int = 16) {
            self.host = host
            self.port = port
            self.tls = tls
            self.caPath = caPath
            self.facility = facility
        }
    }

    struct State {
        /// Queued frames with their sequence numbers (oldest first).
        var queue: DropOldestQueue<(seq: UInt64, frame: [UInt8])>
        var nextSeq: UInt64 = 0
        var closing = false
        var wakeUp: CheckedContinuation<Void, Never>?
        var drained: [CheckedContinuation<Void, Never>] = []
    }

    /// Frames written with one flush at most.
    static let writeChunk = 256

    /// The collector and facility this forwarder sends to.
    public let settings: Settings
    let hostname: String
    let procId: String
    let state: NIOLockedValueBox<State>
    let tlsContext: NIOSSLContext?
    let group: any EventLoopGroup
    let writer = NIOLockedValueBox<Task<Void, Never>?>(nil)

    /// Starts the writer task; it connects on the first queued line, not here.
    /// - Parameters:
    ///   - capacity: the most lines kept while the collector is unreachable; beyond it the oldest is dropped.
    ///   - group: the event loops for the collector connection.
    /// - Throws: when the TLS context cannot be built (e.g. `caPath` unreadable or not PEM).
    public init(
        settings: Settings, capacity: Int = 10_000, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        self.settings = settings
        state = NIOLockedValueBox(State(queue: DropOldestQueue(capacity: capacity)))
        self.group = group
        hostname = ProcessInfo.processInfo.hostName
        procId = String(ProcessInfo.processInfo.processIdentifier)
        if settings.tls {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.minimumTLSVersion = .tlsv12
            if let ca = settings.caPath { tls.trustRoots = .file(ca) }
            tlsContext = try NIOSSLContext(configuration: tls)
        } else {
            tlsContext = nil
        }
        let task = Task { [self] in await self.runWriter() }
        writer.withLockedValue { $0 = task }
    }

    /// Queues one event line; never blocks on the network.
    public func send(level: EventLevel, component: String, timestamp: Date, line: String) {
        let frame = SyslogMessage(
            facility: settings.facility, level: level, timestamp: timestamp, hostname: hostname,
            procId: procId, msgId: component, line: line
        ).frame
        let (waiter, dropped): (CheckedContinuation<Void, Never>?, Bool) = state.withLockedValue { s in
            guard !s.closing else { return (nil, false) }
            let dropped = s.queue.append((s.nextSeq, frame))
            s.nextSeq += 1
            defer { s.wakeUp = nil }
            return (s.wakeUp, dropped)
        }
        if dropped { Counter(label: "efgs_syslog_dropped_total").increment() }
        waiter?.resume()
    }

    /// Lines queued and not yet written.
    public var pendingCount: Int { state.withLockedValue { $0.queue.elements.count } }
    /// Lines dropped because the queue was full.
    public var droppedCount: Int { state.withLockedValue { $0.queue.droppedTotal } }

    /// Sends what is queued (waiting at most `timeout`), then stops the writer. Lines logged afterwards are ignored.
    public func shutdown(timeout: Duration = .seconds(5)) async {
        let timer = Task { [self] in
            try? await Task.sleep(for: timeout)
            stopAccepting()
        }
        await waitUntilDrained()
        timer.cancel()
        stopAccepting()
        let task = writer.withLockedValue { $0 }
        task?.cancel()  // ends a back-off sleep at once
        await task?.value
    }

    /// Closing: no more lines are queued, the writer stops once the queue is empty or a write fails.
    func stopAccepting() {
        let (waiter, drained) = state.withLockedValue { s in
            s.closing = true
            defer {
                s.wakeUp = nil
                s.drained = []
            }
            return (s.wakeUp, s.drained)
        }
        waiter?.resume()
        for continuation in drained { continuation.resume() }
    }

    func waitUntilDrained() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now: Bool = state.withLockedValue { s in
                if s.queue.elements.isEmpty || s.closing { return true }
                s.drained.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    enum WriterStep {
        case write([(seq: UInt64, frame: [UInt8])])
        case wait, stop
    }

    /// The writer: waits for lines, (re)connects, writes them in order (up to `writeChunk` per flush) and removes
    /// them once the write succeeded.
    func runWriter() async {
        var channel: (any Channel)?
        var backoff: Duration = .milliseconds(250)
        while true {
            let step: WriterStep = state.withLockedValue { s in
                if s.closing && Task.isCancelled { return .stop }
                if !s.queue.elements.isEmpty { return .write(Array(s.queue.elements.prefix(Self.writeChunk))) }
                return s.closing ? .stop : .wait
            }
            switch step {
            case .stop:
                try? await channel?.close()
                return
            case .wait:
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let parked: Bool = state.withLockedValue { s in
                        guard s.queue.elements.isEmpty, !s.closing else { return false }
                        s.wakeUp = c
                        return true
                    }
                    if !parked { c.resume() }
                }
            case .write(let frames):
                do {
                    // the collector closed the connection (restart, idle timeout): reconnect rather than write into it
                    if let open = channel, !open.isActive {
                        try? await open.close()
                        channel = nil
                    }
                    if channel == nil { channel = try await connect() }
                    var buffer = channel!.allocator.buffer(capacity: frames.reduce(0) { $0 + $1.frame.count })
                    for f in frames { buffer.writeBytes(f.frame) }
                    try await channel!.writeAndFlush(buffer)
                    backoff = .milliseconds(250)
                    let lastSeq = frames.last!.seq
                    let drained: [CheckedContinuation<Void, Never>] = state.withLockedValue { s in
                        while let first = s.queue.elements.first, first.seq <= lastSeq { s.queue.removeFirst() }
                        guard s.queue.elements.isEmpty else { return [] }
                        defer { s.drained = [] }
                        return s.drained
                    }
                    for continuation in drained { continuation.resume() }
                } catch {
                    try? await channel?.close()
                    channel = nil
                    if state.withLockedValue({ $0.closing }) { return }
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, .seconds(30))
                }
            }
        }
    }

    func connect() async throws -> any Channel {
        let tlsContext = self.tlsContext
        let host = settings.host
        return try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tlsContext {
                        let serverName = IPAddressBytes.parse(host) == nil ? host : nil
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tlsContext, serverHostname: serverName))
                    }
                }
            }
            .connect(host: host, port: settings.port).get()
    }
}
