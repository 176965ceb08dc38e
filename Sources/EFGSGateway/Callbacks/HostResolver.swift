// SPDX-License-Identifier: EUPL-1.2

import Foundation
import NIOConcurrencyHelpers
import NIOPosix

/// Host-name resolution off the request path (issue 12): getaddrinfo(3) blocks its thread for as long as the DNS
/// servers take, so it runs on a small thread pool of its own — never on the cooperative pool that serves
/// requests and jobs — and a lookup that has not answered within `timeout` counts as unresolvable. At most
/// `maxPending` lookups are under way at once (a timed-out one keeps its slot until the C library gives up); a
/// lookup beyond that is unresolvable at once, so a peer naming a host whose DNS never answers costs the gateway
/// a bounded number of threads and nothing else.
public final class HostResolver: Sendable {
    /// Seconds a lookup may take.
    public let timeout: Double
    /// Lookups under way at most.
    public let maxPending: Int
    let pool: NIOThreadPool
    private let pending = NIOLockedValueBox(0)

    /// The resolver of the callback URL rules (§7.5) with the defaults of `callback.dns*`: four threads, 16 lookups
    /// under way, 5 s each.
    public static var shared: HostResolver { shared(for: CallbackSettings()) }

    private static let resolvers = NIOLockedValueBox<[String: HostResolver]>([:])

    /// The process's resolver for `callback.dnsThreads`, `callback.dnsMaxPending` and `callback.dnsTimeout`: one per
    /// distinct setting, made on first use and kept for the life of the process (its pool is never stopped), so
    /// every gateway of the process with these settings shares the bound on lookups and threads.
    public static func shared(for settings: CallbackSettings) -> HostResolver {
        let key = "\(settings.dnsThreads) \(settings.dnsMaxPending) \(settings.dnsTimeout)"
        return resolvers.withLockedValue { resolvers in
            if let resolver = resolvers[key] { return resolver }
            let resolver = HostResolver(
                threads: settings.dnsThreads, maxPending: settings.dnsMaxPending, timeout: settings.dnsTimeout)
            resolvers[key] = resolver
            return resolver
        }
    }

    /// A resolver on a pool of `threads` threads, started here and living as long as the process.
    public init(threads: Int, maxPending: Int, timeout: Double) {
        self.timeout = timeout
        self.maxPending = maxPending
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    /// The addresses of `host` (A and AAAA, 4 or 16 bytes each, sorted, no duplicates); empty when it has none,
    /// did not answer within ``timeout``, or too many lookups are under way.
    public func resolve(_ host: String) async -> [[UInt8]] {
        await resolve(host, lookup: Self.getaddrinfo)
    }

    /// ``resolve(_:)`` with another blocking `lookup` in place of getaddrinfo (tests stand in a silent DNS server).
    func resolve(_ host: String, lookup: @escaping @Sendable (String) -> [[UInt8]]) async -> [[UInt8]] {
        let admitted = pending.withLockedValue { pending in
            guard pending < maxPending else { return false }
            pending += 1
            return true
        }
        guard admitted else { return [] }
        let waiter = NIOLockedValueBox<CheckedContinuation<[[UInt8]], Never>?>(nil)
        let finish: @Sendable ([[UInt8]]) -> Void = { addresses in
            let continuation = waiter.withLockedValue { stored in
                defer { stored = nil }
                return stored
            }
            continuation?.resume(returning: addresses)
        }
        return await withCheckedContinuation { continuation in
            waiter.withLockedValue { $0 = continuation }
            let pending = self.pending
            let timeout = self.timeout
            let deadline = Task {
                try? await Task.sleep(for: .seconds(timeout))
                finish([])
            }
            pool.submit { state in
                let addresses = state == .active ? lookup(host) : []
                pending.withLockedValue { $0 -= 1 }
                finish(addresses)
                deadline.cancel()  // no timer left asleep for the rest of the timeout
            }
        }
    }

    /// getaddrinfo over A and AAAA, blocking. Numeric spellings (decimal, octal, hex IPv4) resolve as the C
    /// library reads them, so they are vetted by the address they actually denote.
    static func getaddrinfo(_ host: String) -> [[UInt8]] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        guard Glibc.getaddrinfo(host, nil, &hints, &res) == 0, let first = res else { return [] }
        defer { freeaddrinfo(first) }
        var out: [[UInt8]] = []
        var p: UnsafeMutablePointer<addrinfo>? = first
        while let ai = p {
            if ai.pointee.ai_family == AF_INET, let sa = ai.pointee.ai_addr {
                sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { s in
                    var addr = s.pointee.sin_addr
                    out.append(withUnsafeBytes(of: &addr) { Array($0) })
                }
            } else if ai.pointee.ai_family == AF_INET6, let sa = ai.pointee.ai_addr {
                sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { s in
                    var addr = s.pointee.sin6_addr
                    out.append(withUnsafeBytes(of: &addr) { Array($0) })
                }
            }
            p = ai.pointee.ai_next
        }
        return Array(Set(out)).sorted { $0.lexicographicallyPrecedes($1) }
    }
}
