// SPDX-License-Identifier: EUPL-1.2

/// A per-key validation failure (PROTOCOL.md §5.3 check 11).
public struct KeyValidationFailure: Error, Equatable, Sendable {
    /// The key's index in the request.
    public var index: Int
    /// The field's name as in §5.3.
    public var field: String
    /// The reference implementation's reason text.
    public var reason: String

    /// `Validation of diagnosis key failed: keys[<i>].<field>: <reason>`
    public var message: String { "Validation of diagnosis key failed: keys[\(index)].\(field): \(reason)" }
}
