// SPDX-License-Identifier: EUPL-1.2

import Crypto
import EFGSProtocol
import Foundation

/// A certificate thumbprint: SHA-256 of the DER encoding as 64 lower-case hex characters (PROTOCOL.md §1).
public enum Thumbprint {
    /// The thumbprint of a certificate's DER encoding.
    public static func of<D: DataProtocol>(der: D) -> String {
        Hex.encode(SHA256.hash(data: der))
    }

    /// Normalises an `X-SSL-Client-SHA256` header value (§4.2): 64 hex digits in any case, or (percent-encoded)
    /// standard Base64 of 32 bytes. Nil when the value is unusable (→ 403).
    public static func normalise(header value: String) -> String? {
        let trimmed = value.trimmingWhitespaces
        let u = Array(trimmed.utf8)
        if u.count == 64, u.allSatisfy(Hex.isHexDigit) { return trimmed.lowercased() }
        var text = trimmed
        if text.contains("%") {
            guard let decoded = PercentDecoding.decode(text, plusAsSpace: false),
                let s = String(validating: decoded, as: UTF8.self)
            else { return nil }
            text = s
        }
        guard let raw = Base64.decodeStrict(text), raw.count == 32 else { return nil }
        return Hex.encode(raw)
    }
}
