// SPDX-License-Identifier: EUPL-1.2

import CoreMetrics
import EFGSCrypto
import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import MetricsTestKit
import NIOCore
import NIOPosix
import XCTest

@testable import EFGSGateway

/// §7.5 URL rules with the real resolver (getaddrinfo): numeric spellings are vetted by the address they denote.
final class CallbackURLPolicyTests: XCTestCase {
    func testRulesAndEveryResolvedAddress() async {
        let strict = CallbackURLPolicy(allowLoopback: false)
        func refused(_ url: String, _ policy: CallbackURLPolicy? = nil) async -> Bool {
            if case .failure = await (policy ?? strict).vet(url) { return true }
            return false
        }
        // loopback, private and special ranges in every spelling the C library accepts
        for url in [
            "https://127.0.0.1/cb", "https://2130706433/cb", "https://0x7f.0.0.1/cb", "https://0177.0.0.1/cb",
            "https://127.1/cb",
            "https://localhost/cb", "https://localhost./cb", "https://10.0.0.1./cb", "https://[::1]/cb",
            "https://[::ffff:127.0.0.1]/cb",
            "https://[::ffff:8.8.8.8]/cb", "https://[64:ff9b::808:808]/cb", "https://[fe80::1]/cb",
            "https://[fc00::1]/cb",
            "https://[2001:db8::1]/cb", "https://[2002::1]/cb", "https://0.0.0.0/cb", "https://255.255.255.255/cb",
            "https://100.64.1.1/cb",
            "https://169.254.169.254/latest", "https://172.16.0.1/cb", "https://192.168.1.1/cb",
            "https://198.18.0.1/cb", "https://224.0.0.1/cb",
        ] {
            let isRefused = await refused(url)
            XCTAssertTrue(isRefused, url)
        }
        // URL shape
        for url in [
            "http://8.8.8.8/cb", "https://8.8.8.8/cb?x=1", "https://8.8.8.8/cb?", "https://8.8.8.8/cb#f",
            "https://u:p@8.8.8.8/cb",
            "https://8.8.8.8:0/cb", "https://8.8.8.8:65536/cb", "https://[::1/cb", "//8.8.8.8/cb", "https:///cb",
            "https://exämple.com/cb",
            "https://8.8.8.8/" + String(repeating: "a", count: 250), "https://no-such-host.invalid/cb",
        ] {
            let isRefused = await refused(url)
            XCTAssertTrue(isRefused, url)
        }
        // public addresses pass; scheme in any case; trailing dots dropped; port and path kept
        guard case .success(let v) = await strict.vet("HTTPS://8.8.8.8.:8443/efgs/cb") else {
            return XCTFail("public IPv4")
        }
        XCTAssertEqual(v.host, "8.8.8.8")
        XCTAssertEqual(v.port, 8443)
        XCTAssertEqual(v.path, "/efgs/cb")
        XCTAssertEqual(v.hostHeader, "8.8.8.8:8443")
        guard case .success(let v6) = await strict.vet("https://[2a00:1450:4001::1]") else {
            return XCTFail("public IPv6")
        }
        XCTAssertEqual(v6.path, "/")
        XCTAssertEqual(v6.hostHeader, "[2a00:1450:4001::1]")
        // every resolved address must be public
        let mixed = CallbackURLPolicy(allowLoopback: false, resolve: { _ in [[8, 8, 8, 8], [192, 168, 0, 1]] })
        let mixedResult = await mixed.vet("https://example.org/cb")
        XCTAssertEqual(
            mixedResult.failureValue,
            .privateAddress(host: "example.org", address: [192, 168, 0, 1]))
        // the development switch permits 127.0.0.0/8 and ::1 only
        let dev = CallbackURLPolicy(allowLoopback: true)
        for url in ["https://127.0.0.1/cb", "https://127.0.0.2/cb", "https://[::1]/cb", "https://2130706433/cb"] {
            let isRefused = await refused(url, dev)
            XCTAssertFalse(isRefused, url)
        }
        for url in ["https://10.0.0.1/cb", "https://[::ffff:127.0.0.1]/cb", "https://0.0.0.0/cb"] {
            let isRefused = await refused(url, dev)
            XCTAssertTrue(isRefused, url)
        }
    }
}

