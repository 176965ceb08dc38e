// SPDX-License-Identifier: EUPL-1.2

/// One change an operator made to the trust store or the federation (`cert import`, `cert revoke`,
/// `country disconnect`, …): a row of the insert-only `operator_events` table.
public struct OperatorEvent: Sendable, Equatable {
    /// When (epoch milliseconds).
    public var at: Int64
    /// The command (`cert import`).
    public var command: String
    /// Who: `--operator`, `EFGS_OPERATOR`, or the OS user.
    public var operatorName: String
    /// The change ticket, when given (`--ticket`).
    public var ticket: String?
    /// The country concerned, if one.
    public var country: String?
    /// What it touched: thumbprints, types, tags.
    public var subject: String
    /// What happened (`imported`, `refused: …`).
    public var outcome: String

    /// An event with every field given.
    public init(
        at: Int64, command: String, operatorName: String, ticket: String?, country: String?, subject: String,
        outcome: String
    ) {
        self.at = at
        self.command = command
        self.operatorName = operatorName
        self.ticket = ticket
        self.country = country
        self.subject = subject
        self.outcome = outcome
    }
}
