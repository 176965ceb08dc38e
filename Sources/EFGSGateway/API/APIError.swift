// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol

/// A refused request (PROTOCOL.md §5): the status, the spec's message, and the §7.9 event that records the refusal.
///
/// Services and the request prelude throw it; ``GatewayAPI`` maps it to a response in one place — it logs the
/// event in the request's trace and answers `{"message":…}` (§5.1) — as Hummingbird maps `HTTPResponseError`.
public struct APIError: Error, Sendable {
    /// The HTTP status of the answer.
    public var status: Int
    /// The spec's message, the `message` of the error body.
    public var message: String
    /// The event logged for the refusal; nil when the refusal itself logs nothing (§7.9 lists none for it).
    public var event: Event?
    /// The refusal precedes authentication (§5.1: media-type checks come first), so its event is logged only when
    /// the peer turns out to be an authenticated country: an unknown peer's header values never reach the log.
    public var logsOnlyForAuthenticatedPeers = false

    /// One event of the §7.9 log: its class, level, message and attributes in order.
    public struct Event: Sendable {
        /// The `class` column (`UploadController`, `Authentication`, …).
        public var component: String
        /// The level.
        public var level: EventLevel
        /// The `message` column.
        public var message: String
        /// The attributes after the mandatory fields, in order.
        public var attributes: [(String, String)]

        /// An event of `component` at `level`.
        public init(_ component: String, _ level: EventLevel, _ message: String, _ attributes: [(String, String)] = [])
        {
            self.component = component
            self.level = level
            self.message = message
            self.attributes = attributes
        }
    }

    /// A refusal with `status` and `message`, logged as `event` when given.
    public init(_ status: Int, _ message: String, event: Event? = nil) {
        self.status = status
        self.message = message
        self.event = event
    }

    /// A refusal of content negotiation (§5.1), logged by class ContentNegotiation with the requested value.
    init(_ failure: NegotiationFailure, attribute: String, value: String) {
        self.init(
            failure.status, failure.message,
            event: Event("ContentNegotiation", .error, failure.event ?? failure.message, [(attribute, value)]))
        logsOnlyForAuthenticatedPeers = true
    }

    /// The answer: `{"message":…}` with the status.
    public var response: APIResponse { .error(status, message) }
}
