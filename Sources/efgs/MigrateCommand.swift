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
        let store = try await SQLGatewayStore.open(url: config.databaseURL, logger: Logger(label: "efgs.store"))
        let applied = try await store.migrate()
        print(
            "schema version \(try await store.schemaVersion()) (applied now: \(applied.isEmpty ? "none" : applied.map(String.init).joined(separator: ", ")))"
        )
        try await store.close()
    }
}
