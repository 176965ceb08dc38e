// SPDX-License-Identifier: EUPL-1.2

import Foundation
import NIOConcurrencyHelpers

/// Runs `operation` and waits at most `seconds` for it: the result, its error, or `onTimeout()`'s error. The
/// operation is cancelled on timeout but not awaited (a driver that ignores cancellation cannot hold start-up).
func withDeadline<T: Sendable>(
    seconds: Double, onTimeout: @escaping @Sendable () -> any Error,
    operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let resumed = NIOLockedValueBox(false)
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        @Sendable func finish(_ result: Result<T, any Error>) {
            let first = resumed.withLockedValue { done in
                defer { done = true }
                return !done
            }
            if first { continuation.resume(with: result) }
        }
        let work = Task {
            do {
                finish(.success(try await operation()))
            } catch {
                finish(.failure(error))
            }
        }
        Task {
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
            finish(.failure(onTimeout()))
            work.cancel()
        }
    }
}
