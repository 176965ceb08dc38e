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
        commandName: "purge-keys", abstract: "Run one key-retention pass (retention.keyRetentionDays).")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        guard
            let r = try await GatewayRuntime.with(
                options,
                { rt in try await rt.lockedOnce(JobLock.keyRetention) { try await rt.services.keyRetention.run() } })
        else { return }
        print(
            "deleted \(r.keysDeleted) key(s) accepted before \(UTCTimestamp.format(epochMillis: r.cutoff)); \(r.keysAfter) remain"
        )
    }
}
