// SPDX-License-Identifier: EUPL-1.2

import SQLKit

/// ``BatchQuarantineStore``: download batches taken out of the chain and put back.
extension SQLGatewayStore {
    public func quarantineDownloadBatch(tag: String, reason: String, at millis: Int64) async throws -> Bool {
        try await backend.transaction { db in
            guard
                let row = try await db.raw(
                    "SELECT next_tag FROM download_batches WHERE tag = \(bind: tag) AND quarantined_at IS NULL"
                ).first()
            else { return false }
            let next = try row.decode(column: "next_tag", as: String?.self)
            try await db.raw(
                """
                UPDATE download_batches SET quarantined_at = \(bind: millis), quarantine_reason = \(bind: reason)
                WHERE tag = \(bind: tag)
                """
            ).run()
            try await db.raw("UPDATE download_batches SET next_tag = \(bind: next) WHERE next_tag = \(bind: tag)").run()
            return true
        }
    }

    public func releaseDownloadBatch(tag: String) async throws -> Bool {
        try await backend.transaction { db in
            guard
                let row = try await db.raw(
                    "SELECT seq FROM download_batches WHERE tag = \(bind: tag) AND quarantined_at IS NOT NULL"
                ).first()
            else { return false }
            let seq = try row.decode(column: "seq", as: Int64.self)
            try await db.raw(
                """
                UPDATE download_batches SET quarantined_at = NULL, quarantine_reason = NULL WHERE tag = \(bind: tag)
                """
            ).run()
            try await db.raw(
                """
                UPDATE download_batches SET next_tag = \(bind: tag)
                WHERE seq = (SELECT MAX(seq) FROM download_batches WHERE seq < \(bind: seq) AND quarantined_at IS NULL)
                """
            ).run()
            return true
        }
    }
}
