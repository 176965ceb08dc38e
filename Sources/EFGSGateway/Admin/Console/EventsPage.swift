// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import Foundation

extension OperatorConsole {
    /// Events: the operator audit trail of the last 14 days and this process's most recent WARN and ERROR event
    /// lines, both filterable by country, the lines also by class (component).
    func events(now: Date, country: String?, component: String?) async throws -> String {
        let country = country.flatMap { $0.isEmpty ? nil : $0 }
        let component = component.flatMap { $0.isEmpty ? nil : $0 }
        let operatorEvents = try await services.operatorAudit.events(
            since: now.addingTimeInterval(-14 * 86_400), country: country
        ).reversed()
        let lines = services.log.recent.list(country: country, component: component)
        let allLines = services.log.recent.list()
        let countries = Set(allLines.compactMap(\.country)).union(try await services.countries.list().map(\.country))
            .sorted()
        let classes = Set(allLines.map(\.component)).sorted()
        func options(_ values: [String], selected: String?) -> String {
            (["<option value=\"\">all</option>"]
                + values.map { value in
                    "<option value=\"\(ConsoleHTML.escape(value))\"\(value == selected ? " selected" : "")>"
                        + "\(ConsoleHTML.escape(value))</option>"
                }).joined()
        }
        var html =
            "<form method=\"get\" action=\"/events\">Country <select name=\"country\">"
            + options(countries, selected: country) + "</select> Class <select name=\"class\">"
            + options(classes, selected: component) + "</select> <button type=\"submit\">Filter</button></form>"
        html += "<h2>Operator events, last 14 days</h2>"
        html += ConsoleHTML.table(
            id: "operator-events", columns: ["Time", "Command", "Operator", "Ticket", "Country", "Subject", "Outcome"],
            rows: operatorEvents.map { e in
                (
                    id: nil, cssClass: nil,
                    cells: [
                        .text(UTCTimestamp.format(epochMillis: e.at)), .text(e.command), .text(e.operatorName),
                        .text(e.ticket ?? ""), .text(e.country ?? ""), .text(e.subject), .text(e.outcome),
                    ]
                )
            }, empty: "No operator event in the last 14 days.")
        html += "<h2>Recent warnings and errors on this instance</h2>"
        html += ConsoleHTML.table(
            id: "recent-events", columns: ["Time", "Level", "Class", "Country", "Message", "Line"],
            rows: lines.map { entry in
                (
                    id: nil, cssClass: entry.level == .error ? "event-error" : "event-warn",
                    cells: [
                        .text(ConsoleHTML.time(entry.time)),
                        .text(entry.level.rawValue, entry.level == .error ? "bad" : "warn"), .text(entry.component),
                        .text(entry.country ?? ""), .text(entry.message),
                        .html(
                            "<details><summary>line</summary><code>\(ConsoleHTML.escape(entry.line))</code></details>"),
                    ]
                )
            }, empty: "No warning or error since this instance started (or none matching the filter).")
        return html
    }
}
