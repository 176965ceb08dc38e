// SPDX-License-Identifier: EUPL-1.2

/// An error of the gateway store, shaped like swift-certificates' `CertificateError`: a stable ``code`` to match
/// on, and a ``reason`` for people.
///
/// ```swift
/// catch let error as StoreError where error.code == .corrupt { … }
/// ```
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is; stable across releases.
    public let code: Code
    /// What happened, for logs and operators.
    public let reason: String

    init(code: Code, reason: String) {
        self.code = code
        self.reason = reason
    }

    /// `StoreError.<code>: <reason>`.
    public var description: String { "StoreError.\(code): \(reason)" }

    /// The store cannot do this here: a `database.url` naming no database, or an operation of another backend.
    public static func unsupported(_ reason: String) -> StoreError {
        StoreError(code: .unsupported, reason: reason)
    }

    /// Concurrent writers kept an operation from completing (an upload that kept losing unique-constraint races, or
    /// on PostgreSQL deadlocks). Nothing was written; the API answers 503, like ``unavailable(_:)``.
    public static func conflict(_ reason: String) -> StoreError {
        StoreError(code: .conflict, reason: reason)
    }

    /// A stored value the store cannot read back, such as an unknown certificate type (§7.6) or format version
    /// (§7.1): the database was changed outside the gateway, or by a newer version of it.
    public static func corrupt(_ reason: String) -> StoreError {
        StoreError(code: .corrupt, reason: reason)
    }

    /// The database cannot be reached now: no connection within the lease timeout, the server closed the
    /// connection, or it is shutting down or starting up. Nothing was written that the caller was told about; the
    /// same operation may succeed once the database is back (the API answers 503).
    public static func unavailable(_ reason: String) -> StoreError {
        StoreError(code: .unavailable, reason: reason)
    }

    /// Whether `error` is ``unavailable(_:)`` (the database is away).
    public static func isUnavailable(_ error: any Error) -> Bool {
        (error as? StoreError)?.code == .unavailable
    }

    /// ``corrupt(_:)`` for the value `value` found in `table`.`column`.
    static func corruptValue(_ value: String, table: String, column: String) -> StoreError {
        corrupt("\(table).\(column) holds an unknown value '\(value.prefix(64))'")
    }

    /// The kinds of ``StoreError``; compare with `==` (new codes may be added, so `switch` needs a default).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String, Hashable, Sendable {
            case unsupported, conflict, corrupt, unavailable
        }

        private let backing: Backing

        private init(_ backing: Backing) {
            self.backing = backing
        }

        /// See ``StoreError/unsupported(_:)``.
        public static let unsupported = Code(.unsupported)
        /// See ``StoreError/conflict(_:)``.
        public static let conflict = Code(.conflict)
        /// See ``StoreError/corrupt(_:)``.
        public static let corrupt = Code(.corrupt)
        /// See ``StoreError/unavailable(_:)``.
        public static let unavailable = Code(.unavailable)

        /// The code's name: `unsupported`, `conflict`, `corrupt` or `unavailable`.
        public var description: String { backing.rawValue }
    }
}
