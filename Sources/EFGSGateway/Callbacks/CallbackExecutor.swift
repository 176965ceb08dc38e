// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSStore
import Foundation
import Metrics
import NIOConcurrencyHelpers

/// Callback delivery (PROTOCOL.md §7.5): claims eligible tasks (one in flight per subscription, batch order per
/// subscription), re-vets the URL, delivers `GET <path>?batchTag=…&date=…`, deletes the task on any 2xx, and on
/// failure counts a retry or — after `callback.maxRetries` — drops the task (or, with
/// `callback.deleteSubscriptionOnFailure`, the subscription).
public struct CallbackExecutor: Sendable {
    let store: any CallbackStore
    let certificates: CertificateDirectory
    let client: CallbackClient
    let policy: CallbackURLPolicy
    let settings: CallbackSettings
    let log: EventLog
    let clock: @Sendable () -> Date

    /// Outcomes of one run.
    public struct Summary: Sendable, Equatable {
        /// Attempts answered with a 2xx; their tasks were deleted.
        public var delivered = 0
        /// Failed attempts, including those counted in `dropped`.
        public var failed = 0
        /// Failed attempts after the last retry: the task (or, with `callback.deleteSubscriptionOnFailure`, the
        /// subscription) was deleted.
        public var dropped = 0
    }

    /// An executor delivering with `client`; `resolve` replaces DNS in tests (deliveries connect only to the
    /// addresses it returns in that attempt).
    public init(
        store: any CallbackStore, certificates: CertificateDirectory, client: CallbackClient,
        settings: CallbackSettings,
        log: EventLog, clock: @escaping @Sendable () -> Date = { Date() },
        resolve: (@Sendable (String) async -> [[UInt8]])? = nil
    ) {
        self.store = store
        self.certificates = certificates
        self.client = client
        self.settings = settings
        self.log = log
        self.clock = clock
        let resolver = HostResolver.shared(for: settings)
        policy = CallbackURLPolicy(
            allowLoopback: settings.allowLoopback, resolve: resolve ?? { await resolver.resolve($0) })
    }

    /// One executor run: delivers until no task is eligible, with `callback.parallelism` workers.
    @discardableResult
    public func run() async throws -> Summary {
        let scope = log.scope("CallbackExecutor", thread: "callback")
        scope.info("Callback processing started.")
        let turns = CountryTurns()
        let summary = try await withThrowingTaskGroup(of: Summary.self) { group in
            for _ in 0..<settings.parallelism {
                group.addTask {
                    var summary = Summary()
                    while let task = try await claim(turns: turns) {
                        let outcome = try await deliver(task, scope: scope)
                        summary.delivered += outcome == .delivered ? 1 : 0
                        summary.failed += outcome == .delivered ? 0 : 1
                        summary.dropped += outcome == .dropped ? 1 : 0
                    }
                    return summary
                }
            }
            var total = Summary()
            for try await summary in group {
                total.delivered += summary.delivered
                total.failed += summary.failed
                total.dropped += summary.dropped
            }
            return total
        }
        Gauge(label: "efgs_callback_tasks_pending").record(try await store.pendingCallbackTaskCount())
        scope.info("Callback processing finished.")
        return summary
    }

    /// An eligible task, claimed (§7.5), or nil when none is eligible: the country served least recently in this
    /// run first, then never-tried before failed tasks, then the oldest — so a country's stalling subscriptions
    /// delay another country's delivery by at most the attempts already under way.
    func claim(turns: CountryTurns = CountryTurns()) async throws -> CallbackTask? {
        let now = UTCTimestamp.millis(clock())
        let task = try await store.claimCallbackTask(
            now: now, lastTryBefore: now - Int64(settings.retryWait * 1000), countryRank: { turns.rank($0) })
        if let task { turns.served(task.country) }
        return task
    }

    /// Round-robin over countries within one run: when each country was last served.
    final class CountryTurns: Sendable {
        private let state = NIOLockedValueBox((next: 0, last: [String: Int]()))

        /// -1 for a country not served yet in this run, else the turn it was last served (lower = longer ago).
        func rank(_ country: String) -> Int {
            state.withLockedValue { $0.last[country] ?? -1 }
        }

