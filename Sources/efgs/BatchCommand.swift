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

struct Batch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one batching pass: group unbatched upload batches into download batches.")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        guard
            let created = try await GatewayRuntime.with(
                options, { rt in try await rt.lockedOnce(JobLock.batching) { try await rt.services.batching.run() } })
        else { return }
        print(
            "created \(created.count) download batch(es)\(created.isEmpty ? "" : ": " + created.map { "\($0.tag) (\($0.keyCount) keys)" }.joined(separator: ", "))"
        )
    }
}
