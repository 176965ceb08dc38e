// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSGateway
import EFGSProtocol
import EFGSStore
import Foundation

/// `efgs operator-events`: the operator audit trail.
struct OperatorEventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator-events",
        abstract: "List the operator audit trail: every cert import and revoke, country disconnect and refusal.")
    @OptionGroup var options: ConfigOption
    @Option(help: "Only events on or after this UTC day (yyyy-MM-dd).") var since: String?
    @Option(help: "Only events of this country.") var country: String?
    @Option(help: "table, json or csv.") var format: String = "table"

    func validate() throws {
        guard ["table", "json", "csv"].contains(format) else { throw ValidationError("--format: table, json or csv") }
        if let since, UTCDay(iso: since) == nil { throw ValidationError("--since: a day as yyyy-MM-dd") }
    }

    func run() async throws {
        let start = since.flatMap { UTCDay(iso: $0) }.map { Date(timeIntervalSince1970: Double($0.startMillis) / 1000) }
        let events = try await GatewayRuntime.with(options) { runtime in
            try await runtime.services.operatorAudit.events(since: start ?? .distantPast, country: country)
        }
        let columns = ["time", "command", "operator", "ticket", "country", "subject", "outcome"]
        func fields(_ e: OperatorEvent) -> [String] {
            [
                UTCTimestamp.format(epochMillis: e.at), e.command, e.operatorName, e.ticket ?? "", e.country ?? "",
                e.subject, e.outcome,
            ]
        }
        switch format {
        case "json":
            let objects = events.map { e in
                "{"
                    + zip(columns, fields(e)).map { JSONText.quoted($0) + ":" + JSONText.quoted($1) }
                    .joined(separator: ",") + "}"
            }
            print(JSONText.array(objects))
        case "csv":
            func cell(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
            print(columns.joined(separator: ","))
            for e in events { print(fields(e).map(cell).joined(separator: ",")) }
        default:
            if events.isEmpty { print("no operator events") }
            for e in events { print(fields(e).filter { !$0.isEmpty }.joined(separator: "  ")) }
        }
    }
}
