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

struct ReleaseCallbackLocks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release-callback-locks",
        abstract: "Clear callback-task locks older than callback.taskLockTimeout (abandoned by a crashed executor).")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        guard
            let n = try await GatewayRuntime.with(
                options,
                { rt in
                    try await rt.lockedOnce(JobLock.callbackLockCleanup) {
                        try await rt.services.callbackLockCleanup.run()
                    }
                })
        else { return }
        print("released \(n) lock(s)")
    }
}
