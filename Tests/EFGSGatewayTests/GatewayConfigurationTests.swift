// SPDX-License-Identifier: EUPL-1.2

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

    static let required = [
        "TRUST_ANCHOR_CERTIFICATE_PATH": "/x",
        "STORAGE_KEYS": "k1:" + Base64.encodeString([UInt8](repeating: 7, count: 32)),
        "STORAGE_ACTIVE_KEY_ID": "k1",
    ]

    func write(_ yaml: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("efgs-config-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("efgs.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    func refusal(_ yaml: String?, environment: [String: String] = [:]) async throws -> String? {
        let path = try yaml.map { try write($0).path }
        do {
            _ = try await GatewayConfiguration.load(path: path, environment: Self.required.merging(environment) { $1 })
            return nil
        } catch let error as InvalidSetting {
            return error.description
        }
    }

    /// Misspelled settings were ignored (the gateway started in proxy-header mode with `auth: {mod: mutualTLS}`);
    /// now each is refused with the nearest known name, in the file and in the environment.
    func testUnknownSettingsAreRefusedWithTheNearestName() async throws {
        let cases: [(String, String)] = [
            ("auth: {mod: mutualTLS}\n", "auth.mod: unknown setting; did you mean auth.mode?"),
            (
                "retention:\n  keyRetentionDay: 14\n",
                "retention.keyRetentionDay: unknown setting; did you mean retention.keyRetentionDays?"
            ),
            (
                "signature:\n  allowLegacySHA1: true\n",
                "signature.allowLegacySHA1: unknown setting; did you mean signature.allowLegacySha1?"
            ),
            ("srever:\n  port: 80\n", "srever: unknown setting; did you mean server?"),
            (
                "logging:\n  syslog:\n    hots: x\n",
                "logging.syslog.hots: unknown setting; did you mean logging.syslog.host?"
            ),
        ]
        for (yaml, message) in cases {
            let refused = try await refusal(yaml)
            XCTAssertEqual(refused, "invalid configuration: " + message, yaml)
        }
        let env = try await refusal(nil, environment: ["AUTH_MOD": "mutualTLS"])
        XCTAssertEqual(env, "invalid configuration: AUTH_MOD: unknown setting; did you mean AUTH_MODE?")
        let unrelated = try await refusal(nil, environment: ["HOME": "/root", "EFGS_OPERATOR": "ops"])
        XCTAssertNil(unrelated, "variables outside the settings' prefixes are not settings")
    }

    /// Every key of the shipped sample is known, and every known key can be set.
    func testTheSampleAndEveryKnownKeyAreAccepted() async throws {
        let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("efgs.sample.yaml")
        XCTAssertNoThrow(try KnownSettings.checkFile(try String(contentsOf: sample, encoding: .utf8)))
        for key in KnownSettings.keys {
            let yaml =
                key.split(separator: ".").enumerated()
                .map { String(repeating: "  ", count: $0.offset) + $0.element + ":" }.joined(separator: "\n") + " x\n"
            XCTAssertNoThrow(try KnownSettings.checkFile(yaml), key)
        }
        XCTAssertEqual(KnownSettings.environmentName("trustAnchor.certificatePath"), "TRUST_ANCHOR_CERTIFICATE_PATH")
        XCTAssertEqual(KnownSettings.environmentName("logging.syslog.caPath"), "LOGGING_SYSLOG_CA_PATH")
    }

    /// Relative paths in the file resolve against the file's folder; environment values stay as given.
    func testRelativePathsResolveAgainstTheConfigurationFolder() async throws {
        let file = try write(
            """
            trustAnchor: {certificatePath: ta.pem}
            database: {url: "sqlite:data/efgs.sqlite"}
            callback: {clientCertificatePath: certs/cb.pem, clientKeyPath: /abs/cb.key}
            storage: {keys: ["k1:\(Base64.encodeString([UInt8](repeating: 7, count: 32)))"], activeKeyId: k1}
            """)
        let folder = file.deletingLastPathComponent().standardizedFileURL.path
        let config = try await GatewayConfiguration.load(path: file.path, environment: [:])
        XCTAssertEqual(config.trustAnchorPath, folder + "/ta.pem")
        XCTAssertEqual(config.databaseURL, "sqlite:" + folder + "/data/efgs.sqlite")
        XCTAssertEqual(config.callback.clientCertificatePath, folder + "/certs/cb.pem")
        XCTAssertEqual(config.callback.clientKeyPath, "/abs/cb.key")
        let overridden = try await GatewayConfiguration.load(
            path: file.path, environment: ["TRUST_ANCHOR_CERTIFICATE_PATH": "here/ta.pem"])
        XCTAssertEqual(overridden.trustAnchorPath, "here/ta.pem")
    }
}
