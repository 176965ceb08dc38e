// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSCrypto
import EFGSGateway
import EFGSProtocol
import EFGSStore
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus

struct PurgeStatistics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge-statistics",
        abstract:
            "Run one statistics-retention pass (retention.statisticsRetentionDays): statistics rows, old download batches (never the newest) and old callback tasks."
    )
    @OptionGroup var options: ConfigOption

    func run() async throws {
        guard
            let (n, days) = try await GatewayRuntime.with(
                options,
                { rt in
                    try await rt.lockedOnce(JobLock.statisticsRetention) {
                        (
                            try await rt.services.statisticsRetention.run(),
                            rt.services.config.retention.statisticsRetentionDays
                        )
                    }
                })
        else { return }
        print("deleted \(n) row(s) older than \(days) days")
    }
}
