/// `jobs.*` (PROTOCOL.md §7.8, §9): job locks shared by the instances of one database.
public struct JobSettings: Sendable {
    /// `jobs.lockLease`: seconds a job lock is leased; renewed every third of it while the job runs.
    public var lockLease: Double = 1800

    /// The defaults of §9.
    public init() {}

    init(_ settings: SettingsReader) throws {
        lockLease = try settings.seconds("lockLease", default: lockLease)
    }
}
