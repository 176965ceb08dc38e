// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol

/// A report as named columns and rows of text, rendered for a terminal, as CSV (RFC 4180) or as JSON: one shape for
/// `efgs report`, `efgs operator-events` and the console's downloads, so the three never disagree.
public struct ReportTable: Sendable, Equatable {
    /// The column names, in order (also the CSV header and the JSON member names).
    public var columns: [String]
    /// The rows, each with one value per column.
    public var rows: [[String]]
    /// Lines printed after the table in the terminal rendering (totals, facts); not part of CSV or JSON.
    public var footer: [String] = []

    /// A table of `columns` and `rows`.
    public init(columns: [String], rows: [[String]], footer: [String] = []) {
        self.columns = columns
        self.rows = rows
        self.footer = footer
    }

    /// `table`, `csv` or `json`.
    public enum Format: String, Sendable, CaseIterable {
        case table, csv, json
    }

    /// The table in `format`, ending with a newline.
    public func rendered(_ format: Format) -> String {
        switch format {
        case .table: return text
        case .csv: return csv
        case .json: return json + "\n"
        }
    }

    /// RFC 4180: a header line, every value quoted (doubled quotes inside), CRLF line ends.
    public var csv: String {
        func cell(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        return ([columns] + rows).map { $0.map(cell).joined(separator: ",") + "\r\n" }.joined()
    }

    /// A JSON array with one object per row, members named after the columns, every value a string.
    public var json: String {
        JSONText.array(
            rows.map { row in
                "{" + zip(columns, row).map { JSONText.quoted($0) + ":" + JSONText.quoted($1) }.joined(separator: ",")
                    + "}"
            })
    }

    /// Columns padded to their widest value, then the footer lines.
    public var text: String {
        var widths = columns.map(\.count)
        for row in rows {
            for (i, value) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], value.count) }
        }
        func line(_ values: [String]) -> String {
            var text = zip(values, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }
                .joined(separator: "  ")
            while text.last == " " { text.removeLast() }
            return text + "\n"
        }
        return ([columns] + rows).map(line).joined() + footer.map { $0 + "\n" }.joined()
    }
}
