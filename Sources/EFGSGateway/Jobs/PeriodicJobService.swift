// SPDX-License-Identifier: EUPL-1.2

import Foundation
import ServiceLifecycle

/// Runs a job every `interval` seconds measured from the end of the previous run, and whenever `trigger` fires,
/// until graceful shutdown. A failed run is logged (class `name`) and the schedule goes on.
public struct PeriodicJobService: Service {
    let name: String
    let interval: TimeInterval
    let trigger: JobTrigger?
    let log: EventLog
    let job: @Sendable () async throws -> Void

    /// A service running `job` as `name`.
    public init(
        name: String, interval: TimeInterval, trigger: JobTrigger? = nil, log: EventLog,
        job: @escaping @Sendable () async throws -> Void
    ) {
        self.name = name
        self.interval = interval
        self.trigger = trigger
        self.log = log
        self.job = job
    }

    /// Runs until graceful shutdown.
    public func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                do {
                    try await job()
                } catch is CancellationError {
                    break  // shutting down
                } catch {
                    log.scope(name).error("job failed", ["exception": String(describing: error)])
                }
                await waitForNextRun()
            }
        } onGracefulShutdown: {
            trigger?.continuation.finish()
        }
    }

    func waitForNextRun() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000)) }
            if let trigger {
                group.addTask {
                    var wakeUps = trigger.stream.makeAsyncIterator()
                    _ = await wakeUps.next()
                }
            }
            group.addTask { try? await gracefulShutdown() }
            await group.next()
            group.cancelAll()
        }
    }
}
