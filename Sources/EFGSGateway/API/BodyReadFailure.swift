// SPDX-License-Identifier: EUPL-1.2

/// A request body that could not be read to its end: malformed HTTP/1.1 framing (RFC 9112 §6, §7.1: a broken
/// chunk, a length mismatch), the peer gone or cut off before the end, or the body deadline passed. The gateway
/// answers 400 `Bad Request` (if the peer is still there) and logs it at DEBUG only: it is the peer's doing.
public struct BodyReadFailure: Error, Sendable {
    /// What went wrong, for the DEBUG line (`malformed framing: invalidChunkSize`, `truncated: 10 of 20 bytes`).
    public var reason: String

    /// A failure described by `reason`.
    public init(_ reason: String) {
        self.reason = reason
    }
}
