// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSStore
import Foundation

/// The gateway's domain services over one store, trust anchor and configuration: what the HTTP handlers, the jobs
/// and the operator commands call. It holds no HTTP and no schedule (``GatewayAPI`` and ``GatewayApplication`` do).
public final class GatewayServices: Sendable {
    /// The configuration it was built from.
    public let config: GatewayConfiguration
    /// The store.
    public let store: any GatewayStore
    /// The operator's current trust anchor (§7.6).
    public let trustAnchor: TrustAnchor
    /// The current trust anchor and, during a rotation, the next one: a row verifies under either.
    public let anchors: TrustAnchors
    /// Encryption and dedup MACs of stored keys (§7.1).
    public let cipher: StorageCipher
    /// The event log (§7.9).
    public let log: EventLog
    /// The clock; tests move it.
    public let clock: @Sendable () -> Date
    /// Content negotiation with the configured versions (§5.1).
    public let negotiator: ContentNegotiator
    /// Integrity-checked certificate lookups (§7.6).
    public let certificates: CertificateDirectory
    /// Caller authentication (§4).
    public let authenticator: Authenticator
    /// Uploads (§5.3).
    public let upload: UploadService
    /// Downloads (§5.4).
    public let download: DownloadService
    /// Audit (§5.5).
    public let audit: AuditService
    /// Callback subscriptions (§5.6).
    public let subscriptions: CallbackSubscriptionService
    /// The public API's requests of the last hour, for the operator console.
    public let traffic = TrafficRecorder()
    /// The job runs of this process, for the operator console.
    public let jobHistory = JobHistory()

    /// The services of `config` over `store`.
    ///
    /// - Parameter onDocLimitReached: called when an upload makes the unbatched key count reach
    ///   `batching.docLimit` (the early batching trigger of §7.3).
    public init(
        config: GatewayConfiguration, store: any GatewayStore, trustAnchor: TrustAnchor,
        nextTrustAnchor: TrustAnchor? = nil, log: EventLog,
        clock: @escaping @Sendable () -> Date = { Date() }, onDocLimitReached: @escaping @Sendable () -> Void = {}
    ) throws {
        self.config = config
        self.store = store
        self.trustAnchor = trustAnchor
        let anchors = TrustAnchors(current: trustAnchor, next: nextTrustAnchor)
        self.anchors = anchors
        self.log = log
        self.clock = clock
        let cipher = try StorageCipher(config.storage)
        let certificates = CertificateDirectory(store: store, trustAnchor: anchors)
        self.cipher = cipher
        self.certificates = certificates
        negotiator = ContentNegotiator(protobufVersion: config.api.protobufVersion, jsonVersion: config.api.jsonVersion)
        authenticator = Authenticator(settings: config.auth, certificates: certificates)
        let signatures = SignatureCheck(
            verifier: BatchSignatureVerifier(allowLegacySha1: config.api.allowLegacySha1), certificates: certificates,
            clock: clock)
        upload = UploadService(
            store: store, cipher: cipher, signatures: signatures, settings: config.api,
            docLimit: config.batching.docLimit, clock: clock, onDocLimitReached: onDocLimitReached)
        download = DownloadService(
            store: store, cipher: cipher, maxAgeDays: config.api.downloadMaxAgeDays,
            cache: DownloadCache(capacityBytes: config.api.downloadCacheMegabytes * 1_048_576), log: log, clock: clock)
        audit = AuditService(store: store, maxAgeDays: config.api.downloadMaxAgeDays, clock: clock)
        subscriptions = CallbackSubscriptionService(
            store: store, certificates: certificates,
            policy: CallbackURLPolicy(
                allowLoopback: config.callback.allowLoopback,
                resolve: { [resolver = HostResolver.shared(for: config.callback)] in await resolver.resolve($0) }),
            maxSubscriptions: config.callback.maxSubscriptionsPerCountry, clock: clock)
    }

    // MARK: jobs (§7.3, §7.5, §7.7, §7.8)

    /// The batching job (§7.3).
    public var batching: BatchingJob {
        BatchingJob(store: store, log: log, settings: config.batching, clock: clock)
    }

    /// The key-retention job (§7.7).
    public var keyRetention: KeyRetentionJob {
        KeyRetentionJob(store: store, log: log, settings: config.retention, clock: clock)
    }

    /// The statistics-retention job (§7.7).
    public var statisticsRetention: StatisticsRetentionJob {
        StatisticsRetentionJob(store: store, settings: config.retention, clock: clock)
    }

    /// The callback lock cleanup (§7.5).
    public var callbackLockCleanup: CallbackLockCleanupJob {
        CallbackLockCleanupJob(store: store, log: log, settings: config.callback, clock: clock)
    }

    /// The callback executor delivering with `client` (§7.5); `resolve` replaces DNS in tests.
    public func callbackExecutor(
        client: CallbackClient, resolve: (@Sendable (String) async -> [[UInt8]])? = nil
    ) -> CallbackExecutor {
        CallbackExecutor(
            store: store, certificates: certificates, client: client, settings: config.callback, log: log,
            clock: clock, resolve: resolve)
    }

    /// The job lock `name` (§7.8) for this process, or for `holder`.
    public func jobLock(_ name: String, holder: String = JobLock.processHolder) -> JobLock {
        JobLock(
            name, store: store, log: log, lease: config.jobs.lockLease, clock: clock, holder: holder,
            history: jobHistory)
    }

    // MARK: operator use cases

    /// The usage and retention reports (§7.7).
    public var reports: OperatorReports {
        OperatorReports(
            store: store, retention: config.retention, clock: clock,
            pendingStatistics: { [download = self.download] in await download.flushStatistics(within: .seconds(5)) })
    }

    /// The operator audit trail.
    public var operatorAudit: OperatorAudit {
        OperatorAudit(store: store, log: log, clock: clock)
    }

    /// Certificate-table decisions (import, revoke, list, verify).
    public var certificateRegistry: CertificateRegistry {
        CertificateRegistry(store: store, trustAnchor: anchors, audit: operatorAudit)
    }

    /// The countries and their state (`efgs country list`).
    public var countries: CountryDirectory {
        CountryDirectory(
            store: store, trustAnchor: anchors, certificates: certificates,
            pendingStatistics: { [download = self.download] in await download.flushStatistics(within: .seconds(5)) })
    }

    /// Inspecting, quarantining and releasing download batches (`efgs batch inspect|quarantine|release`).
    public var batchQuarantine: BatchQuarantine {
        BatchQuarantine(store: store, cipher: cipher, audit: operatorAudit, clock: clock)
    }

    /// Disconnecting a country (`efgs country disconnect`).
    public var offboarding: CountryOffboarding {
        CountryOffboarding(store: store, log: log, audit: operatorAudit)
    }
}
