import EFGSCrypto
import EFGSProtocol
import EFGSStore
import EFGSTestSupport
import Foundation
import Logging
import XCTest

@testable import EFGSGateway

/// Configuration sections and their refusals (§9).
final class GatewayConfigurationTests: XCTestCase {
    func testConfigurationRefusesBadSettings() async {
        for (key, value) in [
            ("STORAGE_KEYS", "k1:short"), ("UPLOAD_MAX_KEYS", "6000"), ("RETENTION_KEY_RETENTION_DAYS", "2"),
            ("AUTH_TRUSTED_PROXIES", "1.2.3.4/40"),
        ] {
            var env = [
                "TRUST_ANCHOR_CERTIFICATE_PATH": "/x",
                "STORAGE_KEYS": "k1:" + Base64.encodeString([UInt8](repeating: 7, count: 32)),
                "STORAGE_ACTIVE_KEY_ID": "k1",
            ]
            env[key] = value
            do {
                _ = try await GatewayConfiguration.load(path: nil, environment: env)
                XCTFail(key)
            } catch let e as GatewayConfiguration.InvalidSetting {
                XCTAssertTrue(
                    e.description.contains(
                        key == "UPLOAD_MAX_KEYS"
                            ? "upload.maxKeys"
                            : key == "STORAGE_KEYS"
                                ? "storage.keys"
                                : key == "RETENTION_KEY_RETENTION_DAYS"
                                    ? "retention.keyRetentionDays" : "auth.trustedProxies"), e.description)
            } catch { XCTFail("\(error)") }
        }
    }
}
