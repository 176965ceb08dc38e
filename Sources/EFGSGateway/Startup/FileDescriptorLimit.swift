// SPDX-License-Identifier: EUPL-1.2

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Every open connection holds a file descriptor: `server.maxConnections` must fit under the process's
/// RLIMIT_NOFILE with room for the database, the logs and the admin listener, or a flood of connections would
/// exhaust the descriptors and turn honest requests into failures (issue 12). At start the soft limit is raised to
/// the hard limit (setrlimit(2); the systemd unit sets `LimitNOFILE=65536`), then the setting is checked against it.
public enum FileDescriptorLimit {
    /// Descriptors kept for everything but client connections.
    public static let reserve = 256

    /// Raises the soft limit to the hard one; returns the soft limit in force afterwards.
    @discardableResult
    public static func raise() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return Int.max }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur == rlim_t.max ? Int.max : Int(clamping: limit.rlim_cur)  // RLIM_INFINITY
    }

    /// Raises the limit and refuses a `server.maxConnections` that does not fit under it.
    public static func check(maxConnections: Int) throws -> String {
        let available = raise()
        guard maxConnections <= available - reserve else {
            throw InvalidSetting(
                setting: "server.maxConnections",
                reason:
                    "\(maxConnections) connections do not fit the file-descriptor limit \(available) (minus \(reserve) "
                    + "for the database and logs); lower it or raise LimitNOFILE / ulimit -n")
        }
        return "\(maxConnections) connections fit the file-descriptor limit \(available)"
    }
}
