// SPDX-License-Identifier: EUPL-1.2

import EFGSClient
import Foundation
import Synchronization

/// The endpoints `efgs load` measures.
enum LoadEndpoint: String, CaseIterable, Sendable {
    case upload, download, audit, subscribe, unsubscribe

    /// The statuses that count as success; any other answer, and no answer, is an error.
    func expects(_ status: Int, askedBatchTag asked: Bool) -> Bool {
        switch self {
        case .upload: return status == 201
        // a day's first batch that does not exist yet (§5.4: 404 "Could not find any batches for given date")
        case .download: return status == 200 || (status == 404 && !asked)
        case .audit, .subscribe, .unsubscribe: return status == 200
        }
    }
}

/// One measured request.
struct LoadSample: Sendable {
    var endpoint: LoadEndpoint
    /// The HTTP status; nil when there was no answer (the failure is in `LoadRecorder.problems`).
    var status: Int?
    /// Whether the answer is one `endpoint` expects.
    var expected: Bool
    /// Seconds since the start of the measured run when the request was sent.
    var at: Double
    var milliseconds: Double
}

/// What `efgs load` records while it runs, from every country's tasks at once.
final class LoadRecorder: Sendable {
    struct State: Sendable {
        var samples: [LoadSample] = []
        var keysUploaded = 0
        var keysDownloaded = 0
        var keysVerified = 0
        var batchesDownloaded = 0
        /// Batches a country first saw after its first poll: made during the run, so a callback was due for them.
        var batchesAppeared = 0
        var uploadsScheduled = 0
        /// Failures that are not an HTTP status (no answer, a bad audit, own keys served), the first ones in full.
        var problems: [String] = []
        var problemCount = 0
    }

    /// The most problems kept in full.
    static let problemsKept = 50
    let start: ContinuousClock.Instant
    let requestTimeout: Double
    let state = Mutex(State())

    /// A recorder measuring from `start`; with `takingOver`, that recorder's samples (counted as sent at `start`)
    /// and problems are kept.
    init(start: ContinuousClock.Instant, requestTimeout: Double, takingOver earlier: LoadRecorder? = nil) {
        self.start = start
        self.requestTimeout = requestTimeout
        if let earlier {
            let before = earlier.snapshot
            state.withLock { state in
                state.samples = before.samples.map { sample in
                    var moved = sample
                    moved.at = 0
                    return moved
                }
                state.problems = before.problems
                state.problemCount = before.problemCount
            }
        }
    }

    /// Seconds from the start to `instant`.
    func seconds(_ instant: ContinuousClock.Instant) -> Double {
        let d = instant - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Sends `request` and records how long it took and what it answered; returns the answer (nil: none, also when
    /// none came within `requestTimeout`: the request is then cancelled).
    func measure(
        _ endpoint: LoadEndpoint, country: String, askedBatchTag: Bool = false,
        _ request: @escaping @Sendable () async throws -> GatewayResponse
    ) async -> GatewayResponse? {
        let sent = ContinuousClock.now
        var response: GatewayResponse?
        var failure: String?
        let timeout = requestTimeout
        do {
            response = try await withThrowingTaskGroup(of: GatewayResponse?.self) { group in
                group.addTask { try await request() }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(Int64(timeout * 1000)))
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let answered = first else {
                    throw Unanswered(seconds: timeout)
                }
                return answered
            }
        } catch {
            failure = "\(error)"
        }
        let done = ContinuousClock.now
        let status = response?.status
        let sample = LoadSample(
            endpoint: endpoint, status: status,
            expected: status.map { endpoint.expects($0, askedBatchTag: askedBatchTag) } ?? false, at: seconds(sent),
            milliseconds: (seconds(done) - seconds(sent)) * 1000)
        state.withLock { $0.samples.append(sample) }
        if let failure { problem("\(country) \(endpoint.rawValue): no answer: \(failure)") }
        return response
    }

    /// Records a failure that is not an HTTP status; control characters (text from the gateway can be in it) are
    /// shown as `\u{…}`, so they cannot act on the terminal.
    func problem(_ text: String) {
        var shown = ""
        for scalar in text.unicodeScalars {
            // C0, DEL and C1 controls, the line and paragraph separators, and the bidirectional controls
            let v = scalar.value
            if v < 0x20 || (0x7F...0x9F).contains(v) || (0x2028...0x202E).contains(v) || (0x2066...0x2069).contains(v) {
                shown += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                shown.unicodeScalars.append(scalar)
            }
        }
        state.withLock { state in
            state.problemCount += 1
            if state.problems.count < Self.problemsKept { state.problems.append(shown) }
        }
    }

    struct Unanswered: Error, CustomStringConvertible {
        var seconds: Double
        var description: String { "no answer within \(String(format: "%g", seconds)) s (--request-timeout)" }
    }

    func update(_ change: (inout State) -> Void) { state.withLock { change(&$0) } }

    var snapshot: State { state.withLock { $0 } }
}
