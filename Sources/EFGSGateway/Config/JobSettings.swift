// SPDX-License-Identifier: EUPL-1.2

/// `jobs.*` (PROTOCOL.md §7.8, §9): job locks shared by the instances of one database.
public struct JobSettings: Sendable {
    /// `jobs.lockLease`: seconds a job lock is leased; renewed every third of it while the job runs, so a crashed
    /// holder blocks its job for at most this long.
    public var lockLease: Double = 30

    /// The defaults of §9.
    public init() {}

    init(_ settings: SettingsReader) throws {
        // renewed every third of the lease: a shorter one would hammer the database with renewals
        lockLease = try settings.seconds("lockLease", default: lockLease, minimum: 3)
    }
}
