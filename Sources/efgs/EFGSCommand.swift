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

@main
struct EFGSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "efgs",
        abstract: "European Federation Gateway Service: the hub national backends exchange diagnosis keys through.",
        version:
            "efgs-swift \(EFGSVersion.current) (commit \(buildCommit ?? "unknown: a developer build, not made by tools/release.sh"))",
        subcommands: [
            Serve.self, ConfigCommand.self, Migrate.self, Demo.self, TrustAnchorCommand.self, CertCommand.self,
            ClientCommand.self,
            Readiness.self, Batch.self, PurgeKeys.self,
            PurgeStatistics.self, DeliverCallbacks.self, ReleaseCallbackLocks.self, CountryCommand.self,
            OperatorEventsCommand.self, ReportCommand.self, Benchmark.self, ScaleBenchmark.self, Soak.self,
            LoadCommand.self,
        ])
}

/// `--config` shared by every command that touches the gateway's state.
struct ConfigOption: ParsableArguments {
    @Option(
        name: .long,
        help:
            "YAML configuration file (see efgs.sample.yaml; environment variables such as SERVER_PORT override it)."
    )
    var config: String?

    func load() async throws -> GatewayConfiguration {
        do {
            return try await GatewayConfiguration.load(path: config)
        } catch let error as InvalidSetting {
            throw ValidationError(error.description)
        }
    }
}

/// Runs `body`, printing an ``InvalidSetting`` as the one line that names the setting.
func explained<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as InvalidSetting {
        throw ValidationError(error.description)
    }
}
