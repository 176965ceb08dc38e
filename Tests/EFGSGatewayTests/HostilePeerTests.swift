// SPDX-License-Identifier: EUPL-1.2

import EFGSGateway
import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

/// Issue 12: the public listener under a peer that holds connections without using them, sends malformed
/// framing, or pushes bodies nobody asked for. Every test drives the real server over loopback sockets
/// (``RawConnection``) and fails on the listener that had no deadlines, no caps and framework-default refusals.
final class HostilePeerTests: XCTestCase {
    /// A fixture with short deadlines so the tests take seconds; loopback 127.0.0.1 is the only trusted proxy,
    /// so 127.0.0.2 is an ordinary (hostile) peer.
    func fixture(_ extra: [String: String] = [:]) async throws -> Fixture {
        let f = try await Fixture { env in
            env["SERVER_REQUEST_HEAD_TIMEOUT"] = "0.5"
            env["SERVER_REQUEST_BODY_TIMEOUT"] = "1"
            env["SERVER_IDLE_TIMEOUT"] = "2"
            env["AUTH_TRUSTED_PROXIES"] = "127.0.0.1/32"
            env.merge(extra) { $1 }
        }
        addTeardownBlock { [store = f.store] in try await store.close() }
        return f
    }

    static let options = "OPTIONS /diagnosiskeys HTTP/1.1\r\nHost: efgs\r\n\r\n"

    /// Finding 1: a partial request head, then one byte at a time, is disconnected at `server.requestHeadTimeout`
    /// (before: held forever — 1 100 of them took every file descriptor).
    func testAPartialRequestHeadIsDisconnectedAtTheHeadDeadline() async throws {
        let f = try await fixture()
        try await withRunningGateway(f.api) { port in
            let slow = try RawConnection(port: port, source: "127.0.0.2")
            XCTAssertTrue(slow.send("GET /diagnosiskeys/callback HTTP/1.1\r\nHost: efgs\r\n"))
            let start = Date()
            var dripped = 0
            while Date().timeIntervalSince(start) < 3, slow.send("X") {
                dripped += 1
                try await Task.sleep(for: .milliseconds(100))
            }
            XCTAssertTrue(slow.waitForClose(seconds: 1), "the peer was disconnected")
            XCTAssertLessThan(Date().timeIntervalSince(start), 2.5, "at the 0.5 s head deadline, not later")
            // an honest client is served as before
            let honest = try RawConnection(port: port)
            honest.send(Self.options)
            XCTAssertTrue(honest.receive(seconds: 2).text.hasPrefix("HTTP/1.1 200"))
        }
    }

    /// Finding 1: a body sent one byte at a time is disconnected at `server.requestBodyTimeout`.
    func testADrippedBodyIsDisconnectedAtTheBodyDeadline() async throws {
        let f = try await fixture()
        try await withRunningGateway(f.api) { port in
            let slow = try RawConnection(port: port)
            let identity = f.request("POST").headerLines.map { "\($0.name): \($0.value)\r\n" }.joined()
            slow.send(
                "POST /diagnosiskeys/upload HTTP/1.1\r\nHost: efgs\r\n\(identity)"
                    + "Content-Type: application/protobuf; version=1.0\r\nbatchTag: slow\r\nbatchSignature: MIA=\r\n"
                    + "Content-Length: 1000\r\n\r\n")
            let start = Date()
            while Date().timeIntervalSince(start) < 4, slow.send("\n") {
                try await Task.sleep(for: .milliseconds(100))
            }
            XCTAssertLessThan(Date().timeIntervalSince(start), 3, "cut at the 1 s body deadline")
        }
    }

