import EFGSCrypto
import EFGSProtocol
import EFGSStore
import Foundation
import Metrics

/// Callback delivery (PROTOCOL.md §7.5): claims eligible tasks (one in flight per subscription, batch order per
/// subscription), re-vets the URL, delivers `GET <path>?batchTag=…&date=…`, deletes the task on any 2xx, and on
/// failure counts a retry or — after `callback.maxRetries` — drops the task (or, with
/// `callback.deleteSubscriptionOnFailure`, the subscription).
public struct CallbackExecutor: Sendable {
    let gateway: Gateway
    let client: CallbackClient
    let policy: CallbackURLPolicy

    /// Outcomes of one run.
    public struct Summary: Sendable, Equatable {
        public var delivered = 0
        public var failed = 0
        public var dropped = 0
    }

    /// `resolve` replaces DNS in tests; deliveries connect only to the addresses it returns in that attempt.
    public init(gateway: Gateway, client: CallbackClient, resolve: (@Sendable (String) -> [[UInt8]])? = nil) {
        self.gateway = gateway
        self.client = client
        policy = resolve.map { CallbackURLPolicy(allowLoopback: gateway.config.callbackAllowLoopback, resolve: $0) }
            ?? CallbackURLPolicy(allowLoopback: gateway.config.callbackAllowLoopback)
    }

    /// One executor run: delivers until no task is eligible, with `callback.parallelism` workers.
    @discardableResult
    public func run() async throws -> Summary {
        let scope = gateway.log.scope("CallbackExecutor", thread: "callback")
        scope.info("Callback processing started.")
        let summary = try await withThrowingTaskGroup(of: Summary.self) { group in
            for _ in 0..<gateway.config.callbackParallelism {
                group.addTask {
                    var s = Summary()
                    while let task = try await gateway.store.claimCallbackTask(
                        now: UTCTimestamp.millis(gateway.clock()),
                        lastTryBefore: UTCTimestamp.millis(gateway.clock()) - Int64(gateway.config.callbackRetryWait * 1000)) {
                        switch try await deliver(task, scope: scope) {
                        case .delivered: s.delivered += 1
                        case .retryLater: s.failed += 1
                        case .dropped: s.failed += 1; s.dropped += 1
                        }
                    }
                    return s
                }
            }
            var total = Summary()
            for try await s in group { total.delivered += s.delivered; total.failed += s.failed; total.dropped += s.dropped }
            return total
        }
        Gauge(label: "efgs_callback_tasks_pending").record(try await gateway.store.pendingCallbackTaskCount())
        scope.info("Callback processing finished.")
        return summary
    }

    enum Outcome { case delivered, retryLater, dropped }

    func deliver(_ task: CallbackTask, scope: EventScope) async throws -> Outcome {
        scope.info("Setting execution lock for CallbackTask.", ["taskId": String(task.id)])
        defer { scope.info("Removing execution lock for CallbackTask.", ["taskId": String(task.id)]) }
        let attempt = task.retries
        let vetted: CallbackURLPolicy.VettedURL
        switch policy.vet(task.url) {
        case .success(let v): vetted = v
        case .failure:
            scope.error("Security check for callback url has failed.", ["callbackId": task.callbackId, "country": task.country, "url": task.url])
            return try await failed(task, scope: scope)
        }
        let pins = try await pinnedThumbprints(country: task.country, host: vetted.host, scope: scope)
        guard !pins.isEmpty else {
            scope.error("Could not find callback certificate.", ["callbackId": task.callbackId, "country": task.country, "thumbprint": ""])
            return try await failed(task, scope: scope)
        }
        let date = UTCDay(epochMillis: task.batchCreatedAt).description
        let target = "\(vetted.path)?batchTag=\(task.batchTag)&date=\(date)"
        let check = CallbackServerCheck(host: vetted.host, pinnedThumbprints: pins, now: gateway.clock())
        switch await client.deliver(to: vetted, target: target, check: check) {
        case .success(let status):
            scope.info("Got 2xx response for callback.", ["retry": String(attempt), "callbackId": task.callbackId, "country": task.country,
                                                          "batchTag": task.batchTag, "statusCode": String(status)])
            try await gateway.store.deleteCallbackTask(id: task.id)
            scope.info("Successfully executed callback. Deleting callback task from database",
                       ["retry": String(attempt), "callbackId": task.callbackId, "country": task.country, "batchTag": task.batchTag, "statusCode": String(status)])
            Counter(label: "efgs_callback_attempts_total", dimensions: [("result", "success")]).increment()
            return .delivered
        case .failure(let failure):
            switch failure {
            case .status(let code):
                scope.error("Got a non 2xx response for callback.", ["callbackId": task.callbackId, "country": task.country, "statusCode": String(code)])
            case .certificate(let reason):
                scope.error("Could not find callback certificate.", ["callbackId": task.callbackId, "country": task.country, "thumbprint": reason])
            default:
                scope.error("Got no response for callback.", ["callbackId": task.callbackId, "country": task.country, "reason": failure.description])
            }
            return try await failed(task, scope: scope)
        }
    }

    /// A failed attempt: count a retry, or drop the task (or the subscription) after the last one.
    func failed(_ task: CallbackTask, scope: EventScope) async throws -> Outcome {
        Counter(label: "efgs_callback_attempts_total", dimensions: [("result", "failure")]).increment()
        if task.retries < gateway.config.callbackMaxRetries {
            try await gateway.store.recordCallbackFailure(id: task.id, now: UTCTimestamp.millis(gateway.clock()))
            return .retryLater
        }
        Counter(label: "efgs_callback_tasks_dropped_total").increment()
        if gateway.config.callbackDeleteSubscriptionOnFailure {
            scope.error("Callback reached max amount of retries. Deleting callback subscription.",
                        ["callbackId": task.callbackId, "country": task.country, "batchTag": task.batchTag])
            try await gateway.store.deleteCallbackSubscription(id: task.subscriptionId)
        } else {
            scope.error("Callback reached max amount of retries. Dropping callback task.",
                        ["callbackId": task.callbackId, "country": task.country, "batchTag": task.batchTag])
            try await gateway.store.deleteCallbackTask(id: task.id)
        }
        return .dropped
    }

    /// The pins of a delivery: thumbprints of the candidate CALLBACK rows (``CertificateDirectory/callbackRows(country:host:log:)``).
    func pinnedThumbprints(country: String, host: String, scope: EventScope) async throws -> Set<String> {
        Set(try await gateway.certificates.callbackRows(country: country, host: host, log: scope).map(\.row.thumbprint))
    }
}

/// Callback lock cleanup (§7.5): every 60 s, locks older than `callback.taskLockTimeout` are cleared so tasks
/// abandoned by a crashed executor become eligible again.
public struct CallbackLockCleanupJob: Sendable {
    let gateway: Gateway
    public init(gateway: Gateway) { self.gateway = gateway }

    @discardableResult
    public func run() async throws -> Int {
        let scope = gateway.log.scope("CallbackCleanup", thread: "callback-cleanup")
        scope.info("Deleting task locks of abandoned tasks")
        let cutoff = UTCTimestamp.millis(gateway.clock()) - Int64(gateway.config.callbackTaskLockTimeout * 1000)
        let n = try await gateway.store.releaseCallbackLocks(lockedBefore: cutoff)
        scope.info("Removing of task locks of abandoned tasks finished.", ["taskCount": String(n)])
        return n
    }
}
