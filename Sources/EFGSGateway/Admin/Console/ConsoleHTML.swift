// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import Foundation

/// The operator console's HTML: the page shell (navigation, the style sheet, the refresh), escaping and tables.
/// Everything is rendered on the server and inline: the console loads nothing but its own page (no script, font,
/// image or style sheet from anywhere), so it works on an isolated admin network and leaks nothing.
enum ConsoleHTML {
    /// The pages, in navigation order: path and title.
    static let pages: [(path: String, title: String)] = [
        ("/", "Federation"), ("/certificates", "Certificates"), ("/batches", "Batches"), ("/traffic", "Traffic"),
        ("/events", "Events"),
    ]

    /// Seconds between the page's own reloads.
    static let refreshSeconds = 30

    /// `text` safe in HTML text and in quoted attribute values.
    static func escape(_ text: String) -> String { HTMLText.escape(text) }

    /// A whole page: `body` under the navigation with `path` marked current.
    static func page(path: String, now: Date, body: String) -> String {
        let title = pages.first { $0.path == path }?.title ?? "Console"
        let nav = pages.map { page in
            "<a href=\"\(page.path)\"\(page.path == path ? " class=\"current\" aria-current=\"page\"" : "")>"
                + "\(page.title)</a>"
        }.joined()
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="refresh" content="\(refreshSeconds)">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>EFGS · \(escape(title))</title><link rel="icon" href="data:,">
            <style>\(style)</style></head>
            <body><header><span class="brand">EFGS operator console</span><nav>\(nav)</nav>
            <span class="meta">efgs-swift \(escape(EFGSVersion.current)) · \(escape(UTCTimestamp.format(now)))</span>
            </header><main><h1>\(escape(title))</h1>
            \(body)
            </main></body></html>
            """
    }

    /// One table cell: already-escaped HTML and an optional class.
    struct Cell {
        var html: String
        var cssClass: String?

        /// A cell showing `text`, escaped.
        static func text(_ text: String, _ cssClass: String? = nil) -> Cell {
            Cell(html: escape(text), cssClass: cssClass)
        }
        /// A cell of ready HTML.
        static func html(_ html: String, _ cssClass: String? = nil) -> Cell { Cell(html: html, cssClass: cssClass) }
    }

    /// A table with `id`; each row may carry an id and a class. An empty table says `empty`.
    static func table(
        id: String, columns: [String], rows: [(id: String?, cssClass: String?, cells: [Cell])], empty: String
    ) -> String {
        guard !rows.isEmpty else { return "<p class=\"empty\" id=\"\(escape(id))\">\(escape(empty))</p>" }
        let head = columns.map { "<th>\(escape($0))</th>" }.joined()
        func attribute(_ name: String, _ value: String?) -> String {
            guard let value else { return "" }
            return " " + name + "=\"" + escape(value) + "\""
        }
        let body = rows.map { row -> String in
            let cells = row.cells.map { cell -> String in
                "<td" + attribute("class", cell.cssClass) + ">" + cell.html + "</td>"
            }.joined()
            return "<tr" + attribute("id", row.id) + attribute("class", row.cssClass) + ">" + cells + "</tr>"
        }.joined(separator: "\n")
        return "<table id=\"\(escape(id))\"><thead><tr>\(head)</tr></thead><tbody>\n\(body)\n</tbody></table>"
    }

    /// Summary figures as cards: label and value.
    static func cards(_ items: [(label: String, value: String, cssClass: String?)]) -> String {
        "<div class=\"cards\">"
            + items.map { item in
                "<div class=\"card\(item.cssClass.map { " " + escape($0) } ?? "")\"><div class=\"label\">"
                    + "\(escape(item.label))</div><div class=\"value\">\(escape(item.value))</div></div>"
            }.joined() + "</div>"
    }

    /// `bytes` in KiB, MiB or GiB.
    static func size(_ bytes: Int64) -> String {
        if bytes < 1_048_576 { return "\((bytes + 1023) / 1024) KiB" }
        if bytes < 1_073_741_824 { return "\(bytes / 1_048_576) MiB" }
        return SVGPlot.format(Double(bytes) / 1_073_741_824) + " GiB"
    }

    /// `date` as `yyyy-MM-ddTHH:mm:ss.SSSZ`, or `never`.
    static func time(_ date: Date?) -> String {
        date.map { UTCTimestamp.format($0) } ?? "never"
    }

    /// How long ago `date` was, in the largest sensible unit.
    static func age(_ date: Date?, now: Date) -> String {
        guard let date else { return "never" }
        let seconds = Int(now.timeIntervalSince(date))
        if seconds < 120 { return "\(max(seconds, 0)) s ago" }
        if seconds < 7200 { return "\(seconds / 60) min ago" }
        if seconds < 172_800 { return "\(seconds / 3600) h ago" }
        return "\(seconds / 86400) days ago"
    }

    static let style = """
        :root{--fg:#1d2330;--muted:#5b6475;--line:#d9dee7;--bg:#f6f7fa;--ok:#1f7a3f;--warn:#a86400;--bad:#b3261e;\
        --accent:#2b59c3}
        *{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;\
        color:var(--fg);background:var(--bg)}
        header{display:flex;gap:24px;align-items:center;padding:10px 24px;background:#1d2330;color:#fff}
        header .brand{font-weight:600}header nav a{color:#c9d3e8;text-decoration:none;margin-right:16px}
        header nav a.current{color:#fff;border-bottom:2px solid #7fa2ff}header .meta{margin-left:auto;color:#9aa5ba;\
        font-size:12px}
        main{padding:8px 24px 32px}h1{font-size:20px;margin:12px 0}h2{font-size:16px;margin:24px 0 8px}
        table{border-collapse:collapse;background:#fff;width:100%;border:1px solid var(--line)}
        th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}
        td:first-child{white-space:nowrap}th{background:#eef1f6;font-weight:600;font-size:12px;color:var(--muted)}\
        td.num{text-align:right;\
        font-variant-numeric:tabular-nums}
        .cards{display:flex;flex-wrap:wrap;gap:12px}.card{background:#fff;border:1px solid var(--line);\
        border-radius:6px;padding:10px 14px;min-width:150px}
        .card .label{font-size:12px;color:var(--muted)}.card .value{font-size:20px;font-weight:600}
        .ok{color:var(--ok)}.warn,.expiry-warning{color:var(--warn)}.bad,.expired,.expiry-critical{color:var(--bad)}
        tr.expiry-critical,tr.expired{background:#fdecea}tr.expiry-warning{background:#fff4e0}
        tr.revoked{color:var(--muted);text-decoration:line-through}
        .empty{color:var(--muted)}code{font-size:12px}form{margin:8px 0}a{color:var(--accent)}
        svg{display:block}svg .bar{fill:#7fa2ff}svg .axis{stroke:#c3c9d4}svg text{font-size:10px;fill:var(--muted)}
        svg .p50{stroke:#2b59c3;fill:#2b59c3}svg .p95{stroke:#a86400;fill:#a86400}svg .p99{stroke:#b3261e;fill:#b3261e}
        svg polyline{fill:none;stroke-width:1.5}.legend span{margin-right:12px}
        """
}
