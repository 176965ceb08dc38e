// SPDX-License-Identifier: EUPL-1.2

/// Cluster-wide job locks with leases (PROTOCOL.md §7.8): one runner per job across instances.
public protocol JobLockStore: Sendable {
    /// Takes the job lock `name` for `holder` until `leaseUntil` when it is free, its lease has expired before
    /// `now`, or `holder` holds it already (renewal). Returns whether `holder` holds it now. One atomic statement.
    func acquireJobLock(name: String, holder: String, now: Int64, leaseUntil: Int64) async throws -> Bool
    /// Releases the lock if `holder` holds it.
    func releaseJobLock(name: String, holder: String) async throws
    /// The current holder of the lock `name`, if any row exists (held or with an expired lease).
    func jobLockHolder(name: String) async throws -> String?
    /// Takes the lock `name` from `previous` for `holder` until `leaseUntil`, only if `previous` still holds it (a
    /// holder known to be gone, §7.8). Returns whether `holder` holds it now. One atomic statement.
    func takeOverJobLock(name: String, from previous: String, holder: String, leaseUntil: Int64) async throws -> Bool
}
