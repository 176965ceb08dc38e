// SPDX-License-Identifier: EUPL-1.2

import Foundation
import NIOConcurrencyHelpers

/// The most recent WARN and ERROR event lines of this process (PROTOCOL.md §7.9), for the operator console's Events
/// page; the event log on stdout and syslog stays the record.
public final class RecentEvents: Sendable {
    /// One written event.
    public struct Entry: Sendable, Equatable {
        /// When it was written.
        public var time: Date
        /// WARN or ERROR.
        public var level: EventLevel
        /// The component (`class`).
        public var component: String
        /// The message.
        public var message: String
        /// The `country` attribute, when the event has one.
        public var country: String?
        /// The whole line as written (sanitised).
        public var line: String
    }

    /// Lines kept; the oldest goes first.
    public let capacity: Int
    let entries = NIOLockedValueBox([Entry]())

    /// Keeps the last `capacity` lines.
    public init(capacity: Int = 500) { self.capacity = capacity }

    func append(_ entry: Entry) {
        entries.withLockedValue { entries in
            entries.append(entry)
            if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
        }
    }

    /// The kept lines, newest first, of `country` and `component` only when given.
    public func list(country: String? = nil, component: String? = nil) -> [Entry] {
        entries.withLockedValue { $0 }.reversed().filter { entry in
            (country == nil || entry.country == country) && (component == nil || entry.component == component)
        }
    }
}
