import EFGSProtocol
import EFGSStore
import Foundation
import Metrics
import ServiceLifecycle

/// Batching (PROTOCOL.md §7.3): one run creates download batches until none is left or the time limit passes.
public struct BatchingJob: Sendable {
    let store: any GatewayStore
    let log: EventLog
    let docLimit: Int
    let timeLimit: TimeInterval
    let clock: @Sendable () -> Date

    public init(gateway: Gateway) {
        store = gateway.store; log = gateway.log; docLimit = gateway.config.docLimit
        timeLimit = gateway.config.batchingTimeLimit; clock = gateway.clock
    }

    /// Returns the batches created.
    @discardableResult
    public func run() async throws -> [DownloadBatchRecord] {
        let scope = log.scope("BatchingService", thread: "batching")
        scope.info("Batch process started")
        let started = Date()
        var created: [DownloadBatchRecord] = []
        while let batch = try await store.createDownloadBatch(now: clock(), docLimit: docLimit) {
            created.append(batch)
            scope.info("Batch created", ["batchTag": batch.tag, "diagnosisKeyCount": String(batch.keyCount)])
            if Date().timeIntervalSince(started) >= timeLimit {
                scope.info("Maximum time for one batching execution reached.", ["batchTime": String(format: "%.0f", Date().timeIntervalSince(started))])
                break
            }
        }
        Counter(label: "efgs_batches_created_total").increment(by: created.count)
        let left = try await store.unbatchedKeyCount()
        Gauge(label: "efgs_unbatched_keys").record(left)
        if left == 0 {
            scope.info("Successfully finished the document batching process - no more unprocessed diagnosis keys left")
        }
        scope.info("Batch process finished", ["batchCount": String(created.count)])
        return created
    }
}

/// Key retention (§7.7): deletes upload batches older than the retention in chunks.
public struct KeyRetentionJob: Sendable {
    let gateway: Gateway

    public init(gateway: Gateway) { self.gateway = gateway }

    @discardableResult
    public func run() async throws -> CleanupResult {
        let scope = gateway.log.scope("CleanupService", thread: "retention")
        let cutoff = UTCTimestamp.millis(gateway.clock()) - Int64(gateway.config.retentionKeyDays) * 86_400_000
        do {
            let r = try await gateway.store.purgeKeys(acceptedBefore: cutoff, chunkSize: gateway.config.retentionChunkSize)
            Counter(label: "efgs_retention_deleted_keys_total").increment(by: r.keysDeleted)
            scope.info("DB Cleanup finished", ["cutoff": UTCTimestamp.format(epochMillis: cutoff), "numberOfKeys": String(r.keysDeleted),
                                               "keysBefore": String(r.keysBefore), "keysAfter": String(r.keysAfter)])
            return r
        } catch {
            scope.error("Failed to execute DB Cleanup Job", ["exception": String(describing: error)])
            throw error
        }
    }
}

/// Statistics retention (§7.7), daily.
public struct StatisticsRetentionJob: Sendable {
    let gateway: Gateway
    public init(gateway: Gateway) { self.gateway = gateway }

    @discardableResult
    public func run() async throws -> Int {
        let cutoff = UTCTimestamp.millis(gateway.clock()) - Int64(gateway.config.statisticsRetentionDays) * 86_400_000
        return try await gateway.store.purgeStatistics(before: cutoff)
    }
}

/// Wakes a periodic job early (the batching early trigger of §7.3).
public final class JobTrigger: Sendable {
    let stream: AsyncStream<Void>
    let continuation: AsyncStream<Void>.Continuation

    public init() {
        (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    public func fire() { continuation.yield() }
}

/// Runs a job every `interval` seconds measured from the end of the previous run, and whenever `trigger` fires,
/// until graceful shutdown.
public struct PeriodicJobService: Service {
    let name: String
    let interval: TimeInterval
    let trigger: JobTrigger?
    let log: EventLog
    let job: @Sendable () async throws -> Void

    public init(name: String, interval: TimeInterval, trigger: JobTrigger? = nil, log: EventLog, job: @escaping @Sendable () async throws -> Void) {
        self.name = name; self.interval = interval; self.trigger = trigger; self.log = log; self.job = job
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                do { try await job() } catch {
                    log.scope(name).error("job failed", ["exception": String(describing: error)])
                }
                await waitForNextRun()
            }
        } onGracefulShutdown: {
            trigger?.continuation.finish()
        }
    }

    func waitForNextRun() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000)) }
            if let trigger {
                group.addTask { var it = trigger.stream.makeAsyncIterator(); _ = await it.next() }
            }
            group.addTask { try? await gracefulShutdown() }
            await group.next()
            group.cancelAll()
        }
    }
}

/// A job lock of §7.8 held in the database, so each job runs on one instance at a time. The lease is renewed
/// every third of `jobs.lockLease` while the job runs; a lease left by a crashed instance expires and may be taken
/// over.
public struct JobLock: Sendable {
    public let name: String
    let gateway: Gateway
    /// This process: host, pid and a random suffix.
    public let holder: String

    public static let batching = "batching", callbackDelivery = "callback-delivery", callbackLockCleanup = "callback-lock-cleanup",
                      keyRetention = "key-retention", statisticsRetention = "statistics-retention"

    public init(_ name: String, gateway: Gateway, holder: String = JobLock.processHolder) {
        self.name = name; self.gateway = gateway; self.holder = holder
    }

    public static let processHolder = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UInt32.random(in: 0...UInt32.max))"

    /// Runs `job` while holding the lock; returns nil without running it when another holder has the lock.
    public func run<T: Sendable>(_ job: @escaping @Sendable () async throws -> T) async throws -> T? {
        let lease = gateway.config.jobLockLease
        func acquire() async throws -> Bool {
            let now = UTCTimestamp.millis(gateway.clock())
            return try await gateway.store.acquireJobLock(name: name, holder: holder, now: now, leaseUntil: now + Int64(lease * 1000))
        }
        guard try await acquire() else {
            gateway.log.scope("JobLock").debug("Job lock held by another instance", ["job": name])
            return nil
        }
        do {
            let result = try await withThrowingTaskGroup(of: T?.self, returning: T?.self) { group in
                group.addTask {
                    // renew while running; a failed renewal is logged, the job is not interrupted
                    while true {
                        try await Task.sleep(nanoseconds: UInt64(lease / 3 * 1_000_000_000))
                        if !(try await acquire()) { gateway.log.scope("JobLock").warn("Job lock lease could not be renewed", ["job": name]) }
                    }
                }
                group.addTask { try await job() }
                while let r = try await group.next() {
                    if let r { group.cancelAll(); return r }
                }
                return nil
            }
            try await gateway.store.releaseJobLock(name: name, holder: holder)
            return result
        } catch {
            try? await gateway.store.releaseJobLock(name: name, holder: holder)
            throw error
        }
    }
}
