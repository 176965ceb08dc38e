import Crypto
import EFGSProtocol
import Foundation

/// A certificate thumbprint: SHA-256 of the DER encoding as 64 lower-case hex characters (PROTOCOL.md §1).
public enum Thumbprint {
    public static func of<D: DataProtocol>(der: D) -> String {
        Hex.encode(SHA256.hash(data: der))
    }

    /// Normalises an `X-SSL-Client-SHA256` header value (§4.2): 64 hex digits in any case, or (percent-encoded)
    /// standard Base64 of 32 bytes. Nil when the value is unusable (→ 403).
    public static func normalise(header value: String) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        let u = Array(trimmed.utf8)
        if u.count == 64, u.allSatisfy(Hex.isHexDigit) { return trimmed.lowercased() }
        var text = trimmed
        if text.contains("%") {
            guard let decoded = PercentDecoding.decode(text, plusAsSpace: false),
                  let s = String(validating: decoded, as: UTF8.self) else { return nil }
            text = s
        }
        guard let raw = Base64.decodeStrict(text), raw.count == 32 else { return nil }
        return Hex.encode(raw)
    }
}

public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out = [UInt8]()
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        let u = Array(text.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        var i = 0
        while i < u.count {
            guard let h = value(u[i]), let l = value(u[i + 1]) else { return nil }
            out.append(h << 4 | l); i += 2
        }
        return out
    }

    static func isHexDigit(_ c: UInt8) -> Bool { value(c) != nil }

    static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}

/// `%XX` decoding with the spec's rule that `+` stays `+` (unless form decoding is asked for).
public enum PercentDecoding {
    /// Nil when a `%` is not followed by two hex digits.
    public static func decode(_ text: String, plusAsSpace: Bool) -> [UInt8]? {
        let u = Array(text.utf8)
        var out = [UInt8]()
        out.reserveCapacity(u.count)
        var i = 0
        while i < u.count {
            let c = u[i]
            if c == 0x25 {
                guard i + 2 < u.count, let h = Hex.value(u[i + 1]), let l = Hex.value(u[i + 2]) else { return nil }
                out.append(h << 4 | l); i += 3
            } else {
                out.append(plusAsSpace && c == 0x2B ? 0x20 : c); i += 1
            }
        }
        return out
    }
}
