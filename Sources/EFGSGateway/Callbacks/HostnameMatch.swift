// SPDX-License-Identifier: EUPL-1.2

import Foundation
import X509

/// RFC 6125 host matching: SAN dNSName with a left-most-label wildcard, SAN iPAddress, or (no SAN, and only where
/// allowed) CN. Subscription checks (§5.6) allow the CN; deliveries (§7.5) do not.
enum HostnameMatch {
    /// Whether `cert` names `host`; `commonNameFallback` allows the CN when the certificate has no SAN.
    static func certificate(_ cert: Certificate, matches host: String, commonNameFallback: Bool = true) -> Bool {
        let host = host.lowercased()
        var names: [String] = []
        var ips: [[UInt8]] = []
        if let san = try? cert.extensions.subjectAlternativeNames {
            for n in san {
                switch n {
                case .dnsName(let d): names.append(d.lowercased())
                case .ipAddress(let ip): ips.append(Array(ip.bytes))
                default: break
                }
            }
        }
        if let ip = IPAddressBytes.parse(host) { return ips.contains(ip) }
        if names.isEmpty && ips.isEmpty && commonNameFallback {
            names = cert.subject.flatMap { $0 }.filter { $0.type == .RDNAttributeType.commonName }.compactMap {
                String($0.value)?.lowercased()
            }
        }
        return names.contains { pattern in
            if pattern == host { return true }
            guard pattern.hasPrefix("*."), let dot = host.firstIndex(of: ".") else { return false }
            return String(host[dot...]) == String(pattern.dropFirst())
        }
    }
}
