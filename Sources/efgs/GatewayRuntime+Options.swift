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

/// The CLI's side of ``GatewayRuntime``: options in, and every ``InvalidSetting`` printed as one line naming the
/// setting.
extension GatewayRuntime {
    static func open(_ option: ConfigOption, callbacks: Bool = false) async throws -> GatewayRuntime {
        let config = try await option.load()
        return try await explained { try await open(config, callbacks: callbacks) }
    }

    /// Opens the runtime, runs `body`, and closes it whether `body` returns or throws (one-shot commands).
    static func with<T>(
        _ option: ConfigOption, callbacks: Bool = false, _ body: (GatewayRuntime) async throws -> T
    ) async throws -> T {
        let config = try await option.load()
        return try await explained { try await with(config, callbacks: callbacks, body) }
    }

    /// Runs a one-shot job under its job lock (§7.8); nil when another instance holds it (a message says so).
    func lockedOnce<T: Sendable>(_ name: String, _ job: @escaping @Sendable () async throws -> T) async throws -> T? {
        let result = try await locked(name, job)
        if result == nil { print("the \(name) job lock is held by another instance; nothing done") }
        return result
    }
}
