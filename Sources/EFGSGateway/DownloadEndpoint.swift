import EFGSCrypto
import EFGSProtocol
import EFGSStore
import Foundation

extension Gateway {
    /// GET /diagnosiskeys/download/{date} — PROTOCOL.md §5.4.
    func download(_ req: APIRequest, date: String, scope: EventScope) async throws -> APIResponse {
        let format: WireFormat
        switch negotiator.downloadFormat(accept: req.accept) {
        case .failure(let f):
            scope.component("ContentNegotiation").error(f.event ?? f.message, ["requestedMediaType": req.accept ?? ""])
            return .error(f.status, f.message)
        case .success(let f): format = f
        }
        let caller: AuthenticatedCountry
        switch try await authenticate(req, scope) {
        case .failure(let r): return r
        case .success(let c): caller = c
        }
        let log = scope.component("DownloadController")
        let now = clock()
        let today = UTCDay(now)
        let day: UTCDay
        switch checkRequestedDate(date, today: today, scope: log) {
        case .failed(let r): return r
        case .ok(let d): day = d
        }
        if day > today {
            log.info("Could not find any batches for given date", ["requestedDate": date])
            return .error(404, "Could not find any batches for given date")
        }
        let headerTag = req.header("batchTag")?.trimmingCharacters(in: .whitespaces)
        let batch: DownloadBatchRecord
        if let tag = headerTag, !tag.isEmpty, tag.lowercased() != "null" {
            guard let b = try await store.downloadBatch(tag: tag) else {
                log.info("Could not find batch with given batchTag", ["batchTag": tag, "requestedDate": date])
                return .error(404, "Could not find batch with given BatchTag")
            }
            guard UTCDay(epochMillis: b.createdAt) >= day else {
                log.info("Given date does not match the requested batchTag", ["batchTag": tag, "requestedDate": date])
                return .error(400, "Given date does is not after or equals the requested batchTag")
            }
            batch = b
        } else {
            guard let b = try await store.firstDownloadBatch(createdAtOrAfter: day.startMillis) else {
                log.info("Could not find any batches for given date", ["requestedDate": date])
                return .error(404, "Could not find any batches for given date")
            }
            batch = b
        }
        let stored = try await store.downloadKeys(batchTag: batch.tag, excludingCountry: caller.country)
        // each stored payload is its key's deterministic protobuf encoding (§7.1)
        let payloads = try stored.map { try cipher.open($0.sealedPayload, mac: $0.dedupMAC) }
        let body: [UInt8]
        switch format {
        case .protobuf:
            body = DiagnosisKeyBatch.protobufBytes(encodedKeys: payloads)
        case .json:
            body = DiagnosisKeyJSONEncoder.encode(try payloads.map(DiagnosisKey.fromProtobuf))
        }
        try await store.recordDownloadStatistic(time: UTCTimestamp.millis(now), country: caller.country, batchTag: batch.tag, keyCount: payloads.count)
        log.info("Successful Batch Download", ["batchTag": batch.tag, "numKeys": String(payloads.count)])
        let version = format == .protobuf ? config.protobufVersion : config.jsonVersion
        return APIResponse(status: 200, headers: [
            ("Content-Type", format.contentType(version: version)),
            ("batchTag", batch.tag),
            ("nextBatchTag", batch.nextTag ?? "null"),
            ("X-Protobuf-Schema", "Efgs.proto"),
            ("X-Protobuf-Message", "eu.interop.DiagnosisKeyBatch"),
        ], body: body)
    }

    /// GET /diagnosiskeys/audit/download/{date}/{batchTag} — PROTOCOL.md §5.5 and §7.4.
    func audit(_ req: APIRequest, date: String, batchTag: String, scope: EventScope) async throws -> APIResponse {
        if let f = negotiator.acceptsJSON(accept: req.accept) {
            scope.component("ContentNegotiation").error(f.event ?? f.message, ["requestedMediaType": req.accept ?? ""])
            return .error(f.status, f.message)
        }
        let caller: AuthenticatedCountry
        switch try await authenticate(req, scope) {
        case .failure(let r): return r
        case .success(let c): caller = c
        }
        let log = scope.component("AuditController")
        let day: UTCDay
        switch checkRequestedDate(date, today: UTCDay(clock()), scope: scope.component("DownloadController")) {
        case .failed(let r): return r
        case .ok(let d): day = d
        }
        guard let batch = try await store.downloadBatch(tag: batchTag) else {
            log.error("BatchTag Could not found", ["batchTag": batchTag, "requestedDate": date])
            return .error(404, "Could not find batch with given BatchTag")
        }
        guard day <= UTCDay(epochMillis: batch.createdAt) else {
            log.error("BatchTag Could not found", ["batchTag": batchTag, "requestedDate": date])
            return .error(404, "Given date does not match the requested batch")
        }
        let entries = try await store.auditEntries(batchTag: batch.tag, excludingCountry: caller.country)
        log.info("Requested Audit Information", ["batchTag": batchTag, "requestedDate": date, "numEntries": String(entries.count)])
        return .json(200, "[" + entries.map(Self.auditJSON).joined(separator: ",") + "]")
    }

    /// One audit entry, members in the order of §7.4, compact, never null.
    static func auditJSON(_ e: UploadBatchRecord) -> String {
        let s = DiagnosisKeyJSONEncoder.jsonString
        return "{\"country\":\(s(e.country)),\"uploadedTime\":\(s(UTCTimestamp.format(epochMillis: e.acceptedAt)))"
            + ",\"uploaderCertificate\":\(s(e.authPEM)),\"uploaderThumbprint\":\(s(e.authThumbprint))"
            + ",\"uploaderOperatorSignature\":\(s(e.authOperatorSignature)),\"signingCertificate\":\(s(e.signerPEM))"
            + ",\"uploaderSigningThumbprint\":\(s(e.signerThumbprint)),\"signingCertificateOperatorSignature\":\(s(e.signerOperatorSignature))"
            + ",\"amount\":\(e.keyCount),\"batchSignature\":\(s(e.batchSignature))}"
    }
}
