// SPDX-License-Identifier: EUPL-1.2

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection over POSIX sockets, for tests that must misbehave below HTTP: send half a request head,
/// drip bytes, hold a connection open, or connect from another loopback address (127.0.0.2 is a different peer
/// than 127.0.0.1 on Linux). Blocking calls with short socket timeouts; every connection is closed by ``close()``
/// or on deinit.
public final class RawConnection: @unchecked Sendable {
    let fd: Int32

    /// Why a connection could not be made.
    public struct Failure: Error, CustomStringConvertible {
        /// The failing call and errno's text.
        public var description: String
    }

    /// Connects to `127.0.0.1:port`, from `source` (an IPv4 loopback address) when given.
    public init(port: Int, host: String = "127.0.0.1", source: String? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        if let source {
            var local = Self.address(source, port: 0)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else {
                Glibc.close(fd)
                throw Failure(description: "bind \(source): \(String(cString: strerror(errno)))")
            }
        }
        var remote = Self.address(host, port: port)
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let text = String(cString: strerror(errno))
            Glibc.close(fd)
            throw Failure(description: "connect: \(text)")
        }
    }

    deinit { close() }

    private var closed = false

    /// Closes the socket (once).
    public func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    static func address(_ host: String, port: Int) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &a.sin_addr)
        return a
    }

    /// Sends all of `bytes`; false when the peer closed or reset the connection.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// Sends `text` as UTF-8.
    @discardableResult
    public func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// What `receive` saw.
    public enum Received: Equatable {
        /// Bytes arrived (possibly the whole answer).
        case bytes([UInt8])
        /// The peer closed the connection (or reset it) before anything more arrived.
        case closed
        /// Nothing arrived within the time.
        case timedOut
    }

    /// Reads until the peer closes, `seconds` pass, or (when `untilEndOfResponse`) a complete response head and the
    /// `Content-Length` body arrived. Returns the bytes, or `.closed` / `.timedOut` when none came.
    public func receive(seconds: Double, untilEndOfResponse: Bool = true) -> Received {
        let deadline = Date().addingTimeInterval(seconds)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return out.isEmpty ? .timedOut : .bytes(out) }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(max(1, left * 1000)))
            if ready == 0 { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return out.isEmpty ? .closed : .bytes(out) }
            out += buffer[..<n]
            if untilEndOfResponse, Self.isCompleteResponse(out) { return .bytes(out) }
        }
    }

    /// Whether `bytes` hold a response head and as many body bytes as its `Content-Length` says.
    static func isCompleteResponse(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return false }
        let head = text[..<end.lowerBound].lowercased()
        let length =
            head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        return text.utf8.count - text[..<end.upperBound].utf8.count >= length
    }

    /// Waits up to `seconds` for the peer to close; true when it did (bytes it sent first are skipped).
    public func waitForClose(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return false }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, Int32(max(1, left * 1000))) == 0 { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return true }
        }
    }
}

extension RawConnection.Received {
    /// The bytes as text ("" when none).
    public var text: String {
        if case .bytes(let b) = self { return String(decoding: b, as: UTF8.self) }
        return ""
    }
}
