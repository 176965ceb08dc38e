// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import Foundation
import Metrics

/// The public API of PROTOCOL.md §5 over the domain services: the route table, the processing order of §5.1
/// (routing → media types → authentication → the endpoint's checks), thin handlers, and the one place where a
/// refusal (``APIError``) becomes a response.
public struct GatewayAPI: Sendable {
    /// The services the handlers call.
    public let services: GatewayServices
    /// The route table under `server.basePath`.
    public let routes: RouteTable

    /// The API over `services`.
    public init(services: GatewayServices) {
        self.services = services
        self.routes = RouteTable(basePath: services.config.server.basePath)
    }

    /// Answers one request. Records `efgs_http_requests_total{endpoint,status}` and
    /// `efgs_http_request_duration_seconds{endpoint}`.
    public func handle(method: String, path: String, request: APIRequest) async -> APIResponse {
        let start = DispatchTime.now()
        let route = routes.route(path: path)
        let response = await respond(method: method, route: route, request: request)
        let name = route.map { RouteTable.metricName($0.endpoint, method: method) } ?? "unknown"
        Counter(
            label: "efgs_http_requests_total", dimensions: [("endpoint", name), ("status", String(response.status))]
        )
        .increment()
        let nanoseconds = Int64(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds)
        Timer(label: "efgs_http_request_duration_seconds", dimensions: [("endpoint", name)])
            .recordNanoseconds(nanoseconds)
        services.traffic.record(
            endpoint: name, status: response.status, nanoseconds: nanoseconds, at: services.clock())
        return response
    }

    /// Routing and method checks (§5.1, §5.2), then the endpoint's handler; a thrown ``APIError`` is logged with
    /// its event and answered with its status and message, anything else is 500.
    func respond(method: String, route: Route?, request: APIRequest) async -> APIResponse {
        guard let route else { return .error(404, "Not Found") }
        if method == "OPTIONS" {
            guard route.endpoint == .options else { return APIResponse(status: 200, headers: [("Allow", route.allow)]) }
            return APIResponse(
                status: 200,
                headers: [
                    ("Allow", "POST,GET,OPTIONS"),
                    ("Accept", "application/json; version=1.0, application/protobuf; version=1.0"),
                ])
        }
        guard route.methods.contains(method) else {
            var refusal = APIResponse.error(405, "Method Not Allowed")
            refusal.headers.append(("Allow", route.allow))
            return refusal
        }
        let scope = services.log.scope("GatewayController", thread: "http")
        do {
            return try await handle(route.endpoint, method: method, request: request, scope: scope)
        } catch let refusal as APIError {
            if let event = refusal.event, await refusalIsLogged(refusal, request: request) { scope.log(event) }
            return refusal.response
        } catch let failure as BodyReadFailure {
            // malformed framing or a peer gone mid-body: the peer's fault, not the gateway's (no ERROR line)
            scope.debug("Request body not read", ["reason": failure.reason])
            return .error(400, "Bad Request")
        } catch let failure as StoreError where failure.code == .unavailable || failure.code == .conflict {
            // the database is away (stopped, restarting, unreachable; /readyz says the same), or an upload lost a
            // race with concurrent writers on every attempt: nothing was acknowledged, the request may be repeated
            let event = failure.code == .unavailable ? "Database unavailable" : "Database conflict"
            scope.warn(event, ["reason": failure.reason])
            var refusal = APIResponse.error(503, "Service Unavailable")
            refusal.headers.append(("Retry-After", "5"))
            return refusal
        } catch {
            scope.error("Internal Server Error", ["exception": String(describing: error)])
            return .error(500, "Internal Server Error.")
        }
    }

    func handle(_ endpoint: Endpoint, method: String, request: APIRequest, scope: EventScope) async throws
        -> APIResponse
    {
        switch endpoint {
        case .options: return .error(405, "Method Not Allowed")  // routed to OPTIONS only
        case .upload: return try await upload(request, scope: scope)
        case .download(let date): return try await download(request, date: date, scope: scope)
        case .audit(let date, let tag): return try await audit(request, date: date, batchTag: tag, scope: scope)
        case .listCallbacks: return try await listCallbacks(request, scope: scope)
        case .callback(let id) where method == "PUT": return try await subscribe(request, id: id, scope: scope)
        case .callback(let id): return try await unsubscribe(request, id: id, scope: scope)
        }
    }

    /// Whether `refusal`'s event is written: always, except a refusal before authentication whose peer does not
    /// authenticate (checked against a log that writes nothing).
    func refusalIsLogged(_ refusal: APIError, request: APIRequest) async -> Bool {
        guard refusal.logsOnlyForAuthenticatedPeers else { return true }
        let silent = EventLog.discarding.scope("Authentication")
        return (try? await services.authenticator.authenticate(request, log: silent, now: services.clock())) != nil
    }

    // MARK: the prelude shared by the handlers

    /// Authentication (§4), after the endpoint's media-type checks.
    func authenticate(_ request: APIRequest, scope: EventScope) async throws -> AuthenticatedCountry {
        try await services.authenticator.authenticate(request, log: scope, now: services.clock())
    }

    /// The `Accept` check of audit and callback administration (§5.5, §5.6): absent or JSON-compatible.
    func requireJSONAccept(_ request: APIRequest) throws {
        if let failure = services.negotiator.acceptsJSON(accept: request.accept) {
            throw APIError(failure, attribute: "requestedMediaType", value: request.accept ?? "")
        }
    }
}
