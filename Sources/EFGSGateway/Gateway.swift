import EFGSCrypto
import EFGSProtocol
import EFGSStore
import Foundation
import Metrics

/// The gateway's shared parts: configuration, store, trust anchor, cipher, verifier, event log.
public final class Gateway: Sendable {
    public let config: GatewayConfiguration
    public let store: any GatewayStore
    public let trustAnchor: TrustAnchor
    public let cipher: StorageCipher
    public let log: EventLog
    public let negotiator: ContentNegotiator
    let verifier: BatchSignatureVerifier
    let certificates: CertificateDirectory
    let authenticator: Authenticator
    /// Called after an upload made the unbatched key count reach `batching.docLimit` (early batching trigger).
    let onDocLimitReached: @Sendable () -> Void
    /// The clock; tests move it.
    let clock: @Sendable () -> Date

    public init(config: GatewayConfiguration, store: any GatewayStore, trustAnchor: TrustAnchor, log: EventLog,
                clock: @escaping @Sendable () -> Date = { Date() }, onDocLimitReached: @escaping @Sendable () -> Void = {}) throws {
        self.config = config
        self.store = store
        self.trustAnchor = trustAnchor
        self.cipher = try StorageCipher(config.storage)
        self.log = log
        self.negotiator = ContentNegotiator(protobufVersion: config.protobufVersion, jsonVersion: config.jsonVersion)
        self.verifier = BatchSignatureVerifier(allowLegacySha1: config.allowLegacySha1)
        self.certificates = CertificateDirectory(store: store, trustAnchor: trustAnchor)
        self.authenticator = Authenticator(config: config, certificates: certificates)
        self.clock = clock
        self.onDocLimitReached = onDocLimitReached
    }

    // MARK: routing (§5.1)

    public enum Endpoint: Equatable, Sendable {
        case options, upload, download(date: String), audit(date: String, batchTag: String), listCallbacks, callback(id: String)
    }

    /// Maps a path to an endpoint and the methods it allows; nil for unknown paths (404).
    public func route(path rawPath: String) -> (endpoint: Endpoint, methods: [String])? {
        var path = rawPath
        if !config.basePath.isEmpty {
            guard path.hasPrefix(config.basePath) else { return nil }
            path = String(path.dropFirst(config.basePath.count))
        }
        if path.count > 1, path.hasSuffix("/") { path.removeLast() }
        let raw = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard path.hasPrefix("/"), raw.first == "diagnosiskeys" else { return nil }
        var segs: [String] = []
        for s in raw {
            guard let d = PercentDecoding.decode(String(s), plusAsSpace: false), let t = String(validating: d, as: UTF8.self) else { return nil }
            segs.append(t)
        }
        if segs.contains(where: \.isEmpty) { return nil }
        switch segs.count {
        case 1: return (.options, ["OPTIONS"])
        case 2 where segs[1] == "upload": return (.upload, ["POST"])
        case 2 where segs[1] == "callback": return (.listCallbacks, ["GET"])
        case 3 where segs[1] == "download": return (.download(date: segs[2]), ["GET"])
        case 3 where segs[1] == "callback": return (.callback(id: segs[2]), ["PUT", "DELETE"])
        case 5 where segs[1] == "audit" && segs[2] == "download": return (.audit(date: segs[3], batchTag: segs[4]), ["GET"])
        default: return nil
        }
    }

    /// Full processing order of §5.1: routing → media types → authentication → the endpoint's checks. Records
    /// `efgs_http_requests_total{endpoint,status}` and `efgs_http_request_duration_seconds{endpoint}`.
    public func handle(method: String, path: String, request: APIRequest) async -> APIResponse {
        let start = DispatchTime.now()
        let routed = route(path: path)
        let response = await handle(method: method, routed: routed, request: request)
        let name = routed.map { Self.metricName($0.endpoint, method: method) } ?? "unknown"
        Counter(label: "efgs_http_requests_total", dimensions: [("endpoint", name), ("status", String(response.status))]).increment()
        Timer(label: "efgs_http_request_duration_seconds", dimensions: [("endpoint", name)])
            .recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds))
        return response
    }

    static func metricName(_ endpoint: Endpoint, method: String) -> String {
        if method == "OPTIONS" { return "options" }
        switch endpoint {
        case .options: return "options"
        case .upload: return "upload"
        case .download: return "download"
        case .audit: return "audit"
        case .listCallbacks: return "callback_list"
        case .callback: return method == "DELETE" ? "callback_delete" : "callback_put"
        }
    }

    func handle(method: String, routed: (endpoint: Endpoint, methods: [String])?, request: APIRequest) async -> APIResponse {
        let scope = log.scope("GatewayController", thread: "http")
        guard let (endpoint, methods) = routed else { return .error(404, "Not Found") }
        if method == "OPTIONS" {
            if endpoint == .options {
                return APIResponse(status: 200, headers: [("Allow", "POST,GET,OPTIONS"),
                                                          ("Accept", "application/json; version=1.0, application/protobuf; version=1.0")])
            }
            return APIResponse(status: 200, headers: [("Allow", (methods + ["OPTIONS"]).joined(separator: ","))])
        }
        guard methods.contains(method) else {
            var r = APIResponse.error(405, "Method Not Allowed")
            r.headers.append(("Allow", (methods + ["OPTIONS"]).joined(separator: ",")))
            return r
        }
        do {
            switch endpoint {
            case .options: return .error(405, "Method Not Allowed")
            case .upload: return try await upload(request, scope: scope)
            case .download(let date): return try await download(request, date: date, scope: scope)
            case .audit(let date, let tag): return try await audit(request, date: date, batchTag: tag, scope: scope)
            case .listCallbacks: return try await listCallbacks(request, scope: scope)
            case .callback(let id):
                return method == "PUT" ? try await putCallback(request, id: id, scope: scope) : try await deleteCallback(request, id: id, scope: scope)
            }
        } catch {
            scope.error("Internal Server Error", ["exception": String(describing: error)])
            return .error(500, "Internal Server Error.")
        }
    }

    func authenticate(_ req: APIRequest, _ scope: EventScope) async throws -> Result<AuthenticatedCountry, APIResponse> {
        try await authenticator.authenticate(req, log: scope, now: clock())
    }

    // MARK: date checks shared by download and audit (§5.4, §5.5)

    enum DateCheck { case ok(UTCDay), failed(APIResponse) }

    func checkRequestedDate(_ text: String, today: UTCDay, scope: EventScope) -> DateCheck {
        guard let day = UTCDay(iso: text) else { return .failed(.error(400, "Invalid date format, expected yyyy-MM-dd")) }
        if day < today.adding(days: -Int64(config.downloadMaxAgeDays)) {
            scope.info("Requested date is too old", ["requestedDate": text])
            return .failed(.error(410, "Requested date is too old!"))
        }
        return .ok(day)
    }
}
