// SPDX-License-Identifier: EUPL-1.2

import Foundation
import Metrics
import NIOConcurrencyHelpers

/// The event log's lines for stdout, written by a thread of their own (`efgs serve`, PROTOCOL.md §7.9).
///
/// A stdout that stops taking lines — a stalled journald, a pipe nobody reads — fills its pipe (64 KiB on Linux) and
/// then blocks every write. Written in the logging thread, as before, one such stall stopped every request and job
/// that logged, each holding a thread of the cooperative pool. Lines wait here instead, up to `capacity` besides
/// the few (``batchSize`` at most) the thread is writing; past it the oldest waiting line is dropped and counted
/// (`efgs_log_lines_dropped_total`), like the syslog copy's queue (``SyslogForwarder``), and once stdout takes lines
/// again a WARN line says how many were lost.
final class EventLineWriter: @unchecked Sendable {
    let write: @Sendable (String) -> Void
    let droppedNotice: @Sendable (Int) -> String
    /// Guards the fields below; its value is ``idle``, ``pending`` or ``writing``.
    let condition = ConditionLock(value: idle)
    var queue: DropOldestQueue<String>
    /// Lines dropped by the queue when the last notice was written.
    var droppedNoticed = 0
    /// Lines that were waiting when the writer closed without stdout taking them.
    var discardedAtClose = 0
    var closed = false
    /// The writing thread writes lines it took (the condition's value is ``writing``).
    var writingNow = false

    /// The counter of dropped lines.
    static let droppedCounter = "efgs_log_lines_dropped_total"
    /// Lines the thread takes from the queue at a time: while a stalled write holds them, they cannot be dropped.
    static let batchSize = 256
    /// Nothing waits and nothing is being written.
    static let idle = 0
    /// Lines wait for the writing thread.
    static let pending = 1
    /// The writing thread writes lines it took.
    static let writing = 2

    /// A writer passing each line to `write` (which may block) on a thread of its own, keeping at most `capacity`
    /// waiting lines; `droppedNotice(n)` is the line written after `n` lines were dropped.
    init(
        capacity: Int = 10_000, write: @escaping @Sendable (String) -> Void,
        droppedNotice: @escaping @Sendable (Int) -> String
    ) {
        queue = DropOldestQueue(capacity: capacity)
        self.write = write
        self.droppedNotice = droppedNotice
        Counter(label: Self.droppedCounter).increment(by: 0)  // exported from the start, for increase()
        let thread = Thread { [self] in run() }
        thread.name = "efgs-event-log"
        thread.start()
        Self.open.withLockedValue { $0.append(self) }
    }

    /// Queues `line`; never waits for stdout.
    func enqueue(_ line: String) {
        condition.lock()
        guard !closed else {
            condition.unlock()
            return
        }
        let droppedOne = queue.append(line)
        condition.unlock(withValue: writingNow ? Self.writing : Self.pending)
        if droppedOne { Counter(label: Self.droppedCounter).increment() }
    }

    /// Lines dropped since the start, also those discarded at ``close(within:)``.
    var droppedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.droppedTotal + discardedAtClose
    }

    /// Waits up to `seconds` until every queued line is written; false when stdout did not take them in time.
    @discardableResult
    func flush(within seconds: Double) -> Bool {
        guard condition.lock(whenValue: Self.idle, timeoutSeconds: seconds) else { return false }
        condition.unlock()
        return true
    }

    /// ``flush(within:)``, then stops the thread; lines still waiting are discarded and counted as dropped, later
    /// ones are ignored.
    @discardableResult
    func close(within seconds: Double) -> Bool {
        let flushed = flush(within: seconds)
        condition.lock()
        let discarded = closed ? 0 : queue.removeAll().count
        discardedAtClose += discarded
        closed = true
        condition.unlock(withValue: Self.pending)  // wakes the thread, which ends
        if discarded > 0 { Counter(label: Self.droppedCounter).increment(by: Int64(discarded)) }
        Self.open.withLockedValue { writers in writers.removeAll { $0 === self } }
        return flushed
    }

    func run() {
        while true {
            condition.lock(whenValue: Self.pending)
            if closed {
                condition.unlock(withValue: Self.idle)
                return
            }
            let lines = queue.removeFirst(upTo: Self.batchSize)
            let lost = queue.droppedTotal - droppedNoticed
            droppedNoticed = queue.droppedTotal
            writingNow = true
            condition.unlock(withValue: Self.writing)
            for line in lines { write(line) }
            if lost > 0 { write(droppedNotice(lost)) }
            condition.lock()
            writingNow = false
            if closed {
                condition.unlock(withValue: Self.idle)
                return
            }
            condition.unlock(withValue: queue.elements.isEmpty ? Self.idle : Self.pending)
        }
    }

    /// The writers not closed yet: at process exit each gets a moment to write what waits (a command that fails at
    /// start-up logs why, then exits).
    static let open: NIOLockedValueBox<[EventLineWriter]> = {
        atexit {
            for writer in EventLineWriter.open.withLockedValue({ $0 }) { writer.flush(within: 2) }
        }
        return NIOLockedValueBox([])
    }()
}
