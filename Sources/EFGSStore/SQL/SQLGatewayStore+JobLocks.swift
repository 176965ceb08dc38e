// SPDX-License-Identifier: EUPL-1.2

import SQLKit

/// ``JobLockStore``: job locks with leases (PROTOCOL.md §7.8).
extension SQLGatewayStore {
    public func acquireJobLock(name: String, holder: String, now: Int64, leaseUntil: Int64) async throws -> Bool {
        try await backend.transaction { db in
            try await db.raw(
                """
                INSERT INTO job_locks (name, holder, lease_until)
                VALUES (\(bind: name), \(bind: holder), \(bind: leaseUntil))
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
                  WHERE job_locks.lease_until < \(bind: now) OR job_locks.holder = excluded.holder
                RETURNING holder
                """
            ).first() != nil
        }
    }

    public func releaseJobLock(name: String, holder: String) async throws {
        try await backend.transaction { db in
            try await db.raw("DELETE FROM job_locks WHERE name = \(bind: name) AND holder = \(bind: holder)").run()
        }
    }

    public func jobLockHolder(name: String) async throws -> String? {
        try await backend.read { db in
            try await db.raw("SELECT holder FROM job_locks WHERE name = \(bind: name)").first()?
                .decode(column: "holder", as: String.self)
        }
    }

    public func takeOverJobLock(
        name: String, from previous: String, holder: String, leaseUntil: Int64
    ) async throws -> Bool {
        try await backend.transaction { db in
            try await db.raw(
                """
                UPDATE job_locks SET holder = \(bind: holder), lease_until = \(bind: leaseUntil)
                WHERE name = \(bind: name) AND holder = \(bind: previous)
                RETURNING holder
                """
            ).first() != nil
        }
    }
}