    /// Finding 1: above `server.maxConnectionsPerPeer` a peer's connections are closed at once; the trusted proxy
    /// (every client of the proxy modes arrives through it) is exempt and keeps being served.
    func testConnectionsAboveThePerPeerCapAreClosed() async throws {
        let f = try await fixture(["SERVER_MAX_CONNECTIONS_PER_PEER": "5", "SERVER_REQUEST_HEAD_TIMEOUT": "30"])
        try await withRunningGateway(f.api) { port in
            var held: [RawConnection] = []
            for _ in 0..<12 { held.append(try RawConnection(port: port, source: "127.0.0.2")) }
            try await Task.sleep(for: .milliseconds(300))
            let closed = held.filter { $0.waitForClose(seconds: 0.2) }.count
            XCTAssertEqual(closed, 7, "5 kept, the 7 above the cap closed")
            var proxied: [RawConnection] = []
            for _ in 0..<8 { proxied.append(try RawConnection(port: port)) }
            for c in proxied {
                c.send(Self.options)
                XCTAssertTrue(c.receive(seconds: 2).text.hasPrefix("HTTP/1.1 200"), "the trusted proxy is exempt")
            }
            // a slot freed by the peer is available to it again
            held.filter { !$0.waitForClose(seconds: 0.05) }.first?.close()
            try await Task.sleep(for: .milliseconds(200))
            let again = try RawConnection(port: port, source: "127.0.0.2")
            again.send(Self.options)
            XCTAssertTrue(again.receive(seconds: 2).text.hasPrefix("HTTP/1.1 200"))
        }
    }

