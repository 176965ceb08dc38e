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

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending schema migrations and print the schema version.")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try await options.load()
        let log = EventLog(minimumLevel: config.logging.level)
        let store = try await explained {
            try await GatewayRuntime.openStore(
                config.database, logger: EventLogHandler.logger("efgs.store", eventLog: log))
        }
        do {
            let applied = try await store.migrate()
            let now = applied.isEmpty ? "none" : applied.map(String.init).joined(separator: ", ")
            print("schema version \(try await store.schemaVersion()) (applied now: \(now))")
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }
}
