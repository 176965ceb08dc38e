// SPDX-License-Identifier: EUPL-1.2

/// Wakes a periodic job early: the batching early trigger of PROTOCOL.md §7.3, and callback delivery right after a
/// productive batching run. Fires coalesce: at most one wake-up waits.
public final class JobTrigger: Sendable {
    let stream: AsyncStream<Void>
    let continuation: AsyncStream<Void>.Continuation

    /// A trigger nobody has fired yet.
    public init() {
        (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Wakes the job (or makes its next wait return at once).
    public func fire() { continuation.yield() }
}
