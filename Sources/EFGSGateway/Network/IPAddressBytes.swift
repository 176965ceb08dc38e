// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// Textual IP addresses (RFC 4291 §2.2 for IPv6) as their 4 or 16 bytes and back, through `inet_pton` and
/// `inet_ntop`.
public enum IPAddressBytes {
    /// The bytes of an IPv4 or IPv6 address in text form; nil for anything else (host names included).
    public static func parse(_ text: String) -> [UInt8]? {
        // inet_pton reads a C string: text with a NUL would be cut short there
        guard !text.isEmpty, text.utf8.count <= 64, !text.utf8.contains(0) else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// The text form of 4 or 16 address bytes.
    public static func format(_ bytes: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        var address = bytes
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        _ = inet_ntop(family, &address, &buffer, socklen_t(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
