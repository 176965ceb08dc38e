// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import Foundation

extension OperatorConsole {
    /// Federation: the store's figures, then each country with its connection, last activity, keys uploaded and
    /// downloaded today and per day over 14 days, and its callback subscriptions with their backlog.
    func federation(now: Date) async throws -> String {
        let countries = try await services.countries.list()
        let today = UTCDay(now)
        let usage = try await services.reports.usage(from: today.adding(days: -13), to: today)
        let backlog = try await services.store.callbackBacklog()
        let figures = try await services.store.storeFigures()
        let ready = await AdminServer.readiness(services)
        let oldest = figures.oldestUnbatchedAcceptedAt.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        var html = ConsoleHTML.cards([
            (
                "Ready",
                ready.allSatisfy(\.ok) ? "yes" : "NO: " + ready.filter { !$0.ok }.map(\.name).joined(separator: ", "),
                ready.allSatisfy(\.ok) ? "ok" : "bad"
            ),
            ("Countries connected", "\(countries.filter(\.connected).count) of \(countries.count)", nil),
            ("Keys stored", String(figures.keysStored), nil),
            ("Unbatched keys", String(figures.unbatchedKeys), nil),
            ("Oldest unbatched upload", oldest == nil ? "none" : ConsoleHTML.age(oldest, now: now), nil),
            ("Database", ConsoleHTML.size(figures.databaseBytes), nil),
        ])
        html += "<h2>Countries</h2>"
        let rows = countries.map { country in
            let days = (0..<14).map { today.adding(days: Int64($0) - 13).epochDay }
            let mine = Dictionary(usage.days.filter { $0.country == country.country }.map { ($0.epochDay, $0) }) { $1 }
            let uploaded = days.map { mine[$0]?.keysUploaded ?? 0 }
            let downloaded = days.map { mine[$0]?.keysDownloaded ?? 0 }
            let subscriptions = backlog.filter { $0.country == country.country }.map { s in
                let state = s.failing > 0 ? "bad" : s.pending > 0 ? "warn" : "ok"
                return "<div class=\"\(state)\"><code>\(ConsoleHTML.escape(s.callbackId))</code> "
                    + "\(s.pending) pending, \(s.failing) failing</div>"
            }.joined()
            return (
                id: Optional("country-" + country.country),
                cssClass: Optional(country.connected ? "connected" : "disconnected"),
                cells: [
                    ConsoleHTML.Cell.text(country.country),
                    .text(country.connected ? "connected" : "not connected", country.connected ? "ok" : "bad"),
                    .text(ConsoleHTML.age(country.lastUpload, now: now)),
                    .text(ConsoleHTML.age(country.lastDownload, now: now)),
                    .text(String(uploaded.last ?? 0), "num"), .text(String(downloaded.last ?? 0), "num"),
                    .html(
                        SVGPlot.bars(
                            id: "uploaded-\(country.country)", values: uploaded, title: "keys uploaded per day")),
                    .html(
                        SVGPlot.bars(
                            id: "downloaded-\(country.country)", values: downloaded, title: "keys downloaded per day")),
                    .html(
                        subscriptions.isEmpty
                            ? (country.subscriptions == 0 ? "none" : "\(country.subscriptions), no tasks")
                            : subscriptions),
                ]
            )
        }
        html += ConsoleHTML.table(
            id: "countries",
            columns: [
                "Country", "State", "Last upload", "Last download", "Keys up today", "Keys down today",
                "Uploaded, 14 days", "Downloaded, 14 days", "Callback subscriptions",
            ], rows: rows, empty: "No country has certificates or activity yet.")
        html +=
            "<h2>Reports</h2><p><a href=\"/reports/usage.csv\">Usage of the last 14 days (CSV)</a> · "
            + "<a href=\"/reports/retention.csv\">Retention report (CSV)</a> — also <code>efgs report usage</code> and "
            + "<code>efgs report retention</code>.</p>"
        return html
    }
}
