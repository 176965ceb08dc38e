// SPDX-License-Identifier: EUPL-1.2

import Hummingbird
import Logging
import ServiceLifecycle

/// A Hummingbird application served by this process in a task of its own (the demo's and the benchmark's gateway,
/// the load generator's and the readiness check's callback endpoints, the tests' gateway), stopped by a graceful
/// shutdown.
///
/// Cancelling the task that serves a Hummingbird application can crash the process: a connection accepted just
/// before is left unread in the server channel's stream, and when NIO drops it, `NIOAsyncWriter` traps with
/// "Deinited NIOAsyncWriter without calling finish()" (swift-nio issues 2637 and 3481; `efgs load run` crashed this way
/// at the end of `tools/load-scenario.sh` on 2026-12-04, while the gateway delivered a callback). A graceful shutdown
/// closes the listening channel first and serves what it had accepted, so ``stop(within:)`` uses it and cancels only
/// a server that has not ended within its grace period.
public final class InProcessServer: Sendable {
    let group: ServiceGroup
    let run: Task<Void, any Error>

    /// Starts serving `application`; no signal stops it, only ``stop(within:)``.
    public init(_ application: some ApplicationProtocol & Sendable, logger: Logger) {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [.init(service: application)], logger: logger))
        self.group = group
        run = Task { try await group.run() }
    }

    /// Waits until the application has stopped: after ``stop(within:)``, or when it failed (it could not listen).
    public func ended() async throws {
        try await run.value
    }

    /// Shuts the application down gracefully (no new connection; the accepted ones are served, idle ones closed)
    /// and waits until it has stopped; cancels it when that takes longer than `grace`.
    public func stop(within grace: Duration = .seconds(10)) async {
        await group.triggerGracefulShutdown()
        let run = self.run
        let deadline = Task {
            try await Task.sleep(for: grace)
            run.cancel()
        }
        _ = await run.result
        deadline.cancel()
    }
}
