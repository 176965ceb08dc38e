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
    func testRulesAndEveryResolvedAddress() {
        let strict = CallbackURLPolicy(allowLoopback: false)
        func refused(_ url: String, _ policy: CallbackURLPolicy? = nil) -> Bool {
            if case .failure = (policy ?? strict).vet(url) { return true }
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
            XCTAssertTrue(refused(url), url)
        }
        // URL shape
        for url in [
            "http://8.8.8.8/cb", "https://8.8.8.8/cb?x=1", "https://8.8.8.8/cb?", "https://8.8.8.8/cb#f",
            "https://u:p@8.8.8.8/cb",
            "https://8.8.8.8:0/cb", "https://8.8.8.8:65536/cb", "https://[::1/cb", "//8.8.8.8/cb", "https:///cb",
            "https://exämple.com/cb",
            "https://8.8.8.8/" + String(repeating: "a", count: 250), "https://no-such-host.invalid/cb",
        ] {
            XCTAssertTrue(refused(url), url)
        }
        // public addresses pass; scheme in any case; trailing dots dropped; port and path kept
        guard case .success(let v) = strict.vet("HTTPS://8.8.8.8.:8443/efgs/cb") else { return XCTFail("public IPv4") }
        XCTAssertEqual(v.host, "8.8.8.8")
        XCTAssertEqual(v.port, 8443)
        XCTAssertEqual(v.path, "/efgs/cb")
        XCTAssertEqual(v.hostHeader, "8.8.8.8:8443")
        guard case .success(let v6) = strict.vet("https://[2a00:1450:4001::1]") else { return XCTFail("public IPv6") }
        XCTAssertEqual(v6.path, "/")
        XCTAssertEqual(v6.hostHeader, "[2a00:1450:4001::1]")
        // every resolved address must be public
        let mixed = CallbackURLPolicy(allowLoopback: false, resolve: { _ in [[8, 8, 8, 8], [192, 168, 0, 1]] })
        XCTAssertEqual(
            mixed.vet("https://example.org/cb").failureValue,
            .privateAddress(host: "example.org", address: [192, 168, 0, 1]))
        // the development switch permits 127.0.0.0/8 and ::1 only
        let dev = CallbackURLPolicy(allowLoopback: true)
        for url in ["https://127.0.0.1/cb", "https://127.0.0.2/cb", "https://[::1]/cb", "https://2130706433/cb"] {
            XCTAssertFalse(refused(url, dev), url)
        }
        for url in ["https://10.0.0.1/cb", "https://[::ffff:127.0.0.1]/cb", "https://0.0.0.0/cb"] {
            XCTAssertTrue(refused(url, dev), url)
        }
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
