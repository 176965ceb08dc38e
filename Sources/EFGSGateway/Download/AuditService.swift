// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import Foundation

/// The audit of a download batch (PROTOCOL.md §5.5, §7.4): one entry per upload batch of another country in the
/// batch, in download order, with the certificate snapshots and operator signatures stored at upload time.
public struct AuditService: Sendable {
    let store: any DownloadStore
    let requestedDate: RequestedDate
    let clock: @Sendable () -> Date

    /// An audit service over `store`; `maxAgeDays` is `download.maxAgeDays`.
    public init(store: any DownloadStore, maxAgeDays: Int, clock: @escaping @Sendable () -> Date) {
        self.store = store
        self.requestedDate = RequestedDate(maxAgeDays: maxAgeDays)
        self.clock = clock
    }

    /// The entries of batch `batchTag` requested for `date` by `caller`.
    public func entries(
        date: String, batchTag: String, for caller: AuthenticatedCountry, log: EventScope
    ) async throws -> [AuditEntry] {
        let day = try requestedDate.day(date, today: UTCDay(clock()))
        let notFound: [(String, String)] = [("batchTag", batchTag), ("requestedDate", date)]
        // a text that is no `yyyyMMdd-N` names no batch, and is never sent to the store (`%00` on PostgreSQL)
        guard BatchTag(batchTag) != nil, let batch = try await batch(tag: batchTag) else {
            throw Self.refusal("Could not find batch with given BatchTag", notFound)
        }
        guard day <= UTCDay(epochMillis: batch.createdAt) else {
            throw Self.refusal("Given date does not match the requested batch", notFound)
        }
        if let reason = batch.quarantineReason { throw DownloadService.withdrawn(batch.tag, reason: reason) }
        let records = try await store.auditEntries(batchTag: batch.tag, excludingCountry: caller.country)
        log.component("AuditController").info(
            "Requested Audit Information",
            ["batchTag": batchTag, "requestedDate": date, "numEntries": String(records.count)])
        return records.map(AuditEntry.init(record:))
    }

    /// The batch row tagged `tag`, read now: on this thread where the store can
    /// (``DownloadStore/downloadBatchNow(_:)``, SQLite), otherwise through the store's usual read.
    func batch(tag: String) async throws -> DownloadBatchRecord? {
        if let rows = store.downloadBatchNow(.tag(tag)) { return rows.first }
        return try await store.downloadBatch(.tag(tag))
    }

    /// 404 logged by class AuditController.
    static func refusal(_ message: String, _ attributes: [(String, String)]) -> APIError {
        APIError(404, message, event: .init("AuditController", .error, "BatchTag Could not found", attributes))
    }
}

extension AuditEntry {
    /// The entry of a stored upload batch (§7.4).
    init(record: UploadBatchRecord) {
        self.init(
            country: record.country, uploadedTime: UTCTimestamp.format(epochMillis: record.acceptedAt),
            uploaderCertificate: record.authPEM, uploaderThumbprint: record.authThumbprint,
            uploaderOperatorSignature: record.authOperatorSignature, signingCertificate: record.signerPEM,
            uploaderSigningThumbprint: record.signerThumbprint,
            signingCertificateOperatorSignature: record.signerOperatorSignature, amount: record.keyCount,
            batchSignature: record.batchSignature)
    }
}
