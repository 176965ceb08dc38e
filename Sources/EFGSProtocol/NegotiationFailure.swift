// SPDX-License-Identifier: EUPL-1.2

/// A refusal of the request's media types (PROTOCOL.md §5.1; §5.3 checks 1 and 6–8, §5.4, §5.5, §5.6).
public struct NegotiationFailure: Error, Equatable, Sendable {
    /// The HTTP status (400, 406 or 415).
    public var status: Int
    /// The response message.
    public var message: String
    /// The event text of §7.9 (class ContentNegotiation), or nil when another class logs it.
    public var event: String?
}
