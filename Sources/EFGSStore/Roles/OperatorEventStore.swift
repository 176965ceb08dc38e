// SPDX-License-Identifier: EUPL-1.2

/// The operator audit trail: an insert-only table of every change to the trust store or the federation.
public protocol OperatorEventStore: Sendable {
    /// Appends `event`.
    func recordOperatorEvent(_ event: OperatorEvent) async throws
    /// The events at or after `since` (epoch milliseconds), of `country` when given, oldest first.
    func operatorEvents(since: Int64, country: String?) async throws -> [OperatorEvent]
}
