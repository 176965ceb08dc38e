// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// The body of a 207 answer to an upload (PROTOCOL.md §5.3, §7.2): the request positions (0-based) of the keys by
/// outcome. Nothing of a 207 upload is stored: `201` lists the keys that would have been new, `409` the keys that
/// are stored already (or repeated within the request), `500` is always empty.
public struct UploadMultiStatus: Codable, Sendable, Equatable {
    /// Positions of keys that were not stored already.
    public var fresh: [Int]
    /// Positions of keys that are stored already or repeat an earlier key of the same request.
    public var conflicts: [Int]
    /// Positions of keys that failed otherwise (always empty in this gateway).
    public var failed: [Int]

    enum CodingKeys: String, CodingKey {
        case fresh = "201"
        case conflicts = "409"
        case failed = "500"
    }

    /// The outcome of a batch of `keyCount` keys of which `conflicts` were duplicates.
    public init(keyCount: Int, conflicts: Set<Int>) {
        self.conflicts = conflicts.sorted()
        self.fresh = (0..<keyCount).filter { !conflicts.contains($0) }
        self.failed = []
    }

    /// The exact bytes the gateway sends: `{"500":[…],"201":[…],"409":[…]}`.
    public func encoded() -> [UInt8] {
        let text =
            "{\"500\":\(JSONText.array(failed)),\"201\":\(JSONText.array(fresh)),"
            + "\"409\":\(JSONText.array(conflicts))}"
        return Array(text.utf8)
    }

    /// Reads a 207 body; nil when `bytes` is not one.
    public static func decode(_ bytes: [UInt8]) -> UploadMultiStatus? {
        try? JSONDecoder().decode(UploadMultiStatus.self, from: Data(bytes))
    }
}
