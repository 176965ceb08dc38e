// SPDX-License-Identifier: EUPL-1.2

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (HTTP optional whitespace, RFC 9110 §5.6.3): bytes,
    /// as the RFC says, so a space before a combining mark is trimmed too (until 2026-12-03 the trim compared
    /// whole characters, and the scan by grapheme was most of a media type parser's time).
    var trimmingSpaces: Substring {
        let s = Substring(self)
        let bytes = s.utf8
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start = bytes.index(after: start) }
        while start < end {
            let last = bytes.index(before: end)
            guard bytes[last] == 0x20 || bytes[last] == 0x09 else { break }
            end = last
        }
        return s[start..<end]
    }
}
