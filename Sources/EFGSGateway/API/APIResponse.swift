// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import NIOCore

/// A response: status, headers in the exact spelling of the spec, body.
public struct APIResponse: Sendable, Equatable {
    /// The HTTP status code.
    public var status: Int
    /// Header lines in order, spelled as the spec spells them (`batchTag`, `nextBatchTag`).
    public var headers: [(String, String)]
    /// The body, sent as it is: a download's body is the ``DownloadCache``'s buffer, written to the connection
    /// without a copy.
    public var content: ByteBuffer

    /// The body bytes (a copy of ``content``).
    public var body: [UInt8] {
        get { Array(content.readableBytesView) }
        set { content = ByteBuffer(bytes: newValue) }
    }

    /// A response with `status`, `headers` and `body`.
    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.init(status: status, headers: headers, content: ByteBuffer(bytes: body))
    }

    /// A response with `status`, `headers` and the body `content`.
    public init(status: Int, headers: [(String, String)], content: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.content = content
    }

    /// Equal status, body and header lines in the same order.
    public static func == (a: Self, b: Self) -> Bool {
        a.status == b.status && a.content == b.content && a.headers.count == b.headers.count
            && zip(a.headers, b.headers).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    /// `{"message":"<text>"}` with `Content-Type: application/json` (§5.1).
    public static func error(_ status: Int, _ message: String) -> APIResponse {
        json(status, ErrorBody(message: message).encoded())
    }

    /// A JSON body with `Content-Type: application/json`.
    public static func json(_ status: Int, _ body: [UInt8]) -> APIResponse {
        APIResponse(status: status, headers: [("Content-Type", MediaType.json)], body: body)
    }

    /// The first header line called `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { HTTPFieldName.matches($0.0, name) }?.1
    }

    /// The body as UTF-8 text.
    public var bodyText: String { String(buffer: content) }
}
