// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// Percent-encoding (RFC 3986 §2.1) of everything but the unreserved ASCII characters (RFC 3986 §2.3:
/// `A–Z a–z 0–9 - . _ ~`): path segments and query values a client sends, and the certificate header of mode b
/// as nginx's `$ssl_client_escaped_cert` writes it (§4.1).
public enum PercentEncoding {
    /// RFC 3986's unreserved characters.
    public static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// `text` with every byte outside the unreserved set as `%XX` (UTF-8).
    public static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}
