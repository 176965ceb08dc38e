// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol

extension GatewayAPI {
    /// POST /diagnosiskeys/upload — the checks 1–10 of PROTOCOL.md §5.3, then ``UploadService``.
    func upload(_ request: APIRequest, scope: EventScope) async throws -> APIResponse {
        let contentType = request.header("Content-Type")
        let (format, mediaType) = try services.negotiator.uploadFormat(contentType: contentType).mapError {
            APIError($0, attribute: "requestedMediaType", value: contentType ?? "")
        }.get()
        let caller = try await authenticate(request, scope: scope)
        guard let batchTag = request.header("batchTag") else {
            throw APIError(400, "Required header 'batchTag' is not present.")
        }
        guard UploadTag.isValid(batchTag) else { throw APIError(400, "Invalid batchTag header") }
        guard let batchSignature = request.header("batchSignature") else {
            throw APIError(400, "Required header 'batchSignature' is not present.")
        }
        if let failure = services.negotiator.checkUploadVersion(mediaType, format: format) {
            throw APIError(failure, attribute: "requestedVersion", value: mediaType.version ?? "")
        }
        guard let body = try await request.readBody(services.config.api.maxBodyBytes) else {
            throw APIError(413, "Request body too large")
        }
        let keys: [DiagnosisKey]
        do {
            keys = try format.decodeKeys(body, maxKeys: services.config.api.maxKeys)
        } catch UploadBodyError.tooManyKeys(let limit) {
            throw UploadService.tooManyKeys(batchTag: batchTag, numKeys: "more than \(limit)", maxKeys: limit)
        } catch let error as UploadBodyError {
            throw APIError(400, error.message)
        } catch {
            throw APIError(400, "Failed to read request")
        }
        let upload = UploadService.Upload(
            batchTag: batchTag, batchSignature: batchSignature, format: format, keys: keys)
        switch try await services.upload.accept(upload, from: caller, log: scope) {
        case .stored(let tag):
            return APIResponse(status: 201, headers: [("batchTag", tag), ("Content-Length", "0")])
        case .duplicates(let status):
            return .json(207, status.encoded())
        }
    }
}
