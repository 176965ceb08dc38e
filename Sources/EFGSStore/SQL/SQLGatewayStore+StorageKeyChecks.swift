// SPDX-License-Identifier: EUPL-1.2

import Foundation
import SQLKit

/// ``StorageKeyCheckStore``: the key check values of the storage keys (§7.1).
extension SQLGatewayStore {
    public func storageKeyChecks() async throws -> [String: [UInt8]] {
        try await backend.read { db in
            let rows = try await db.raw("SELECT key_id, check_value FROM storage_key_checks").all()
            var checks: [String: [UInt8]] = [:]
            for row in rows {
                checks[try row.decode(column: "key_id", as: String.self)] = Array(
                    try row.decode(column: "check_value", as: Data.self))
            }
            return checks
        }
    }

    public func recordStorageKeyCheck(keyId: String, checkValue: [UInt8], at millis: Int64) async throws {
        try await backend.transaction { db in
            try await db.raw(
                """
                INSERT INTO storage_key_checks (key_id, check_value, recorded_at)
                VALUES (\(bind: keyId), \(bind: Data(checkValue)), \(bind: millis))
                ON CONFLICT (key_id) DO NOTHING
                """
            ).run()
        }
    }

    public func hasValuesSealed(withPrefix prefix: [UInt8]) async throws -> Bool {
        let dialect = backend.dialect
        return try await backend.read { db in
            let head =
                dialect == .sqlite
                ? SQLQueryString("substr(payload, 1, \(unsafeRaw: String(prefix.count)))")
                : SQLQueryString("substring(payload from 1 for \(unsafeRaw: String(prefix.count)))")
            return try await db.raw("SELECT 1 FROM diagnosis_keys WHERE \(head) = \(bind: Data(prefix)) LIMIT 1")
                .first()
                != nil
        }
    }
}
