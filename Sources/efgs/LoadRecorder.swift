// SPDX-License-Identifier: EUPL-1.2

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
        var uploadsScheduled = 0
        /// Failures that are not an HTTP status (no answer, a bad audit, own keys served), the first ones in full.
        var problems: [String] = []
        var problemCount = 0
    }

    /// The most problems kept in full.
    static let problemsKept = 50
    let start: ContinuousClock.Instant
    let state = Mutex(State())

    init(start: ContinuousClock.Instant) { self.start = start }

    /// Seconds from the start to `instant`.
    func seconds(_ instant: ContinuousClock.Instant) -> Double {
        let d = instant - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Sends `request` and records how long it took and what it answered; returns the status (nil: no answer).
    func measure(
        _ endpoint: LoadEndpoint, country: String, askedBatchTag: Bool = false, _ request: () async throws -> Int
    ) async -> Int? {
        let sent = ContinuousClock.now
        var status: Int?
        var failure: String?
        do { status = try await request() } catch { failure = "\(error)" }
        let done = ContinuousClock.now
        let sample = LoadSample(
            endpoint: endpoint, status: status,
            expected: status.map { endpoint.expects($0, askedBatchTag: askedBatchTag) } ?? false, at: seconds(sent),
            milliseconds: (seconds(done) - seconds(sent)) * 1000)
        state.withLock { $0.samples.append(sample) }
        if let failure { problem("\(country) \(endpoint.rawValue): no answer: \(failure)") }
        return status
    }

    /// Records a failure that is not an HTTP status.
    func problem(_ text: String) {
        state.withLock { state in
            state.problemCount += 1
            if state.problems.count < Self.problemsKept { state.problems.append(text) }
        }
    }

    func update(_ change: (inout State) -> Void) { state.withLock { change(&$0) } }

    var snapshot: State { state.withLock { $0 } }
}
