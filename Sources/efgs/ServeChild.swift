// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// `efgs serve` as a child process of this binary (`efgs soak`, `efgs benchmark-scale`): its output in a log file,
/// started and stopped by PID.
struct ServeChild {
    let process: Process
    let logPath: String

    /// Starts `efgs serve --config config` with its output in `logPath`; returns once it accepts connections on
    /// 127.0.0.1:`port` (at most 30 s).
    static func start(config: String, port: Int, logPath: String) throws -> ServeChild {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        p.arguments = ["serve", "--config", config]
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        p.standardOutput = log
        p.standardError = log
        defer { try? log.close() }  // the child has its own descriptor
        try p.run()
        let child = ServeChild(process: p, logPath: logPath)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if LoopbackPort.accepts(port) { return child }
            guard p.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        child.stop()
        throw SoakFailure(
            "efgs serve did not start listening on 127.0.0.1:\(port) (see \(logPath): "
                + "\((try? String(contentsOfFile: logPath, encoding: .utf8))?.suffix(400) ?? ""))")
    }

    /// SIGTERM (graceful shutdown), then SIGKILL if it still runs after `grace` seconds; returns once it exited.
    func stop(grace: Double = 30) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// The child's resident memory now and its peak so far (`VmRSS`, `VmHWM` of /proc/PID/status), in bytes.
    func residentMemory() -> (now: Int, peak: Int)? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        else { return nil }
        func kibibytes(_ field: String) -> Int? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else {
                return nil
            }
            return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) }
        }
        guard let now = kibibytes("VmRSS"), let peak = kibibytes("VmHWM") else { return nil }
        return (now * 1024, peak * 1024)
    }

    /// How often `text` occurs in the child's output so far.
    func occurrences(of text: String) -> Int {
        guard let log = try? String(contentsOfFile: logPath, encoding: .utf8) else { return 0 }
        return log.components(separatedBy: text).count - 1
    }
}
