// SPDX-License-Identifier: EUPL-1.2

import SQLKit

/// ``OperatorEventStore``: the insert-only operator audit trail.
extension SQLGatewayStore {
    public func recordOperatorEvent(_ event: OperatorEvent) async throws {
        try await backend.transaction { db in
            try await db.raw(
                """
                INSERT INTO operator_events (at, command, operator, ticket, country, subject, outcome)
                VALUES (\(bind: event.at), \(bind: event.command), \(bind: event.operatorName), \(bind: event.ticket),
                  \(bind: event.country), \(bind: event.subject), \(bind: event.outcome))
                """
            ).run()
        }
    }

    public func operatorEvents(since: Int64, country: String?) async throws -> [OperatorEvent] {
        try await backend.read { db in
            let filter = country.map { SQLQueryString(" AND country = \(bind: $0)") } ?? SQLQueryString("")
            let rows = try await db.raw(
                """
                SELECT at, command, operator, ticket, country, subject, outcome FROM operator_events
                WHERE at >= \(bind: since)\(filter) ORDER BY id
                """
            ).all()
            return try rows.map { row in
                OperatorEvent(
                    at: try row.decode(column: "at", as: Int64.self),
                    command: try row.decode(column: "command", as: String.self),
                    operatorName: try row.decode(column: "operator", as: String.self),
                    ticket: try row.decode(column: "ticket", as: String?.self),
                    country: try row.decode(column: "country", as: String?.self),
                    subject: try row.decode(column: "subject", as: String.self),
                    outcome: try row.decode(column: "outcome", as: String.self))
            }
        }
    }
}
