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

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway: the HTTP API, batching, callback delivery and lock cleanup, key and statistics "
            + "retention, and the admin listener when admin.port is set.")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try await options.load()
        // metrics: swift-metrics → swift-prometheus, served on the admin listener when admin.port is set
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets["efgs_db_transactions_per_commit"] = (1...SQLiteBackend.maximumUploadsPerCommit)
            .map(Double.init)
        MetricsSystem.bootstrap(factory)
        let built = try await explained {
            try await GatewayApplication.build(config: config, registry: registry, commit: buildCommit)
        }
        do {
            try await built.application.runService()
        } catch {
            try? await built.runtime.close()
            throw error
        }
        try await built.runtime.close()
    }
}
