// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// An IPv4 or IPv6 network in CIDR notation (RFC 4632 §3.1), as `auth.trustedProxies` lists them.
public struct CIDR: Sendable, Equatable, CustomStringConvertible {
    let network: [UInt8]
    let prefix: Int

    /// `address/prefix` (the prefix 1–3 ASCII digits, at most 32 or 128), or a bare address (a network of one); nil
    /// for anything else, never a trap: the text comes from the configuration.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, let address = IPAddressBytes.parse(String(first)) else { return nil }
        let bits = address.count * 8
        if parts.count == 2 {
            let digits = parts[1].utf8
            guard (1...3).contains(digits.count), digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let length = Int(parts[1]), (0...bits).contains(length)
            else { return nil }
            prefix = length
        } else {
            prefix = bits
        }
        network = address
    }

    /// Whether `address` (4 or 16 bytes; an IPv4-mapped IPv6 address counts as its IPv4 address) is in the network.
    public func contains(_ address: [UInt8]) -> Bool {
        var addr = address
        if addr.count == 16, network.count == 4, addr[0..<10].allSatisfy({ $0 == 0 }), addr[10] == 0xFF,
            addr[11] == 0xFF
        {
            addr = Array(addr[12...])  // IPv4-mapped IPv6 peer
        }
        guard addr.count == network.count else { return false }
        var bits = prefix
        for i in 0..<addr.count where bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if addr[i] & mask != network[i] & mask { return false }
            bits -= 8
        }
        return true
    }

    /// `address/prefix`.
    public var description: String { "\(IPAddressBytes.format(network))/\(prefix)" }
}