    /// Finding 9: heads the HTTP parser refuses are answered in the spec's form (§5.1) — JSON body, 431 for a
    /// header section beyond the decoder's limit — not with the framework's bare 400.
    func testMalformedHeadsAreAnsweredWithTheSpecsErrorBody() async throws {
        let f = try await fixture()
        try await withRunningGateway(f.api) { port in
            let cases: [(String, String)] = [
                ("GET /diagnosiskeys HTTP/1.1\r\nHost: efgs\r\nX-A: a\u{0}b\r\n\r\n", "400"),
                ("GET /diagnosiskeys HTTP/1.1\r\nHost: efgs\r\nX-A: a\r\n folded\r\n\r\n", "400"),
                ("BREW /diagnosiskeys HTTP/1.1\r\nHost: efgs\r\n\r\n", "400"),
                ("GET /diagnosiskeys HTTP/1.1\r\nHost: efgs\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "400"),
                (
                    "GET /diagnosiskeys HTTP/1.1\r\nHost: efgs\r\n"
                        + (0..<9).map { "X-Pad-\($0): \(String(repeating: "p", count: 10_000))\r\n" }.joined()
                        + "\r\n", "431"
                ),
            ]
            for (request, status) in cases {
                let c = try RawConnection(port: port)
                c.send(request)
                let answer = c.receive(seconds: 3).text
                XCTAssertTrue(answer.hasPrefix("HTTP/1.1 \(status)"), "\(request.prefix(60)): \(answer.prefix(80))")
                XCTAssertTrue(answer.lowercased().contains("content-type: application/json"), answer)
                let message = status == "431" ? "Request Header Fields Too Large" : "Bad Request"
                XCTAssertTrue(answer.hasSuffix(#"{"message":"\#(message)"}"#), answer)
                XCTAssertTrue(c.waitForClose(seconds: 2), "and the connection is closed")
            }
        }
    }

    /// Finding 5: a malformed chunked body answers 400 (before: 500), and a client that hangs up mid-body is no
    /// ERROR line "Internal Server Error".
    func testMalformedChunkedBodyAndAHangUpMidBodyAreThePeersFault() async throws {
        let f = try await fixture()
        let identity = f.request("POST").headerLines.map { "\($0.name): \($0.value)\r\n" }.joined()
        let head =
            "POST /diagnosiskeys/upload HTTP/1.1\r\nHost: efgs\r\n\(identity)"
            + "Content-Type: application/protobuf; version=1.0\r\nbatchTag: b1\r\nbatchSignature: MIA=\r\n"
        try await withRunningGateway(f.api) { port in
            let chunked = try RawConnection(port: port)
            chunked.send(head + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")
            let answer = chunked.receive(seconds: 3).text
            XCTAssertTrue(answer.hasPrefix("HTTP/1.1 400"), answer)
            XCTAssertTrue(answer.hasSuffix(#"{"message":"Bad Request"}"#), answer)

            let cut = try RawConnection(port: port)
            cut.send(head + "Content-Length: 1000\r\n\r\n" + String(repeating: "\n", count: 10))
            try await Task.sleep(for: .milliseconds(200))
            cut.close()
            try await Task.sleep(for: .milliseconds(500))
        }
        let errors = f.lines.filter { $0.contains("level=\"ERROR\"") }
        XCTAssertEqual(errors, [], "neither is the gateway's error")
        try await assertEq(try await f.store.unbatchedKeyCount(), 0, "nothing stored")
    }

    /// Finding 7: the body of a refused request is not read past a small bound: the peer is disconnected after
    /// its 403 instead of pushing gigabytes into the gateway (4.4 GB in 8 s before).
    func testTheBodyOfARefusedRequestIsNotDrained() async throws {
        let f = try await fixture(["SERVER_REQUEST_BODY_TIMEOUT": "30"])
        try await withRunningGateway(f.api) { port in
            let peer = try RawConnection(port: port, source: "127.0.0.2")  // not a trusted proxy: 403
            peer.send(
                "POST /diagnosiskeys/upload HTTP/1.1\r\nHost: efgs\r\n"
                    + "Content-Type: application/protobuf; version=1.0\r\nContent-Length: 1000000000\r\n\r\n")
            let chunk = [UInt8](repeating: 0x0A, count: 64 * 1024)
            var sent = 0
            let start = Date()
            while sent < 1_000_000_000, Date().timeIntervalSince(start) < 10, peer.send(chunk) { sent += chunk.count }
            XCTAssertLessThan(sent, 32 * 1024 * 1024, "cut off after the 403 (socket buffers aside)")
        }
    }

    /// Finding 3: a 16 MiB body of empty keys answers 413 without being parsed into millions of messages.
    func testABodyOfMillionsOfEmptyKeysAnswers413() async throws {
        let f = try await fixture()
        var body: [UInt8] = []
        body.reserveCapacity(16 * 1024 * 1024)
        for _ in 0..<(8 * 1024 * 1024 - 8) { body += [0x0A, 0x00] }
        let request = f.request(
            "POST",
            headers: [
                ("Content-Type", "application/protobuf; version=1.0"), ("batchTag", "many"), ("batchSignature", "MIA="),
            ], body: body)
        let r = await f.api.handle(method: "POST", path: "/diagnosiskeys/upload", request: request)
        XCTAssertEqual(r.status, 413)
        XCTAssertEqual(r.bodyText, #"{"message":"Too many diagnosis keys"}"#)
        XCTAssertTrue(f.lines.contains { $0.contains("numKeys=\"more than 5000\"") }, "\(f.lines.suffix(2))")
    }

    /// Finding 5: `%00` in a path segment that reaches the store answers 404 (PostgreSQL refused the NUL: 500).
    func testNULInPathSegmentsAnswers404() async throws {
        let f = try await fixture()
        let today = UTCDay(Date()).description
        for (method, path, message) in [
            ("GET", "/diagnosiskeys/audit/download/\(today)/2026%001201-1", "Could not find batch with given BatchTag"),
            (
                "DELETE", "/diagnosiskeys/callback/a%00b",
                "Could not find any callback subscription for the given callbackId."
            ),
        ] {
            let r = await f.api.handle(method: method, path: path, request: f.request(method))
            XCTAssertEqual(r.status, 404, path)
            XCTAssertEqual(r.bodyText, #"{"message":"\#(message)"}"#)
        }
        let download = await f.api.handle(
            method: "GET", path: "/diagnosiskeys/download/\(today)",
            request: f.request("GET", headers: [("Accept", "application/json; version=1.0"), ("batchTag", "x\u{0}")]))
        XCTAssertEqual(download.status, 404)
    }

    /// Finding 6: the `Accept` of a peer that does not authenticate is not written to the log at ERROR (a free log
    /// flood); an authenticated country's refused `Accept` still is (§7.9).
    func testNegotiationRefusalsOfUnauthenticatedPeersAreNotLogged() async throws {
        let f = try await fixture()
        let today = UTCDay(Date()).description
        let hostile = await f.api.handle(
            method: "GET", path: "/diagnosiskeys/download/\(today)",
            request: f.request(
                "GET", country: nil, headers: [("Accept", "text/evil-\(String(repeating: "x", count: 100))")]))
        XCTAssertEqual(hostile.status, 406)
        XCTAssertFalse(f.lines.contains { $0.contains("text/evil") }, "\(f.lines)")
        let country = await f.api.handle(
            method: "GET", path: "/diagnosiskeys/download/\(today)",
            request: f.request("GET", headers: [("Accept", "text/plain")]))
        XCTAssertEqual(country.status, 406)
        XCTAssertTrue(f.lines.contains { $0.contains("level=\"ERROR\"") && $0.contains("text/plain") })
    }

    /// A peer that stops reading a large download is disconnected at `server.writeTimeout`, however many requests
    /// it queued behind it: it gets what the socket buffers held, then the end of the connection. Before, a request
    /// pipelined behind the stalled response kept its task, its buffers and the connection for as long as the peer
    /// liked (the idle deadline does not apply while a request is under way). Linux's send buffer grows to about
    /// 3 MB for a peer that reads nothing, so the response must be larger than that to stall the gateway: one
    /// download batch of 30 000 keys as JSON, about 6 MB.
    func testAPeerThatStopsReadingIsDisconnectedAtTheWriteDeadline() async throws {
        let (f, get) = try await largeDownload()
        try await withRunningGateway(f.api) { port in
            let reader = try RawConnection(port: port)
            reader.send(get)
            let whole = reader.receive(seconds: 30)
            guard case .bytes(let bytes) = whole else { return XCTFail("no response: \(whole)") }
            XCTAssertTrue(whole.text.hasPrefix("HTTP/1.1 200"))
            XCTAssertTrue(RawConnection.isCompleteResponse(bytes), "a reading peer gets all \(bytes.count) bytes")
            XCTAssertGreaterThan(bytes.count, 5_000_000, "larger than the socket buffers")

            let stalled = try RawConnection(port: port, receiveBufferBytes: 4096)
            stalled.send(get + get)  // a second request queued behind the first response
            try await Task.sleep(for: .seconds(5))  // reads nothing for five write deadlines (and the 2 s idle one)
            let partial = stalled.receive(seconds: 10)
            guard case .bytes(let cut) = partial else { return XCTFail("nothing before the close: \(partial)") }
            XCTAssertTrue(partial.text.hasPrefix("HTTP/1.1 200"))
            XCTAssertFalse(RawConnection.isCompleteResponse(cut), "cut at the write deadline (\(cut.count) bytes)")
            XCTAssertTrue(stalled.waitForClose(seconds: 2), "then closed")
        }
        XCTAssertFalse(f.lines.contains { $0.contains("level=\"ERROR\"") }, "the peer's fault, not the gateway's")
    }

    /// A peer that reads a large download slowly but steadily gets all of it, though that takes several write
    /// deadlines (3 s here): the deadline counts only while the connection stays unwritable, and the reader frees a
    /// third of the kernel's send buffer well within each.
    func testASlowButSteadyReaderGetsTheWholeDownload() async throws {
        let (f, get) = try await largeDownload(writeTimeout: 3, idleTimeout: 30)
        try await withRunningGateway(f.api) { port in
            // at most 64 KiB every 50 ms (about 1.2 MiB/s): the kernel takes more from the gateway (a third of its
            // 4 MB send buffer freed) well within every 3 s
            let steady = try RawConnection(port: port, receiveBufferBytes: 65536)
            steady.send(get)
            var taken: [UInt8] = []
            let start = Date()
            while !RawConnection.isCompleteResponse(taken), Date().timeIntervalSince(start) < 60,
                let chunk = steady.readOnce(limit: 65536, seconds: 2)
            {
                taken += chunk
                try await Task.sleep(for: .milliseconds(50))
            }
            XCTAssertTrue(RawConnection.isCompleteResponse(taken), "not cut (\(taken.count) bytes)")
            XCTAssertGreaterThan(Date().timeIntervalSince(start), 3, "longer than the write deadline")
        }
    }

    /// A gateway with the write and idle deadlines given holding one download batch of 30 000 keys, and FR's
    /// request for it as JSON (about 6 MB).
    func largeDownload(writeTimeout: Double = 1, idleTimeout: Double = 2) async throws -> (Fixture, String) {
        let f = try await fixture([
            "SERVER_WRITE_TIMEOUT": "\(writeTimeout)", "SERVER_IDLE_TIMEOUT": "\(idleTimeout)",
            "BATCHING_DOC_LIMIT": "30000",
        ])
        for _ in 0..<6 { try await assertEq(try await f.upload(f.keys(5000, origin: "DE")).status, 201) }
        let tag = try await f.services.batching.run()[0].tag
        let identity = f.request("GET", country: "FR").headerLines.map { "\($0.name): \($0.value)\r\n" }.joined()
        let get =
            "GET /diagnosiskeys/download/\(UTCDay(Date()).description) HTTP/1.1\r\nHost: efgs\r\n\(identity)"
            + "Accept: application/json; version=1.0\r\nbatchTag: \(tag)\r\n\r\n"
        return (f, get)
    }
}
