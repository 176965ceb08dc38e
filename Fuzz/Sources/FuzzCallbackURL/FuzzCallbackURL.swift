// SPDX-License-Identifier: EUPL-1.2

import EFGSGateway
import FuzzSupport

/// The callback URL rules of PROTOCOL.md §7.5 (`CallbackURLPolicy.vet`, the check a subscription PUT makes) with
/// a resolver that never leaves the process: an IP-literal host resolves to itself, a name to one public address,
/// a name ending in `.internal` to a private one. A vetted URL must be https, free of query, fragment and user
/// info, and name only addresses the policy calls public.
enum CallbackURLTarget {
    static let resolve: @Sendable (String) async -> [[UInt8]] = { host in
        if let literal = IPAddressBytes.parse(host) { return [literal] }
        return host.hasSuffix(".internal") ? [[10, 0, 0, 1]] : [[93, 184, 215, 14]]
    }
    static let policies = [
        CallbackURLPolicy(allowLoopback: false, resolve: resolve),
        CallbackURLPolicy(allowLoopback: true, resolve: resolve),
    ]

    static func test(_ url: String) {
        for policy in policies {
            guard case .success(let vetted) = Fuzz.wait({ await policy.vet(url) }) else { continue }
            let authority = url.dropFirst("https://".count).prefix { $0 != "/" }
            guard url.lowercased().hasPrefix("https://"), !url.contains("?"), !url.contains("#"),
                !authority.contains("@"), (1...65535).contains(vetted.port), !vetted.host.isEmpty,
                vetted.addresses.allSatisfy(policy.isPublic)
            else { Fuzz.fail("vetted a URL the rules refuse: \(url) → \(vetted)") }
            _ = (vetted.hostHeader, vetted.hostIsIPLiteral)
        }
    }
}

/// libFuzzer's callback: one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    CallbackURLTarget.test(Fuzz.text(data, size))
    return 0
}

/// The program's entry (SwiftPM links `main` to `<module>_main`): libFuzzer's driver.
@_cdecl("FuzzCallbackURL_main")
public func programMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.run(argc, argv, testOneInput)
}
