// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// The body of every refusal (PROTOCOL.md §5.1): `{"message":"<text>"}` with `Content-Type: application/json`.
public struct ErrorBody: Codable, Sendable, Equatable {
    /// The spec's message for the refusal, for example `BatchTag already exists.`.
    public var message: String

    /// A body carrying `message`.
    public init(message: String) {
        self.message = message
    }

    /// The exact bytes the gateway sends.
    public func encoded() -> [UInt8] {
        Array("{\"message\":\(JSONText.quoted(message))}".utf8)
    }

    /// Reads a refusal body; nil when `bytes` is not one.
    public static func decode(_ bytes: [UInt8]) -> ErrorBody? {
        try? JSONDecoder().decode(ErrorBody.self, from: Data(bytes))
    }
}
