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

struct PurgeKeys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge-keys",
        abstract: "Run one key-retention pass: delete whole upload batches whose download batch is older than "
            + "retention.keyRetentionDays, and any upload batch older than the 14-day legal limit.")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        guard
            let r = try await GatewayRuntime.with(
                options,
                { rt in try await rt.lockedOnce(JobLock.keyRetention) { try await rt.services.keyRetention.run() } })
        else { return }
        print(
            "deleted \(r.keysDeleted) key(s) of upload batches batched before "
                + "\(UTCTimestamp.format(epochMillis: r.cutoff)) or past the legal limit; \(r.keysAfter) remain"
                + (r.earlyDeleted.isEmpty
                    ? ""
                    : " (\(r.earlyDeleted.count) upload batch(es) deleted before their keys were downloadable "
                        + "for the retention period: see the WARN events)"))
    }
}
