// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol

extension GatewayAPI {
    /// GET /diagnosiskeys/download/{date} — PROTOCOL.md §5.4 over ``DownloadService``.
    func download(_ request: APIRequest, date: String, scope: EventScope) async throws -> APIResponse {
        let format = try services.negotiator.downloadFormat(accept: request.accept).mapError {
            APIError($0, attribute: "requestedMediaType", value: request.accept ?? "")
        }.get()
        let caller = try await authenticate(request, scope: scope)
        let batch = try await services.download.batch(
            date: date, batchTag: request.header("batchTag"), format: format, for: caller, log: scope)
        let headers = [
            ("Content-Type", format.contentType(version: services.config.api.version(of: format))),
            ("batchTag", batch.tag),
            ("nextBatchTag", batch.nextTag ?? "null"),
            ("X-Protobuf-Schema", "Efgs.proto"),
            ("X-Protobuf-Message", "eu.interop.DiagnosisKeyBatch"),
        ]
        return APIResponse(status: 200, headers: headers, content: batch.body)
    }

    /// GET /diagnosiskeys/audit/download/{date}/{batchTag} — PROTOCOL.md §5.5 over ``AuditService``.
    func audit(_ request: APIRequest, date: String, batchTag: String, scope: EventScope) async throws -> APIResponse {
        try requireJSONAccept(request)
        let caller = try await authenticate(request, scope: scope)
        let entries = try await services.audit.entries(date: date, batchTag: batchTag, for: caller, log: scope)
        return .json(200, AuditEntry.encoded(entries))
    }
}
