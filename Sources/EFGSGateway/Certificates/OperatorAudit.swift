// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import Foundation

/// Who runs an operator command: `--operator`, else `EFGS_OPERATOR`, else the OS user; and the change ticket.
public struct OperatorContext: Sendable, Equatable {
    /// The operator's name as recorded.
    public var operatorName: String
    /// The change ticket (`--ticket`), when given.
    public var ticket: String?

    /// A context naming `operatorName` and `ticket`.
    public init(operatorName: String, ticket: String? = nil) {
        self.operatorName = operatorName
        self.ticket = ticket
    }

    /// `name` if given, else `EFGS_OPERATOR`, else the OS user (`USER`/`LOGNAME`), else the numeric user id.
    public static func current(
        name: String? = nil, ticket: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> OperatorContext {
        let resolved =
            [name, environment["EFGS_OPERATOR"], environment["USER"], environment["LOGNAME"]]
            .compactMap { $0?.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty } ?? "uid \(getuid())"
        return OperatorContext(operatorName: resolved, ticket: ticket)
    }
}

/// The operator audit trail: every change to the trust store or the federation is an event line (class
/// OperatorAudit, with its syslog copy) and a row of the insert-only `operator_events` table.
public struct OperatorAudit: Sendable {
    let store: any OperatorEventStore
    let log: EventLog
    let clock: @Sendable () -> Date

    /// An audit trail in `store`, logged to `log`.
    public init(store: any OperatorEventStore, log: EventLog, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.log = log
        self.clock = clock
    }

    /// Records one change (or refusal) of `command` by `context`.
    public func record(
        _ command: String, by context: OperatorContext, country: String?, subject: String, outcome: String,
        refused: Bool = false
    ) async throws {
        let event = OperatorEvent(
            at: UTCTimestamp.millis(clock()), command: command, operatorName: context.operatorName,
            ticket: context.ticket, country: country, subject: subject, outcome: outcome)
        try await store.recordOperatorEvent(event)
        log.scope("OperatorAudit").log(
            refused ? .warn : .info, refused ? "Operator change refused" : "Operator change",
            [
                ("command", command), ("operator", context.operatorName), ("ticket", context.ticket ?? ""),
                ("country", country ?? ""), ("subject", subject), ("outcome", outcome),
            ])
    }

    /// The recorded events at or after `since`, of `country` when given.
    public func events(since: Date, country: String?) async throws -> [OperatorEvent] {
        try await store.operatorEvents(since: UTCTimestamp.millis(since), country: country)
    }
}
