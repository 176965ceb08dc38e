// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import Foundation

/// An upload-batch record with placeholder snapshots (country DE unless told, accepted now unless told).
func uploadRecord(
    _ n: Int, tag: String, format: WireFormat = .protobuf, country: String = "DE",
    acceptedAt: Int64 = UTCTimestamp.millis(Date())
) -> UploadBatchRecord {
    UploadBatchRecord(
        country: country, uploadTag: tag, acceptedAt: acceptedAt, keyCount: n, format: format,
        batchSignature: "sig", authThumbprint: "a", authPEM: "p", authOperatorSignature: "o",
        signerThumbprint: "s", signerPEM: "p", signerOperatorSignature: "o")
}

/// A random 32-byte dedup MAC.
func randomMAC() -> [UInt8] {
    (0..<32).map { _ in UInt8.random(in: 0...255) }
}

/// `n` keys with random MACs and a one-byte payload.
func randomKeys(_ n: Int) -> [StoredKey] {
    (0..<n).map { StoredKey(position: $0, dedupMAC: randomMAC(), sealedPayload: [1]) }
}

extension GatewayStore {
    /// Stores one upload of `n` random keys and turns it into a download batch of its own; returns the batch.
    func uploadAndBatch(
        _ n: Int = 1, tag: String, country: String = "DE", now: Date = Date()
    ) async throws -> DownloadBatchRecord {
        guard case .stored = try await storeUpload(uploadRecord(n, tag: tag, country: country), keys: randomKeys(n))
        else { throw FixtureError.notStored(tag) }
        guard let batch = try await createDownloadBatch(now: now, docLimit: n) else { throw FixtureError.noBatch(tag) }
        return batch
    }
}

enum FixtureError: Error {
    case notStored(String)
    case noBatch(String)
}
