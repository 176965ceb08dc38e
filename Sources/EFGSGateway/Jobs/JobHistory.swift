// SPDX-License-Identifier: EUPL-1.2

import Foundation
import NIOConcurrencyHelpers

/// The recent runs of the jobs this process ran under their job lock (PROTOCOL.md §7.8), with durations, for the
/// operator console's Batches page.
public final class JobHistory: Sendable {
    /// One run.
    public struct Run: Sendable, Equatable {
        /// The job lock's name (`batching`, `key-retention`, …).
        public var job: String
        /// When it started.
        public var started: Date
        /// How long it ran, seconds.
        public var seconds: Double
        /// nil when it succeeded; otherwise why it failed.
        public var failure: String?
    }

    /// Runs kept per job.
    public let capacity: Int
    let runs = NIOLockedValueBox([Run]())

    /// Keeps the last `capacity` runs of each job.
    public init(capacity: Int = 50) { self.capacity = capacity }

    func record(_ run: Run) {
        runs.withLockedValue { runs in
            runs.append(run)
            let ofJob = runs.indices.filter { runs[$0].job == run.job }
            if ofJob.count > capacity { runs.remove(at: ofJob[0]) }
        }
    }

    /// The kept runs, newest first.
    public func list() -> [Run] { runs.withLockedValue { $0 }.reversed() }
}
