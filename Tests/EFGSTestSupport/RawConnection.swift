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

    /// Connects to `127.0.0.1:port`, from `source` (an IPv4 loopback address) when given, with a receive buffer of
    /// about `receiveBufferBytes` when given (a small one makes a peer that does not read stall the server's writes).
    public init(port: Int, host: String = "127.0.0.1", source: String? = nil, receiveBufferBytes: Int? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        if var size = receiveBufferBytes.map(Int32.init) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
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

    /// One read of at most `limit` bytes, waiting up to `seconds` for the first of them: nil when the peer closed,
    /// empty when nothing came (for a reader that takes a response slowly).
    public func readOnce(limit: Int, seconds: Double) -> [UInt8]? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, Int32(max(1, seconds * 1000))) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: limit)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n <= 0 ? nil : Array(buffer[..<n])
    }

    /// Whether `bytes` hold a response head and as many body bytes as its `Content-Length` says.
    public static func isCompleteResponse(_ bytes: [UInt8]) -> Bool {
        // the head is found from the start (it is short), so a multi-megabyte body is not decoded on every call
        guard bytes.count >= 4,
            let end = (0...(bytes.count - 4)).first(where: { bytes[$0..<($0 + 4)].elementsEqual([13, 10, 13, 10]) })
        else { return false }
        let head = String(decoding: bytes[..<end], as: UTF8.self).lowercased()
        let length =
            head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        return bytes.count - (end + 4) >= length
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
