// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore

/// Uploads and downloads per country and UTC day over a period, from the statistics of PROTOCOL.md §7.7: what the
/// gateway did for each country (`efgs report usage`, the console's usage CSV). Every accepted upload and every
/// successful download is one statistic row written with it, so the totals match the event log's
/// `successfull batch upload` and `Successful Batch Download` lines of the same period (while statistics retention
/// has not deleted them).
public struct UsageReport: Sendable, Equatable {
    /// The first day of the period (UTC).
    public var from: UTCDay
    /// The last day of the period, included.
    public var to: UTCDay
    /// The one country reported, or nil for all.
    public var country: String?
    /// The figures per day and country, sorted by day then country; days without traffic are absent.
    public var days: [UsageDay]

    /// The sums over the period per country, sorted by country.
    public var totalsByCountry: [UsageDay] {
        var totals: [String: UsageDay] = [:]
        for day in days {
            var total = totals[day.country] ?? UsageDay(epochDay: from.epochDay, country: day.country)
            total.uploads += day.uploads
            total.keysUploaded += day.keysUploaded
            total.downloads += day.downloads
            total.keysDownloaded += day.keysDownloaded
            totals[day.country] = total
        }
        return totals.values.sorted { $0.country < $1.country }
    }

    /// The sums over the period and every reported country.
    public var total: UsageDay {
        days.reduce(into: UsageDay(epochDay: from.epochDay, country: country ?? "all")) { sum, day in
            sum.uploads += day.uploads
            sum.keysUploaded += day.keysUploaded
            sum.downloads += day.downloads
            sum.keysDownloaded += day.keysDownloaded
        }
    }

    /// One row per day and country; the terminal rendering ends with the totals per country and overall.
    public var table: ReportTable {
        func figures(_ d: UsageDay) -> [String] {
            [d.uploads, d.keysUploaded, d.downloads, d.keysDownloaded].map(String.init)
        }
        let columns = ["day", "country", "uploads", "keys_uploaded", "downloads", "keys_downloaded"]
        let totals = totalsByCountry.map { total in
            "total \(total.country): "
                + zip(columns.dropFirst(2), figures(total)).map { "\($0) \($1)" }
                .joined(separator: ", ")
        }
        let all = total
        return ReportTable(
            columns: columns, rows: days.map { [UTCDay(epochDay: $0.epochDay).description, $0.country] + figures($0) },
            footer: ["", "\(from.description) to \(to.description)"] + totals
                + [
                    "total: " + zip(columns.dropFirst(2), figures(all)).map { "\($0) \($1)" }.joined(separator: ", ")
                ])
    }
}
