// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol

extension GatewayAPI {
    /// GET /diagnosiskeys/callback (§5.6).
    func listCallbacks(_ request: APIRequest, scope: EventScope) async throws -> APIResponse {
        try requireJSONAccept(request)
        let caller = try await authenticate(request, scope: scope)
        let entries = try await services.subscriptions.list(for: caller, log: scope)
        return .json(200, CallbackSubscriptionEntry.encoded(entries))
    }

    /// PUT /diagnosiskeys/callback/{callbackId}?url=… (§5.6, §7.5).
    func subscribe(_ request: APIRequest, id: String, scope: EventScope) async throws -> APIResponse {
        try requireJSONAccept(request)
        let caller = try await authenticate(request, scope: scope)
        try await services.subscriptions.subscribe(
            id: id, url: request.queryParameter("url"), for: caller, log: scope)
        return APIResponse(status: 200)
    }

    /// DELETE /diagnosiskeys/callback/{callbackId} (§5.6).
    func unsubscribe(_ request: APIRequest, id: String, scope: EventScope) async throws -> APIResponse {
        try requireJSONAccept(request)
        let caller = try await authenticate(request, scope: scope)
        try await services.subscriptions.unsubscribe(id: id, for: caller, log: scope)
        return APIResponse(status: 200)
    }
}
