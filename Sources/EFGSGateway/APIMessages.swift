import EFGSCrypto
import EFGSProtocol
import Foundation

/// A request as the endpoint logic sees it: framework-independent, so it is testable without sockets.
public struct APIRequest: Sendable {
    public var method: String
    /// Header lines in order; names compared case-insensitively.
    public var headerLines: [(name: String, value: String)]
    public var query: String?
    /// The TCP peer's address bytes (4 or 16), if known.
    public var peerAddress: [UInt8]?
    /// DER of the TLS client certificate (mode c).
    public var tlsClientCertificate: [UInt8]?
    /// Reads the body; returns nil when it exceeds `limit` bytes.
    public var readBody: @Sendable (_ limit: Int) async throws -> [UInt8]?

    public init(method: String, headerLines: [(name: String, value: String)], query: String? = nil, peerAddress: [UInt8]? = nil,
                tlsClientCertificate: [UInt8]? = nil, readBody: @escaping @Sendable (_ limit: Int) async throws -> [UInt8]? = { _ in [] }) {
        self.method = method; self.headerLines = headerLines; self.query = query; self.peerAddress = peerAddress
        self.tlsClientCertificate = tlsClientCertificate; self.readBody = readBody
    }

    /// The first occurrence of a header (§5.1).
    public func header(_ name: String) -> String? {
        headerLines.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// All `Accept` lines joined with `,`.
    public var accept: String? {
        let lines = headerLines.filter { $0.name.caseInsensitiveCompare("Accept") == .orderedSame }.map(\.value)
        return lines.isEmpty ? nil : lines.joined(separator: ",")
    }

    /// A query parameter with form decoding (`+` → space).
    public func queryParameter(_ name: String) -> String? {
        guard let query else { return nil }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let k = PercentDecodingText.form(String(kv[0])), k == name else { continue }
            return kv.count == 2 ? PercentDecodingText.form(String(kv[1])) ?? String(kv[1]) : ""
        }
        return nil
    }
}

/// Form decoding of query components (`%XX`, `+` → space) on the shared percent decoder.
enum PercentDecodingText {
    static func form(_ s: String) -> String? {
        PercentDecoding.decode(s, plusAsSpace: true).flatMap { String(validating: $0, as: UTF8.self) }
    }
}

/// A response: status, headers in the exact spelling of the spec, body.
public struct APIResponse: Error, Sendable, Equatable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status; self.headers = headers; self.body = body
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.status == b.status && a.body == b.body && a.headers.count == b.headers.count
            && zip(a.headers, b.headers).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    /// `{"message":"<text>"}` with `Content-Type: application/json` (§5.1).
    public static func error(_ status: Int, _ message: String) -> APIResponse {
        APIResponse(status: status, headers: [("Content-Type", "application/json")],
                    body: Array("{\"message\":\(DiagnosisKeyJSONEncoder.jsonString(message))}".utf8))
    }

    public static func json(_ status: Int, _ text: String) -> APIResponse {
        APIResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(text.utf8))
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
