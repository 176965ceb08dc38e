// SPDX-License-Identifier: EUPL-1.2

import DequeModule

/// A first-in-first-out queue of at most ``capacity`` elements that makes room for a new element by dropping its
/// oldest: the lines waiting for stdout (``EventLineWriter``) and for the syslog collector (``SyslogForwarder``),
/// where logging must never wait for the reader and the newest lines matter most (PROTOCOL.md §7.9). It is a plain
/// value: its owner guards it with a lock.
struct DropOldestQueue<Element> {
    /// Elements kept at most.
    let capacity: Int
    /// The waiting elements, oldest first.
    private(set) var elements: Deque<Element> = []
    /// Elements dropped to make room since the queue was made.
    private(set) var droppedTotal = 0

    /// An empty queue keeping at most `capacity` (at least 1) elements.
    init(capacity: Int) {
        precondition(capacity > 0, "room for an element")
        self.capacity = capacity
    }

    /// Appends `element`; when that makes one too many, the oldest is dropped and counted. Returns whether one was
    /// dropped.
    @discardableResult
    mutating func append(_ element: Element) -> Bool {
        elements.append(element)
        guard elements.count > capacity else { return false }
        elements.removeFirst()
        droppedTotal += 1
        return true
    }

    /// Removes and returns the oldest `count` elements, or all when fewer wait.
    mutating func removeFirst(upTo count: Int) -> [Element] {
        let taken = Array(elements.prefix(count))
        elements.removeFirst(taken.count)
        return taken
    }

    /// Removes the oldest element (the queue must not be empty).
    mutating func removeFirst() {
        elements.removeFirst()
    }

    /// Removes every waiting element and returns them, oldest first.
    mutating func removeAll() -> Deque<Element> {
        defer { elements = [] }
        return elements
    }
}

extension DropOldestQueue: Sendable where Element: Sendable {}
