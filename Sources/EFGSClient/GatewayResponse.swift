// SPDX-License-Identifier: EUPL-1.2

import NIOHTTP1

/// A response from the gateway.
public struct GatewayResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// The response headers as received.
    public var headers: HTTPHeaders
    /// The whole response body.
    public var body: [UInt8]
    /// The body decoded as UTF-8 (invalid bytes replaced), e.g. for an error message.
    public var text: String { String(decoding: body, as: UTF8.self) }
    /// The first value of the header `name`, matched case-insensitively (e.g. `batchTag`, `nextBatchTag`).
    public func header(_ name: String) -> String? { headers.first(name: name) }
}
