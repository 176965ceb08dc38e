// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// The database behind a gateway, read with the database's own command-line client (`sqlite3`, `psql`): an
/// independent look at the rows, for checks that must not trust the gateway's own store code.
struct SQLShell {
    /// `sqlite:PATH` or `postgres://…`, as in `database.url`.
    let url: String

    /// Whether the client for `url` is installed.
    var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: url.hasPrefix("postgres") ? "/usr/bin/psql" : "/usr/bin/sqlite3")
    }

    /// The rows `sql` selects, each as its columns' text (NULL as an empty string).
    func rows(_ sql: String) throws -> [[String]] {
        let r: (status: Int32, output: String)
        if url.hasPrefix("postgres") {
            r = try runProcess(
                URL(fileURLWithPath: "/usr/bin/psql"), ["-X", "-q", "-A", "-t", "-F", "|", url, "-c", sql])
        } else {
            // a writer may hold the file: wait for it up to 10 s rather than fail with SQLITE_BUSY
            r = try runProcess(
                URL(fileURLWithPath: "/usr/bin/sqlite3"),
                ["-batch", "-noheader", "-separator", "|", "-cmd", ".timeout 10000", String(url.dropFirst(7)), sql])
        }
        guard r.status == 0 else { throw HarnessError("\(sql): \(r.output)") }
        return r.output.split(separator: "\n", omittingEmptySubsequences: true).map {
            $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        }
    }

    /// Runs `sql` (statements that select nothing).
    func execute(_ sql: String) throws { _ = try rows(sql) }

    /// The single integer `sql` selects.
    func integer(_ sql: String) throws -> Int {
        guard let text = try rows(sql).first?.first, let n = Int(text) else {
            throw HarnessError("\(sql): no integer")
        }
        return n
    }
}
