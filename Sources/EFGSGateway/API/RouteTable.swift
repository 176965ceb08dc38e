// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol

/// The endpoints of PROTOCOL.md §5 with the path parameters routing extracts.
public enum Endpoint: Equatable, Sendable {
    /// `/diagnosiskeys` (§5.2).
    case options
    /// `/diagnosiskeys/upload` (§5.3).
    case upload
    /// `/diagnosiskeys/download/{date}` (§5.4).
    case download(date: String)
    /// `/diagnosiskeys/audit/download/{date}/{batchTag}` (§5.5).
    case audit(date: String, batchTag: String)
    /// `/diagnosiskeys/callback` (§5.6).
    case listCallbacks
    /// `/diagnosiskeys/callback/{callbackId}` (§5.6).
    case callback(id: String)
}

/// A routed path: the endpoint and the methods it serves.
public struct Route: Equatable, Sendable {
    /// The endpoint the path names.
    public var endpoint: Endpoint
    /// The methods of the endpoint, OPTIONS excluded (every path answers OPTIONS).
    public var methods: [String]

    /// The `Allow` header of a 405 or an OPTIONS answer on this path: its methods, then `OPTIONS`, each once.
    public var allow: String {
        (methods.filter { $0 != "OPTIONS" } + ["OPTIONS"]).joined(separator: ",")
    }
}

/// The route table of §5.1: maps a raw request path to a ``Route``.
///
/// Segments are percent-decoded one by one (an encoded `/` stays inside its segment), a trailing slash is
/// ignored, empty segments and invalid UTF-8 do not route, and `server.basePath` is stripped first.
public struct RouteTable: Sendable {
    /// `server.basePath`, without a trailing slash; empty for none.
    public var basePath: String

    /// A table under `basePath`.
    public init(basePath: String = "") {
        self.basePath = basePath
    }

    /// The route of `rawPath` (still percent-encoded); nil for unknown paths (404).
    public func route(path rawPath: String) -> Route? {
        guard let segments = segments(of: rawPath) else { return nil }
        switch (segments.count, segments.dropFirst().first) {
        case (1, _):
            return Route(endpoint: .options, methods: [])
        case (2, "upload"):
            return Route(endpoint: .upload, methods: ["POST"])
        case (2, "callback"):
            return Route(endpoint: .listCallbacks, methods: ["GET"])
        case (3, "download"):
            return Route(endpoint: .download(date: segments[2]), methods: ["GET"])
        case (3, "callback"):
            return Route(endpoint: .callback(id: segments[2]), methods: ["PUT", "DELETE"])
        case (5, "audit") where segments[2] == "download":
            return Route(endpoint: .audit(date: segments[3], batchTag: segments[4]), methods: ["GET"])
        default:
            return nil
        }
    }

    /// The decoded segments after the base path; nil when the path is outside it, empty or undecodable.
    func segments(of rawPath: String) -> [String]? {
        var path = Substring(rawPath)
        if !basePath.isEmpty {
            guard path.hasPrefix(basePath) else { return nil }
            path = path.dropFirst(basePath.count)
        }
        guard path.hasPrefix("/") else { return nil }
        if path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        let rawSegments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard rawSegments.first == "diagnosiskeys" else { return nil }
        var decoded: [String] = []
        for raw in rawSegments {
            guard let bytes = PercentDecoding.decode(String(raw), plusAsSpace: false),
                let text = String(validating: bytes, as: UTF8.self), !text.isEmpty
            else { return nil }
            decoded.append(text)
        }
        return decoded
    }

    /// The `endpoint` label of the request metrics.
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
}
