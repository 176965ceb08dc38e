// SPDX-License-Identifier: EUPL-1.2

import Foundation

extension String {
    /// The same text as `trimmingCharacters(in: .whitespaces)`. A text whose first and last characters are
    /// printable ASCII other than the space (every well-formed identity header) is returned as it is, without
    /// Foundation's scan: neither end can be one of the set's characters (space, tab, Unicode `Zs`).
    var trimmingWhitespaces: String {
        if let first = utf8.first, let last = utf8.last, (0x21...0x7E).contains(first), (0x21...0x7E).contains(last) {
            return self
        }
        return trimmingCharacters(in: .whitespaces)
    }
}
