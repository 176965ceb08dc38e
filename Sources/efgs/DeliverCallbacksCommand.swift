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

struct DeliverCallbacks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver-callbacks",
        abstract: "Run one callback-delivery pass: deliver every eligible callback task (docs/api.md §12).")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        guard
            let (s, pending) = try await GatewayRuntime.with(
                options, callbacks: true,
                { rt in
                    try await rt.lockedOnce(JobLock.callbackDelivery) {
                        let summary = try await rt.services.callbackExecutor(client: rt.callbackClient!).run()
                        return (summary, try await rt.services.store.pendingCallbackTaskCount())
                    }
                })
        else { return }
        print(
            "delivered \(s.delivered), failed \(s.failed) (dropped after the last retry: \(s.dropped)); \(pending) task(s) pending"
        )
    }
}
