// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import Foundation

/// A request as the handlers see it: independent of the HTTP server, so handlers are testable without sockets.
public struct APIRequest: Sendable {
    /// The HTTP method.
    public var method: String
    /// Header lines in order; names compared case-insensitively.
    public var headerLines: [(name: String, value: String)]
    /// The raw query string (without `?`), if any.
    public var query: String?
    /// The TCP peer's address bytes (4 or 16), if known.
    public var peerAddress: [UInt8]?
    /// DER of the TLS client certificate (mode c).
    public var tlsClientCertificate: [UInt8]?
    /// Reads the body; returns nil when it exceeds `limit` bytes.
    public var readBody: @Sendable (_ limit: Int) async throws -> [UInt8]?

    /// A request; by default with an empty body.
    public init(
        method: String, headerLines: [(name: String, value: String)], query: String? = nil,
        peerAddress: [UInt8]? = nil, tlsClientCertificate: [UInt8]? = nil,
        readBody: @escaping @Sendable (_ limit: Int) async throws -> [UInt8]? = { _ in [] }
    ) {
        self.method = method
        self.headerLines = headerLines
        self.query = query
        self.peerAddress = peerAddress
        self.tlsClientCertificate = tlsClientCertificate
        self.readBody = readBody
    }

    /// The first occurrence of a header (§5.1).
    public func header(_ name: String) -> String? {
        headerLines.first { HTTPFieldName.matches($0.name, name) }?.value
    }

    /// All `Accept` lines joined with `,`.
    public var accept: String? {
        let lines = headerLines.filter { HTTPFieldName.matches($0.name, "Accept") }.map(\.value)
        return lines.isEmpty ? nil : lines.joined(separator: ",")
    }

    /// A query parameter with form decoding (`%XX`, `+` → space).
    public func queryParameter(_ name: String) -> String? {
        guard let query else { return nil }
        func formDecoded(_ text: Substring) -> String? {
            PercentDecoding.decode(String(text), plusAsSpace: true).flatMap { String(validating: $0, as: UTF8.self) }
        }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = formDecoded(parts[0]), key == name else { continue }
            return parts.count == 2 ? formDecoded(parts[1]) ?? String(parts[1]) : ""
        }
        return nil
    }
}
