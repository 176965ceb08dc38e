// SPDX-License-Identifier: EUPL-1.2

/// A download answer whose `batchTag` or `nextBatchTag` header is not a download batch tag `yyyyMMdd-N`
/// (PROTOCOL.md §5.4, §7.3): a hostile or broken gateway. The client refuses it before using the value anywhere —
/// in a request, and above all in a file name (`efgs client download` names its files after the tag, so a tag
/// such as `../../x` would write outside the chosen folder).
public struct UnexpectedBatchTag: Error, CustomStringConvertible, Sendable {
    /// The response header that carried it (`batchTag` or `nextBatchTag`).
    public let header: String
    /// The value as received.
    public let value: String

    /// The refusal of `value` in `header`.
    public init(header: String, value: String) {
        self.header = header
        self.value = value
    }

    /// One line, the value quoted with its control characters escaped.
    public var description: String {
        "the gateway answered \(header) \(value.debugDescription), which is not a download batch tag (yyyyMMdd-N); "
            + "refused"
    }
}
