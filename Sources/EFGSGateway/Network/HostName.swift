// SPDX-License-Identifier: EUPL-1.2

/// Host names as settings give them (`admin.host`, `logging.syslog.host`): an IP address or a DNS name.
enum HostName {
    /// Whether `text` is an IPv4 or IPv6 address, or a DNS host name (RFC 1123 §2.1: dot-separated labels of 1–63
    /// letters, digits and inner hyphens, 253 characters at most).
    static func isValid(_ text: String) -> Bool {
        if IPAddressBytes.parse(text) != nil { return true }
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { byte in
                    let lower = byte | 0x20
                    return (lower >= 0x61 && lower <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D
                }
        }
    }
}
