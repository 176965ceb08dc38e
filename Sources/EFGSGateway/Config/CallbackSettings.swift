// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// `callback.*` (PROTOCOL.md §7.5, §9): callback delivery.
public struct CallbackSettings: Sendable {
    /// `callback.allowLoopback`: allow loopback targets (tests and demos only; a warning at start).
    public var allowLoopback = false
    /// `callback.executeInterval`: seconds between delivery runs (a run also follows every productive batching).
    public var executeInterval: Double = 300
    /// `callback.retryWait`: seconds before a failed task is tried again.
    public var retryWait: Double = 300
    /// `callback.maxRetries`: failed attempts after which a task (or its subscription) is dropped.
    public var maxRetries = 5
    /// `callback.timeout`: seconds for connecting and for the whole request.
    public var timeout: Double = 10
    /// `callback.taskLockTimeout`: a task lock older than this was abandoned by a crashed executor.
    public var taskLockTimeout: Double = 300
    /// Seconds between lock-cleanup runs (not a setting).
    public var lockCleanupInterval: Double = 60
    /// `callback.parallelism`: concurrent deliveries (1…64).
    public var parallelism = 1
    /// `callback.maxSubscriptionsPerCountry`: subscriptions one country may hold; a PUT of a new callbackId beyond
    /// it is refused with 400 `Too many callback subscriptions` (one country cannot crowd out delivery to others).
    public var maxSubscriptionsPerCountry = 10
    /// `callback.dnsTimeout`: seconds a host-name lookup of a callback URL may take (at a subscription PUT and before
    /// each delivery; at most 30, and `callback.taskLockTimeout` must exceed it plus `callback.timeout`); a host that has not answered by then is unresolvable (`Callback URL is invalid`
    /// at a PUT, a failed attempt at delivery).
    public var dnsTimeout: Double = 5
    /// `callback.dnsThreads`: threads of the lookup pool (1…64). Lookups block their thread for as long as DNS
    /// takes, so they never run on the threads that serve requests and jobs.
    public var dnsThreads = 4
    /// `callback.dnsMaxPending`: lookups under way at most, queued or running, shared by every country's PUTs and
    /// every delivery. One beyond it is unresolvable at once, so hosts whose DNS never answers cost a bounded number
    /// of threads and nothing else — but while they hold every slot, other lookups fail too, so keep it well above
    /// `callback.parallelism`. Unset: the largest of 16, `dnsThreads` and twice `parallelism`; set, it must be at
    /// least `dnsThreads` and `parallelism`.
    public var dnsMaxPending = 16
    /// `callback.deleteSubscriptionOnFailure`: drop the subscription, not only the task, after the last retry.
    public var deleteSubscriptionOnFailure = false
    /// `callback.clientCertificatePath`: the identity presented to callback servers (PEM); required by the
    /// commands that deliver callbacks.
    public var clientCertificatePath: String?
    /// `callback.clientKeyPath`: its private key (PEM).
    public var clientKeyPath: String?
    /// `callback.proxyUrl`: an optional HTTP CONNECT proxy (`http://host:port`).
    public var proxyURL: String?

    /// The defaults of §9.
    public init() {}

    init(_ settings: SettingsReader) throws {
        allowLoopback = try settings.bool("allowLoopback", default: false)
        executeInterval = try settings.seconds("executeInterval", default: executeInterval)
        retryWait = try settings.seconds("retryWait", default: retryWait)
        maxRetries = try settings.int("maxRetries", default: maxRetries, in: 0...100)
        timeout = try settings.seconds("timeout", default: timeout)
        taskLockTimeout = try settings.seconds("taskLockTimeout", default: taskLockTimeout)
        // a lock younger than one attempt's timeout may belong to a delivery still running: releasing it would
        // deliver the task twice
        guard taskLockTimeout > timeout else {
            throw settings.invalid(
                "taskLockTimeout",
                "\(taskLockTimeout) s must be longer than callback.timeout (\(timeout) s), or running deliveries are "
                    + "released and repeated")
        }
        parallelism = try settings.int("parallelism", default: parallelism, in: 1...64)
        maxSubscriptionsPerCountry = try settings.int(
            "maxSubscriptionsPerCountry", default: maxSubscriptionsPerCountry, in: 1...1000)
        dnsTimeout = try settings.seconds("dnsTimeout", default: dnsTimeout)
        guard dnsTimeout <= 30 else {
            throw settings.invalid(
                "dnsTimeout",
                "\(dnsTimeout) s is more than 30 s (a subscription PUT waits for the lookup, and a proxy in front "
                    + "gives up after 60 s)")
        }
        // a delivery holds its task's lock through the lookup and the request
        guard taskLockTimeout > timeout + dnsTimeout else {
            throw settings.invalid(
                "taskLockTimeout",
                "\(taskLockTimeout) s must be longer than callback.timeout plus callback.dnsTimeout "
                    + "(\(timeout + dnsTimeout) s), or running deliveries are released and repeated")
        }
        dnsThreads = try settings.int("dnsThreads", default: dnsThreads, in: 1...64)
        if settings.string("dnsMaxPending") == nil {
            dnsMaxPending = max(16, dnsThreads, 2 * parallelism)
        } else {
            dnsMaxPending = try settings.int("dnsMaxPending", default: dnsMaxPending, in: 1...1024)
            guard dnsMaxPending >= dnsThreads else {
                throw settings.invalid(
                    "dnsMaxPending", "\(dnsMaxPending) is below callback.dnsThreads (\(dnsThreads)): threads would idle"
                )
            }
            guard dnsMaxPending >= parallelism else {
                throw settings.invalid(
                    "dnsMaxPending",
                    "\(dnsMaxPending) is below callback.parallelism (\(parallelism)): deliveries would fail for want of "
                        + "a lookup")
            }
        }
        deleteSubscriptionOnFailure = try settings.bool("deleteSubscriptionOnFailure", default: false)
        clientCertificatePath = settings.string("clientCertificatePath")
        clientKeyPath = settings.string("clientKeyPath")
        if (clientCertificatePath == nil) != (clientKeyPath == nil) {
            throw settings.invalid(
                clientCertificatePath == nil ? "clientCertificatePath" : "clientKeyPath",
                "callback.clientCertificatePath and callback.clientKeyPath go together")
        }
        if let proxy = settings.string("proxyUrl") {
            guard let url = URLComponents(string: proxy), url.scheme?.lowercased() == "http",
                url.host?.isEmpty == false, let port = url.port, (1...65535).contains(port),
                url.path.isEmpty || url.path == "/", url.user == nil,
                url.query == nil
            else {
                throw settings.invalid("proxyUrl", "'\(proxy)' is not http://HOST:PORT")
            }
            proxyURL = proxy
        }
    }
}