/// Issue 12, finding 2: a host whose DNS never answers must not freeze the gateway. The resolver runs
/// getaddrinfo on threads of its own with a deadline and a cap on lookups under way.
final class HostResolverTests: XCTestCase {
    /// A DNS server that never answers: a UDP socket bound on loopback that reads nothing. Lookups through a
    /// resolver configuration naming it hang until the C library's own timeout.
    func testLookupsOfAHostWhoseDNSNeverAnswersEndAtTheDeadlineAndNeverBlockTheCooperativePool() async throws {
        // a blocking lookup stands in for getaddrinfo against a silent DNS server (same effect on the thread)
        let resolver = HostResolver(threads: 4, maxPending: 4, timeout: 0.5)
        let hanging = "hang.invalid"
        let start = ContinuousClock.now
        async let a = resolver.resolve(
            hanging,
            lookup: { _ in
                Thread.sleep(forTimeInterval: 3)
                return [[8, 8, 8, 8]]
            })
        async let b = resolver.resolve(
            hanging,
            lookup: { _ in
                Thread.sleep(forTimeInterval: 3)
                return [[8, 8, 8, 8]]
            })
        // while both lookups block their threads, the cooperative pool is free: 50 short tasks finish at once
        let busy = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<50 { group.addTask { _ = (0..<1000).reduce(0, +) } }
        }
        XCTAssertLessThan(ContinuousClock.now - busy, .milliseconds(300))
        let (ra, rb) = await (a, b)
        XCTAssertEqual(ra, [], "a lookup past its deadline is unresolvable")
        XCTAssertEqual(rb, [])
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(2), "answered at the deadline, not after 3 s")
        // the two timed-out lookups still hold their slots; two more are admitted, a fifth is refused at once
        async let c = resolver.resolve(
            hanging,
            lookup: { _ in
                Thread.sleep(forTimeInterval: 3)
                return []
            })
        async let d = resolver.resolve(
            hanging,
            lookup: { _ in
                Thread.sleep(forTimeInterval: 3)
                return []
            })
        try await Task.sleep(for: .milliseconds(100))
        let refusedAt = ContinuousClock.now
        let e = await resolver.resolve("other.invalid", lookup: { _ in [[8, 8, 8, 8]] })
        XCTAssertEqual(e, [], "beyond maxPending a lookup is refused")
        XCTAssertLessThan(ContinuousClock.now - refusedAt, .milliseconds(100), "refused at once, not queued")
        _ = await (c, d)
        // once the C library answers, the slots free up and lookups work again
        try await Task.sleep(for: .seconds(3))
        let f = await resolver.resolve("fine.example", lookup: { _ in [[8, 8, 8, 8]] })
        XCTAssertEqual(f, [[8, 8, 8, 8]])
    }

    /// `callback.dnsTimeout`, `callback.dnsThreads` and `callback.dnsMaxPending` make the gateway's resolver (they
    /// were fixed at 5 s, 4 and 16); gateways of one process with the same settings share one resolver and its bound.
    func testTheResolverFollowsTheCallbackSettings() async throws {
        let config = try await GatewayConfiguration.load(
            path: nil,
            environment: [
                "TRUST_ANCHOR_CERTIFICATE_PATH": "/ta.pem", "CALLBACK_DNS_TIMEOUT": "0.25",
                "STORAGE_KEYS": "k1:" + Base64.encodeString([UInt8](repeating: 7, count: 32)),
                "STORAGE_ACTIVE_KEY_ID": "k1",
                "CALLBACK_DNS_THREADS": "2", "CALLBACK_DNS_MAX_PENDING": "3",
            ])
        let resolver = HostResolver.shared(for: config.callback)
        XCTAssertEqual(resolver.timeout, 0.25)
        XCTAssertEqual(resolver.maxPending, 3)
        XCTAssertTrue(resolver === HostResolver.shared(for: config.callback), "one resolver per setting")
        XCTAssertFalse(resolver === HostResolver.shared, "the defaults have their own")
        XCTAssertEqual(HostResolver.shared.timeout, 5)
        // unset, the bound follows the threads and the delivery parallelism
        let derived = try await GatewayConfiguration.load(
            path: nil,
            environment: [
                "TRUST_ANCHOR_CERTIFICATE_PATH": "/ta.pem", "CALLBACK_PARALLELISM": "20", "CALLBACK_DNS_THREADS": "32",
                "STORAGE_KEYS": "k1:" + Base64.encodeString([UInt8](repeating: 7, count: 32)),
                "STORAGE_ACTIVE_KEY_ID": "k1",
            ])
        XCTAssertEqual(derived.callback.dnsMaxPending, 40)
        let start = ContinuousClock.now
        let hung = await resolver.resolve(
            "hang.invalid",
            lookup: { _ in
                Thread.sleep(forTimeInterval: 1)
                return [[8, 8, 8, 8]]
            })
        XCTAssertEqual(hung, [])
        XCTAssertLessThan(ContinuousClock.now - start, .milliseconds(900), "given up at callback.dnsTimeout")
    }

    /// The real resolver: a numeric host resolves without DNS, on the resolver's threads.
    func testTheSystemLookupResolvesNumericHosts() async {
        let addresses = await HostResolver.shared.resolve("8.8.8.8")
        XCTAssertEqual(addresses, [[8, 8, 8, 8]])
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
