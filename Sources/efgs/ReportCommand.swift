// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSGateway
import EFGSProtocol
import Foundation

/// `efgs report usage|retention`: the statistics of PROTOCOL.md §7.7 read back for the people who pay and the people
/// who audit (docs/monitoring.md, Reports).
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Usage per country and day, and the retention facts a data-protection assessment needs.",
        subcommands: [Usage.self, Retention.self])

    /// `--format` of both reports.
    struct FormatOption: ParsableArguments {
        @Option(help: "table, csv or json.") var format: String = "table"

        func validate() throws {
            guard ReportTable.Format(rawValue: format) != nil else {
                throw ValidationError("--format: table, csv or json")
            }
        }

        var value: ReportTable.Format { ReportTable.Format(rawValue: format) ?? .table }
    }

    struct Usage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Uploads, keys uploaded, downloads and keys downloaded by country and UTC day.")
        @OptionGroup var options: ConfigOption
        @Option(help: "The first UTC day (yyyy-MM-dd); default: 13 days before --to.") var from: String?
        @Option(help: "The last UTC day, included (yyyy-MM-dd); default: today.") var to: String?
        @Option(help: "Only this country.") var country: String?
        @OptionGroup var format: FormatOption

        func validate() throws {
            if let from, UTCDay(iso: from) == nil { throw ValidationError("--from: a day as yyyy-MM-dd") }
            if let to, UTCDay(iso: to) == nil { throw ValidationError("--to: a day as yyyy-MM-dd") }
        }

        func run() async throws {
            let report = try await GatewayRuntime.with(options) { runtime in
                do {
                    return try await runtime.services.reports.usage(
                        from: from.flatMap { UTCDay(iso: $0) }, to: to.flatMap { UTCDay(iso: $0) }, country: country)
                } catch let refused as OperatorReports.RefusedPeriod {
                    throw ValidationError(refused.description)
                }
            }
            print(report.table.rendered(format.value), terminator: "")
        }
    }

    struct Retention: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "What is stored and since when, and what each key-retention run deleted, against "
                + "retention.keyRetentionDays and the 14-day legal limit.")
        @OptionGroup var options: ConfigOption
        @Option(help: "The retention runs of this many past days.") var days: Int = 30
        @OptionGroup var format: FormatOption

        func validate() throws {
            guard (1...3660).contains(days) else { throw ValidationError("--days: 1 to 3660") }
        }

        func run() async throws {
            let report = try await GatewayRuntime.with(options) { runtime in
                try await runtime.services.reports.retention(days: days)
            }
            print(report.table.rendered(format.value), terminator: "")
        }
    }
}
