// SPDX-License-Identifier: EUPL-1.2

import EFGSClient
import EFGSCrypto
import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

/// Runs the real `efgs` executable, which SwiftPM builds into the same folder as the test bundle.
enum EFGS {
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("efgs")
    }

    static func requireBinary() throws {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip("efgs binary not built at \(binary.path)")
        }
    }

    /// Runs `efgs ARGS` to completion; stdout and stderr together.
    @discardableResult
    static func run(_ args: [String], in dir: URL, environment: [String: String]? = nil) throws -> (
        status: Int32, output: String
    ) {
        try runProcess(binary, args, in: dir, environment: environment)
    }
}

func runProcess(
    _ executable: URL, _ args: [String], in dir: URL? = nil, environment: [String: String]? = nil,
    stdin: Data? = nil
) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = executable
    p.arguments = args
    if let dir { p.currentDirectoryURL = dir }
    if let environment { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    let input = Pipe()
    if stdin != nil { p.standardInput = input }
    try p.run()
    if let stdin {
        // written on its own thread: a process that answers before reading all its input cannot block us
        let writer = input.fileHandleForWriting
        Thread.detachNewThread {
            try? writer.write(contentsOf: stdin)
            try? writer.close()
        }
    }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A temporary folder removed when the test ends.
func temporaryFolder(_ test: XCTestCase, _ name: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("efgs-\(name)-\(UUID())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    return dir
}

/// A federation on disk: trust anchor made by `efgs trust-anchor create`, national certificates made here and
/// onboarded with `efgs cert sign` + `efgs cert import`, exactly as an operator does it.
final class Federation {
    let dir: URL
    var configPath: String { dir.appendingPathComponent("efgs.yaml").path }
    var settings: [String: String]
    /// The storage key of `k1`, made once: rewriting the configuration keeps it (another key under the same id is
    /// refused at start, as it must be).
    let storageKey = "k1:" + Base64.encodeString((0..<32).map { _ in UInt8.random(in: 0...255) })
    private(set) var members: [String: (auth: CertificateFactory.Issued, sign: CertificateFactory.Issued)] = [:]
    /// Thumbprint of the client certificate the gateway presents to callback servers.
    private(set) var callbackClientThumbprint = ""

    init(dir: URL, settings: [String: String] = [:]) throws {
        self.dir = dir
        self.settings = settings
        let ta = try EFGS.run(["trust-anchor", "create", "--out-dir", dir.path, "--key", "p256"], in: dir)
        guard ta.status == 0 else { throw HarnessError("trust-anchor create failed: \(ta.output)") }
        // the identity the gateway presents to callback servers
        let callbackIdentity = try CertificateFactory.selfSigned(
            country: nil, commonName: "efgs-callback-client", key: .p256)
        try callbackIdentity.certificatePEM.write(
            to: dir.appendingPathComponent("callback-client.pem"), atomically: true, encoding: .utf8)
        try callbackIdentity.privateKeyPEM.write(
            to: dir.appendingPathComponent("callback-client.key"), atomically: true, encoding: .utf8)
        callbackClientThumbprint = callbackIdentity.thumbprint
        try writeConfig()
    }

    /// A federation whose gateway terminates TLS itself (mode c) with a certificate for `localhost` made here;
    /// `extra` settings are added.
    /// Returns the federation, the path of the gateway's certificate (PEM) and the certificate.
    static func mutualTLS(
        dir: URL, extra: [String: String] = [:]
    ) throws -> (fed: Federation, serverPEM: String, serverCert: CertificateFactory.Issued) {
        let serverCert = try CertificateFactory.selfSigned(
            country: nil, commonName: "localhost", key: .p256, dnsNames: ["localhost"])
        let fed = try Federation(dir: dir)
        let serverPEM = try fed.write(serverCert, as: "server")
        fed.settings = [
            "auth.mode": "mutualTLS", "tls.certificatePath": serverPEM,
            "tls.privateKeyPath": dir.appendingPathComponent("server.key").path,
        ].merging(extra) { _, new in new }
        return (fed, serverPEM, serverCert)
    }

    /// Writes `efgs.yaml` from the defaults below plus `settings` (dotted keys, scalar values).
    func writeConfig() throws {
        var all: [String: String] = [
            "server.host": "127.0.0.1", "server.port": "0",
            "trustAnchor.certificatePath": dir.appendingPathComponent("ta.pem").path,
            "database.url": "sqlite:" + dir.appendingPathComponent("efgs.sqlite").path,
            "storage.keys": storageKey,
            "storage.activeKeyId": "k1", "batching.interval": "3600", "logging.level": "INFO",
            "callback.clientCertificatePath": dir.appendingPathComponent("callback-client.pem").path,
            "callback.clientKeyPath": dir.appendingPathComponent("callback-client.key").path,
        ]
        all.merge(settings) { $1 }
        // nested YAML from dotted keys
        var tree: [String: [String: String]] = [:]
        for (k, v) in all {
            let parts = k.split(separator: ".", maxSplits: 1).map(String.init)
            tree[parts[0], default: [:]][parts[1]] = v
        }
        var yaml = ""
        for (section, values) in tree.sorted(by: { $0.key < $1.key }) {
            yaml += "\(section):\n"
            for (k, v) in values.sorted(by: { $0.key < $1.key }) { yaml += "  \(k): \"\(v)\"\n" }
        }
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Writes a certificate (and key) to `NAME.pem`/`NAME.key` and returns the PEM path.
    @discardableResult
    func write(_ issued: CertificateFactory.Issued, as name: String) throws -> String {
        try issued.privateKeyPEM.write(to: dir.appendingPathComponent("\(name).key"), atomically: true, encoding: .utf8)
        let path = dir.appendingPathComponent("\(name).pem").path
        try issued.certificatePEM.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `efgs cert sign` then `efgs cert import`; returns the import output.
    @discardableResult
    func onboard(
        _ issued: CertificateFactory.Issued, country: String, type: String, host: String? = nil,
        extra: [String] = []
    ) throws -> (status: Int32, output: String) {
        let pem = try write(issued, as: "\(country.lowercased())-\(type.lowercased())-\(issued.thumbprint.prefix(8))")
        let sign = try EFGS.run(
            ["cert", "sign", "--ta-key", dir.appendingPathComponent("ta.key").path, "--pem", pem], in: dir)
        guard sign.status == 0 else { throw HarnessError("cert sign failed: \(sign.output)") }
        var args =
            [
                "cert", "import", "--config", configPath, "--type", type, "--country", country, "--pem", pem,
                "--signature", String(sign.output.split(separator: "\n").last ?? ""),
            ] + extra
        if let host { args += ["--host", host] }
        return try EFGS.run(args, in: dir)
    }

    /// A country with an AUTHENTICATION and a SIGNING certificate, both onboarded.
    func addMember(_ country: String, key: CertificateFactory.KeyKind = .p256) throws {
        let auth = try CertificateFactory.selfSigned(
            country: country, commonName: "efgs-auth.\(country.lowercased())", key: key)
        let sign = try CertificateFactory.selfSigned(
            country: country, commonName: "efgs-sign.\(country.lowercased())", key: key)
        for (issued, type) in [(auth, "AUTHENTICATION"), (sign, "SIGNING")] {
            let r = try onboard(issued, country: country, type: type)
            guard r.status == 0 else { throw HarnessError("cert import failed: \(r.output)") }
        }
        members[country] = (auth, sign)
    }

    func member(_ country: String) -> (auth: CertificateFactory.Issued, sign: CertificateFactory.Issued) {
        members[country]!
    }

    /// A client of the gateway at `baseURL` acting as `country` in mode (a): its AUTHENTICATION certificate's
    /// thumbprint and the subject `C=<country>` in the proxy headers (the test runs as the trusted proxy).
    func client(_ country: String, baseURL: String) throws -> GatewayClient {
        try GatewayClient(
            baseURL: baseURL,
            identity: .proxyHeaders(thumbprint: member(country).auth.thumbprint, dn: "C=\(country)"))
    }

    /// A signer of `country`'s batches with its SIGNING certificate.
    func signer(_ country: String) throws -> BatchSigner {
        try BatchSigner(certificate: member(country).sign.certificate, privateKey: member(country).sign.privateKey)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// One `efgs serve` process on loopback. The port comes from its `Gateway listening` event line.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    private(set) var port = 0

    init(config: String, in dir: URL, environment: [String: String] = [:]) throws {
        // stdout and stderr into one pipe, read by `reader`
        let pipe = Pipe()
        reader = OutputReader(pipe.fileHandleForReading)
        process.executableURL = EFGS.binary
        process.arguments = ["serve", "--config", config]
        process.currentDirectoryURL = dir
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        reader.start()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let line = output.split(separator: "\n").first(where: { $0.contains("message=\"Gateway listening\"") }),
                let r = line.range(of: "port=\""), let end = line[r.upperBound...].firstIndex(of: "\""),
                let p = Int(line[r.upperBound..<end])
            {
                port = p
                return
            }
            guard process.isRunning else { throw HarnessError("efgs serve exited: \(output)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        stop()
        throw HarnessError("efgs serve did not start listening within 60 s: \(output)")
    }

    /// Reads the pipe on a thread of its own with blocking reads. Not `FileHandle.readabilityHandler`: its dispatch
    /// source, still registered when the pipe reaches end of file and its descriptor is closed, crashed the test
    /// process in libdispatch's `_dispatch_event_loop_drain` (cf. swift-corelibs-foundation's Linux `FileHandle`).
    private let reader: OutputReader

    /// Stops reading the process's output: once the pipe is full (64 KiB), its writes block, as with a stalled
    /// journald.
    func pauseOutput() {
        reader.pause()
    }

    /// Reads the process's output into ``output`` again.
    func resumeOutput() {
        reader.resume()
    }

    var output: String {
        reader.text
    }

    /// The `port` attribute of the first event `message` (e.g. `Admin listening`), waiting up to `seconds` for it:
    /// the listeners start concurrently, so `Admin listening` may come after `Gateway listening`.
    func port(ofEvent message: String, waiting seconds: Double = 10) -> Int? {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if let line = events(message).first, let r = line.range(of: "port=\""),
                let end = line[r.upperBound...].firstIndex(of: "\"")
            {
                return Int(line[r.upperBound..<end])
            }
            Thread.sleep(forTimeInterval: 0.05)
        } while Date() < deadline && process.isRunning
        return nil
    }

    /// Event lines whose message is exactly `message`.
    func events(_ message: String) -> [Substring] {
        output.split(separator: "\n").filter { $0.contains("message=\"\(message)\"") }
    }

    /// SIGTERM, then waits (graceful shutdown); returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        return process.terminationStatus
    }
}

/// The text a child process writes into a pipe, read until end of file by a thread of its own with `read(2)`, which
/// can be paused (the pipe then fills and the child's writes block). The thread keeps the pipe's reading end open
/// until it has seen end of file.
final class OutputReader: @unchecked Sendable {
    private let handle: FileHandle
    private let condition = NSCondition()
    private var paused = false
    private var bytes: [UInt8] = []

    init(_ handle: FileHandle) {
        self.handle = handle
    }

    func start() {
        Thread.detachNewThread { [self] in
            let fd = handle.fileDescriptor
            // small reads, so that a pause leaves at most one chunk read past it
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                condition.lock()
                while paused { condition.wait() }
                condition.unlock()
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return }
                condition.lock()
                bytes += chunk[..<n]
                condition.unlock()
            }
        }
    }

    func pause() {
        condition.lock()
        paused = true
        condition.unlock()
    }

    func resume() {
        condition.lock()
        paused = false
        condition.broadcast()
        condition.unlock()
    }

    var text: String {
        condition.lock()
        defer { condition.unlock() }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// curl, an independent HTTP/TLS client, for raw requests whose bytes matter.
struct Curl {
    struct Result {
        var exitCode: Int32
        var status: Int
        /// Response header lines exactly as received (name spelling kept).
        var headerLines: [String]
        var body: String
        func header(_ name: String) -> String? {
            headerLines.first { $0.lowercased().hasPrefix(name.lowercased() + ":") }.map {
                String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces)
            }
        }
    }

    static func request(_ url: String, _ args: [String] = []) throws -> Result {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("curl-\(UUID())")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let r = try runProcess(
            URL(fileURLWithPath: "/usr/bin/curl"),
            ["-s", "--http1.1", "-o", tmp.path, "-D", "-", "--max-time", "30"] + args + [url])
        let body = (try? String(contentsOf: tmp, encoding: .utf8)) ?? ""
        let lines = r.output.components(separatedBy: "\r\n")
        let status = lines.first.flatMap { $0.split(separator: " ").dropFirst().first.flatMap { Int($0) } } ?? 0
        return Result(
            exitCode: r.status, status: status, headerLines: Array(lines.dropFirst().filter { !$0.isEmpty }), body: body
        )
    }
}

/// Percent-encodes like nginx's `$ssl_client_escaped_cert` (everything but unreserved characters).
func nginxEscaped(_ pem: String) -> String {
    PercentEncoding.encode(pem)
}

/// Keys valid for upload today.
func freshKeys(_ n: Int, origin: String) -> [DiagnosisKey] {
    SampleKeys.make(n, origin: origin, varied: true)
}
