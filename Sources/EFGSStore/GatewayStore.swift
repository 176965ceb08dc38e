import EFGSProtocol
import Foundation

/// The gateway's data-access interface. Handlers and jobs use only this; SQLite (default) and PostgreSQL
/// implementations sit behind it.
public protocol GatewayStore: Sendable {
    /// Applies pending migrations; returns the versions applied now.
    @discardableResult func migrate() async throws -> [Int]
    func schemaVersion() async throws -> Int
    /// A round trip to the database (`SELECT 1`).
    func ping() async throws
    func close() async throws

    // MARK: certificate table (§7.6)
    func insertCertificate(_ row: CertificateRow) async throws -> CertificateRow
    func certificates(thumbprint: String, type: CertificateType) async throws -> [CertificateRow]
    func certificates(country: String?, type: CertificateType?) async throws -> [CertificateRow]
    /// Returns the number of rows changed.
    func revokeCertificates(thumbprint: String?, country: String?, type: CertificateType?) async throws -> Int

    // MARK: uploads (§5.3, §7.1, §7.2)
    func isUploadTagReserved(country: String, tag: String) async throws -> Bool
    /// Stores the upload batch, its keys and the tag reservation in one transaction, or reports why not.
    func storeUpload(_ batch: UploadBatchRecord, keys: [StoredKey]) async throws -> UploadStoreOutcome
    func unbatchedKeyCount() async throws -> Int

    // MARK: batching (§7.3)
    /// Creates one download batch from the oldest unbatched upload batches, or returns nil when none is left.
    func createDownloadBatch(now: Date, docLimit: Int) async throws -> DownloadBatchRecord?

    // MARK: download and audit (§5.4, §5.5)
    func downloadBatch(tag: String) async throws -> DownloadBatchRecord?
    func firstDownloadBatch(createdAtOrAfter millis: Int64) async throws -> DownloadBatchRecord?
    /// Sealed payloads and MACs of the batch's keys not uploaded by `excludingCountry`, in download order.
    func downloadKeys(batchTag: String, excludingCountry: String) async throws -> [StoredKey]
    /// Upload batches of other countries in the batch, in download order.
    func auditEntries(batchTag: String, excludingCountry: String) async throws -> [UploadBatchRecord]

    // MARK: callback subscriptions (§5.6)
    func callbackSubscriptions(country: String) async throws -> [CallbackSubscription]
    func upsertCallbackSubscription(country: String, callbackId: String, url: String, now: Int64) async throws
    /// Deletes the subscription and its pending tasks; false when it does not exist.
    func deleteCallbackSubscription(country: String, callbackId: String) async throws -> Bool
    func deleteCallbackSubscriptions(country: String) async throws -> Int

    // MARK: callback delivery (§7.5)
    /// Claims the oldest eligible task — its predecessor no longer exists, it is unlocked, no other task of its
    /// subscription is locked, and it was never tried or last tried at or before `lastTryBefore` — by an atomic
    /// conditional update (lock = now where lock is null). Nil when no task is eligible.
    func claimCallbackTask(now: Int64, lastTryBefore: Int64) async throws -> CallbackTask?
    /// Success, or a task dropped after its last retry.
    func deleteCallbackTask(id: Int64) async throws
    /// A failed attempt with retries left: retries + 1, last try = now, lock cleared.
    func recordCallbackFailure(id: Int64, now: Int64) async throws
    /// Clears locks set before `lockedBefore` (abandoned by a crashed executor); returns how many.
    func releaseCallbackLocks(lockedBefore: Int64) async throws -> Int
    /// Deletes a subscription and its tasks by row id (`callback.deleteSubscriptionOnFailure`).
    func deleteCallbackSubscription(id: Int64) async throws
    func pendingCallbackTaskCount() async throws -> Int

    // MARK: job locks (§7.8)
    /// Takes the job lock `name` for `holder` until `leaseUntil` when it is free, its lease has expired before
    /// `now`, or `holder` holds it already (renewal). Returns whether `holder` holds it now. One atomic statement.
    func acquireJobLock(name: String, holder: String, now: Int64, leaseUntil: Int64) async throws -> Bool
    /// Releases the lock if `holder` holds it.
    func releaseJobLock(name: String, holder: String) async throws

    // MARK: retention and statistics (§7.7)
    func purgeKeys(acceptedBefore cutoff: Int64, chunkSize: Int) async throws -> CleanupResult
    func purgeStatistics(before cutoff: Int64) async throws -> Int
    func recordDownloadStatistic(time: Int64, country: String, batchTag: String, keyCount: Int) async throws
    func countryActivity() async throws -> [CountryActivity]
    func storedKeyCount() async throws -> Int
}
