// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import Foundation
import Metrics

/// A job lock of PROTOCOL.md §7.8 held in the database, so each job runs on one instance at a time. The lease
/// (`jobs.lockLease`, 30 s by default) is renewed every third of it while the job runs, so a lock left by a crashed
/// instance blocks its job for at most one lease; a lock left by a process of this host that no longer exists is
/// taken over at once.
public struct JobLock: Sendable {
    /// The lock's name, one per job (the static names below).
    public let name: String
    /// This process: host, pid and a random suffix.
    public let holder: String
    let store: any JobLockStore
    let log: EventLog
    let lease: Double
    let clock: @Sendable () -> Date
    /// Where the runs of this process are recorded for the console, when given.
    let history: JobHistory?

    /// The lock of the batching job.
    public static let batching = "batching"
    /// The lock of callback delivery.
    public static let callbackDelivery = "callback-delivery"
    /// The lock of the callback lock cleanup.
    public static let callbackLockCleanup = "callback-lock-cleanup"
    /// The lock of key retention.
    public static let keyRetention = "key-retention"
    /// The lock of statistics retention.
    public static let statisticsRetention = "statistics-retention"

    /// The lock `name` for `holder` with a lease of `lease` seconds.
    public init(
        _ name: String, store: any JobLockStore, log: EventLog, lease: Double,
        clock: @escaping @Sendable () -> Date = { Date() }, holder: String = JobLock.processHolder,
        history: JobHistory? = nil
    ) {
        self.history = history
        self.name = name
        self.store = store
        self.log = log
        self.lease = lease
        self.clock = clock
        self.holder = holder
    }

    /// This process as a lock holder: `host:pid:random`.
    public static let processHolder =
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):"
        + "\(UInt32.random(in: 0...UInt32.max))"

    /// Whether `holder` names a process of this host that no longer exists (`host:pid:…` with no such pid).
    static func isGoneLocalProcess(_ holder: String) -> Bool {
        let parts = holder.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0] == ProcessInfo.processInfo.hostName, let pid = Int32(parts[1]), pid > 0,
            pid != ProcessInfo.processInfo.processIdentifier
        else { return false }
        return kill(pid, 0) == -1 && errno == ESRCH
    }

    /// Runs `job` while holding the lock; returns nil without running it when another holder has the lock.
    public func run<T: Sendable>(_ job: @escaping @Sendable () async throws -> T) async throws -> T? {
        guard try await acquire() else {
            log.scope("JobLock").debug("Job lock held by another instance", ["job": name])
            return nil
        }
        let started = Date()
        func record(_ failure: String?) {
            history?.record(
                JobHistory.Run(
                    job: name, started: started, seconds: Date().timeIntervalSince(started), failure: failure))
        }
        do {
            let result = try await withThrowingTaskGroup(of: T?.self, returning: T?.self) { group in
                group.addTask {
                    // renew while running; a failed renewal is logged, the job is not interrupted
                    while true {
                        try await Task.sleep(nanoseconds: UInt64(lease / 3 * 1_000_000_000))
                        if !(try await acquire()) {
                            log.scope("JobLock").warn("Job lock lease could not be renewed", ["job": name])
                        }
                    }
                }
                group.addTask { try await job() }
                while let result = try await group.next() {
                    if let result {
                        group.cancelAll()
                        return result
                    }
                }
                return nil
            }
            try await store.releaseJobLock(name: name, holder: holder)
            // the alerts' "job not running" (docs/metrics.md): the instance that ran it reports when
            Gauge(label: "efgs_job_last_success_timestamp_seconds", dimensions: [("job", name)]).record(
                Date().timeIntervalSince1970)
            record(nil)
            return result
        } catch {
            record(String(describing: error).prefix(200).description)
            try? await store.releaseJobLock(name: name, holder: holder)
            throw error
        }
    }

    /// Takes or renews the lock; takes it over from a holder of this host whose process is gone.
    func acquire() async throws -> Bool {
        let now = UTCTimestamp.millis(clock())
        let leaseUntil = now + Int64(lease * 1000)
        if try await store.acquireJobLock(name: name, holder: holder, now: now, leaseUntil: leaseUntil) { return true }
        guard let previous = try await store.jobLockHolder(name: name), Self.isGoneLocalProcess(previous),
            try await store.takeOverJobLock(name: name, from: previous, holder: holder, leaseUntil: leaseUntil)
        else { return false }
        log.scope("JobLock").warn(
            "Job lock taken over from a process that no longer exists", ["job": name, "previousHolder": previous])
        return true
    }
}