        /// Records that `country` was just served.
        func served(_ country: String) {
            state.withLockedValue { state in
                state.last[country] = state.next
                state.next += 1
            }
        }
    }

    enum Outcome {
        case delivered
        case retryLater
        case dropped
    }

    func deliver(_ task: CallbackTask, scope: EventScope) async throws -> Outcome {
        scope.info("Setting execution lock for CallbackTask.", ["taskId": String(task.id)])
        defer { scope.info("Removing execution lock for CallbackTask.", ["taskId": String(task.id)]) }
        let attempt = task.retries
        let vetted: CallbackURLPolicy.VettedURL
        switch await policy.vet(task.url) {
        case .success(let v): vetted = v
        case .failure:
            scope.error(
                "Security check for callback url has failed.",
                ["callbackId": task.callbackId, "country": task.country, "url": task.url])
            return try await failed(task, scope: scope)
        }
        let pins = try await pinnedThumbprints(country: task.country, host: vetted.host, scope: scope)
        guard !pins.isEmpty else {
            scope.error(
                "Could not find callback certificate.",
                ["callbackId": task.callbackId, "country": task.country, "thumbprint": ""])
            return try await failed(task, scope: scope)
        }
        let date = UTCDay(epochMillis: task.batchCreatedAt).description
        let target = "\(vetted.path)?batchTag=\(task.batchTag)&date=\(date)"
        let check = CallbackServerCheck(host: vetted.host, pinnedThumbprints: pins, now: clock())
        switch await client.deliver(to: vetted, target: target, check: check) {
        case .success(let status):
            scope.info(
                "Got 2xx response for callback.",
                [
                    "retry": String(attempt), "callbackId": task.callbackId, "country": task.country,
                    "batchTag": task.batchTag, "statusCode": String(status),
                ])
            try await store.deleteCallbackTask(id: task.id)
            scope.info(
                "Successfully executed callback. Deleting callback task from database",
                [
                    "retry": String(attempt), "callbackId": task.callbackId, "country": task.country,
                    "batchTag": task.batchTag, "statusCode": String(status),
                ])
            Counter(label: "efgs_callback_attempts_total", dimensions: [("result", "success")]).increment()
            return .delivered
        case .failure(let failure):
            switch failure {
            case .status(let code):
                scope.error(
                    "Got a non 2xx response for callback.",
                    ["callbackId": task.callbackId, "country": task.country, "statusCode": String(code)])
            case .certificate(let reason):
                scope.error(
                    "Could not find callback certificate.",
                    ["callbackId": task.callbackId, "country": task.country, "thumbprint": reason])
            default:
                scope.error(
                    "Got no response for callback.",
                    ["callbackId": task.callbackId, "country": task.country, "reason": failure.description])
            }
            return try await failed(task, scope: scope)
        }
    }

    /// A failed attempt: count a retry, or drop the task (or the subscription) after the last one.
    func failed(_ task: CallbackTask, scope: EventScope) async throws -> Outcome {
        Counter(label: "efgs_callback_attempts_total", dimensions: [("result", "failure")]).increment()
        if task.retries < settings.maxRetries {
            try await store.recordCallbackFailure(id: task.id, now: UTCTimestamp.millis(clock()))
            return .retryLater
        }
        Counter(label: "efgs_callback_tasks_dropped_total").increment()
        if settings.deleteSubscriptionOnFailure {
            scope.error(
                "Callback reached max amount of retries. Deleting callback subscription.",
                ["callbackId": task.callbackId, "country": task.country, "batchTag": task.batchTag])
            try await store.deleteCallbackSubscription(id: task.subscriptionId)
        } else {
            scope.error(
                "Callback reached max amount of retries. Dropping callback task.",
                ["callbackId": task.callbackId, "country": task.country, "batchTag": task.batchTag])
            try await store.deleteCallbackTask(id: task.id)
        }
        return .dropped
    }

    /// The pins of a delivery: thumbprints of the candidate CALLBACK rows
    /// (``CertificateDirectory/callbackRows(country:host:log:)``).
    func pinnedThumbprints(country: String, host: String, scope: EventScope) async throws -> Set<String> {
        Set(try await certificates.callbackRows(country: country, host: host, log: scope).map(\.row.thumbprint))
    }
}
