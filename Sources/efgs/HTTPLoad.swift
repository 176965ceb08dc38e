// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import Foundation

/// Part (e) of `efgs benchmark --http-load`: `wrk` (a second process on loopback) against the running gateway, and
/// against nginx serving the very bytes of the gateway's download as a static file, in the same run.
enum HTTPLoad {
    /// One `wrk` run.
    struct Result {
        var name: String
        var requests: Int
        var seconds: Double
        var requestsPerSecond: Double
        var p50Milliseconds: Double
        var p99Milliseconds: Double
        /// Responses other than 2xx/3xx.
        var non2xx: Int
        /// Connect, read, write and timeout errors.
        var socketErrors: Int
        /// Database connections in use on average during the run (SQLite: 0 to 2, its writing and its reading
        /// connection together), when measured.
        var databaseBusy: Double? = nil

        /// One line for the report.
        var line: String {
            let errors = non2xx + socketErrors > 0 ? ", non-2xx \(non2xx), socket errors \(socketErrors)" : ""
            let rate = Benchmark.fmt(requestsPerSecond, 0)
            let database = databaseBusy.map { ", database connections busy \(Benchmark.fmt($0, 2))" } ?? ""
            return "\(name): \(rate) requests/s, p50 \(Benchmark.fmt(p50Milliseconds, 2)) ms, "
                + "p99 \(Benchmark.fmt(p99Milliseconds, 2)) ms (\(requests) requests\(errors)\(database))"
        }
    }

    /// Runs `wrk --latency` on `url` with `headers` for `seconds` with `connections` connections on 2 threads.
    static func wrk(
        _ name: String, url: String, headers: [(String, String)], seconds: Int, connections: Int
    ) async throws -> Result {
        var arguments = ["-t", "2", "-c", String(connections), "-d", "\(seconds)s", "--latency"]
        for (k, v) in headers { arguments += ["-H", "\(k): \(v)"] }
        arguments.append(url)
        let output = try await run("wrk", arguments)
        guard let result = parse(output, name: name) else {
            throw ValidationError("wrk: unexpected output:\n\(output)")
        }
        return result
    }

    /// The figures of wrk's `--latency` report.
    static func parse(_ output: String, name: String) -> Result? {
        var result = Result(
            name: name, requests: 0, seconds: 0, requestsPerSecond: 0, p50Milliseconds: 0, p99Milliseconds: 0,
            non2xx: 0, socketErrors: 0)
        var sawRate = false
        for line in output.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if line.hasPrefix("Requests/sec:"), let v = words.last.flatMap(Double.init) {
                result.requestsPerSecond = v
                sawRate = true
            } else if words.first == "50%", let v = words.last.flatMap(milliseconds) {
                result.p50Milliseconds = v
            } else if words.first == "99%", let v = words.last.flatMap(milliseconds) {
                result.p99Milliseconds = v
            } else if words.count >= 4, words[1] == "requests", words[2] == "in", let n = Int(words[0]) {
                result.requests = n
                result.seconds = Double(words[3].trimmingCharacters(in: CharacterSet(charactersIn: "s,"))) ?? 0
            } else if line.hasPrefix("Non-2xx or 3xx responses:"), let n = words.last.flatMap(Int.init) {
                result.non2xx = n
            } else if line.hasPrefix("Socket errors:") {
                // Socket errors: connect 0, read 0, write 0, timeout 0
                let counts = words.compactMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: ","))) }
                result.socketErrors = counts.reduce(0, +)
            }
        }
        return sawRate ? result : nil
    }

    /// wrk's latency text (`812.00us`, `1.25ms`, `2.00s`) in milliseconds.
    static func milliseconds(_ text: String) -> Double? {
        for (unit, factor) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] where text.hasSuffix(unit) {
            return Double(text.dropLast(unit.count)).map { $0 * factor }
        }
        return nil
    }

    /// nginx serving `body` as `/batch.pb` on a loopback port; stop it with ``Nginx/stop()``.
    final class Nginx {
        let process: Process
        let dir: String
        let port: Int

        init(serving body: [UInt8]) throws {
            dir = NSTemporaryDirectory() + "efgs-bench-nginx-\(UUID().uuidString)"
            try FileManager.default.createDirectory(
                atPath: dir + "/www", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir)
            try Data(body).write(to: URL(fileURLWithPath: dir + "/www/batch.pb"))
            port = try LoopbackPort.free()
            try """
            worker_processes auto;
            pid \(dir)/nginx.pid;
            error_log \(dir)/error.log;
            events { worker_connections 1024; }
            http {
              access_log off;
              client_body_temp_path \(dir); proxy_temp_path \(dir); fastcgi_temp_path \(dir);
              uwsgi_temp_path \(dir); scgi_temp_path \(dir);
              types { application/x-protobuf pb; }
              server { listen 127.0.0.1:\(port); root \(dir)/www; }
            }

            """.write(toFile: dir + "/nginx.conf", atomically: true, encoding: .utf8)
            process = Process()
            process.executableURL = URL(fileURLWithPath: try HTTPLoad.executable("nginx"))
            process.arguments = ["-p", dir, "-c", dir + "/nginx.conf", "-g", "daemon off;"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // ready when the port answers (bounded: 5 s)
            for _ in 0..<100 {
                if LoopbackPort.accepts(port) { return }
                usleep(50_000)
            }
            stop()
            throw ValidationError("nginx did not start on port \(port) (see \(dir)/error.log)")
        }

        var url: String { "http://127.0.0.1:\(port)/batch.pb" }

        func stop() {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    /// The path of `name` on `PATH`, or a clear refusal.
    static func executable(_ name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        let candidates = dirs.map { $0 + "/" + name }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ValidationError("--http-load needs \(name) (Debian: apt-get install \(name))")
        }
        return found
    }

    /// Runs `name` with `arguments` to its end without blocking a concurrency thread; its standard output.
    static func run(_ name: String, _ arguments: [String]) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executable(name))
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        let ended = AsyncStream<Void> { continuation in
            process.terminationHandler = { _ in continuation.finish() }
        }
        try process.run()
        // Read on a thread of its own: a read on a concurrency thread would hold one of the gateway's (in this
        // process) for the whole run of wrk; on two cores that was half of them until 2026-12-03.
        let reader = pipe.fileHandleForReading
        let output = await withCheckedContinuation { (continuation: CheckedContinuation<Data, Never>) in
            Thread { continuation.resume(returning: reader.readDataToEndOfFile()) }.start()
        }
        for await _ in ended {}
        guard process.terminationStatus == 0 else {
            throw ValidationError("\(name) exited with status \(process.terminationStatus)")
        }
        return String(decoding: output, as: UTF8.self)
    }
}
