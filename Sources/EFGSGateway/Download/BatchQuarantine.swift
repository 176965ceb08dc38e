// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSStore
import Foundation

/// A download batch that cannot be served never stops the federation (docs/runbook.md): `efgs batch inspect`
/// shows what it holds and whether every key decrypts; `efgs batch quarantine` takes it out of the chain (its
/// predecessor links to its successor, downloads of its tag answer 410) without deleting anything; `efgs batch
/// release` puts it back. Both changes are recorded in the operator audit.
public struct BatchQuarantine: Sendable {
    /// What a download batch holds.
    public struct Inspection: Sendable {
        /// The batch.
        public var batch: DownloadBatchRecord
        /// Its upload batches, in download order.
        public var uploads: [UploadBatchRecord]
        /// Keys per storage key id that sealed them.
        public var keysByKeyId: [String: Int]
        /// Keys that do not decrypt with the configured storage keys, with the first reason.
        public var undecryptable: Int
        /// The first reason a key did not decrypt.
        public var firstFailure: String?
    }

    let store: any GatewayStore
    let cipher: StorageCipher
    let audit: OperatorAudit
    let clock: @Sendable () -> Date

    /// Quarantine over `store`, opening keys with `cipher`, recording in `audit`.
    public init(
        store: any GatewayStore, cipher: StorageCipher, audit: OperatorAudit, clock: @escaping @Sendable () -> Date
    ) {
        self.store = store
        self.cipher = cipher
        self.audit = audit
        self.clock = clock
    }

    /// The contents of batch `tag`, or nil when there is none.
    public func inspect(tag: String) async throws -> Inspection? {
        guard let batch = try await store.downloadBatch(tag: tag) else { return nil }
        let uploads = try await store.auditEntries(batchTag: tag, excludingCountry: "")
        let keys = try await store.downloadKeys(batchTag: tag, excludingCountry: "")
        var byKeyId: [String: Int] = [:]
        var undecryptable = 0
        var firstFailure: String?
        for key in keys {
            let sealed = key.sealedPayload
            let id =
                sealed.count > 2 && sealed[0] == 0x01 && sealed.count >= 2 + Int(sealed[1])
                ? String(decoding: sealed[2..<(2 + Int(sealed[1]))], as: UTF8.self) : "(malformed)"
            byKeyId[id, default: 0] += 1
            do {
                _ = try cipher.open(sealed, mac: key.dedupMAC)
            } catch {
                undecryptable += 1
                if firstFailure == nil { firstFailure = "\(error)" }
            }
        }
        return Inspection(
            batch: batch, uploads: uploads, keysByKeyId: byKeyId, undecryptable: undecryptable,
            firstFailure: firstFailure)
    }

    /// Takes `tag` out of the chain.
    ///
    /// - Throws: ``CertificateAdministrationError`` `.invalidArgument` when there is no such served batch.
    public func quarantine(tag: String, reason: String, by context: OperatorContext = .current()) async throws {
        let done = try await store.quarantineDownloadBatch(tag: tag, reason: reason, at: UTCTimestamp.millis(clock()))
        try await audit.record(
            "batch quarantine", by: context, country: nil, subject: "download batch \(tag)",
            outcome: done ? "quarantined: \(reason)" : "no such served batch", refused: !done)
        if !done { throw CertificateAdministrationError(.invalidArgument, "no served download batch \(tag)") }
    }

    /// Puts `tag` back into the chain.
    ///
    /// - Throws: ``CertificateAdministrationError`` `.invalidArgument` when there is no such quarantined batch.
    public func release(tag: String, by context: OperatorContext = .current()) async throws {
        let done = try await store.releaseDownloadBatch(tag: tag)
        try await audit.record(
            "batch release", by: context, country: nil, subject: "download batch \(tag)",
            outcome: done ? "released" : "no such quarantined batch", refused: !done)
        if !done { throw CertificateAdministrationError(.invalidArgument, "no quarantined download batch \(tag)") }
    }
}
