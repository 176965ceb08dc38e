// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import Foundation
import XCTest

/// Operator mistakes at start-up are refused fast, with one line naming the setting, before anything is written
/// (issue "safe to operate", item 4).
final class StartupRefusalTests: XCTestCase {
    /// An unreachable PostgreSQL: `migrate`, `batch` and `serve` give up after `database.connectTimeout` with the
    /// URL named, its password masked — instead of retrying forever.
    func testUnreachableDatabaseFailsFastNamingTheURLWithoutItsPassword() throws {
        try EFGS.requireBinary()
        let dir = try temporaryFolder(self, "no-db")
        let fed = try Federation(dir: dir)
        let environment = [
            "DATABASE_URL": "postgres://efgs:sec-ret-pw@127.0.0.1:1/efgs", "DATABASE_CONNECT_TIMEOUT": "2",
        ]
        for command in [["migrate"], ["batch"], ["serve"]] {
            let started = Date()
            let r = try EFGS.run(command + ["--config", fed.configPath], in: dir, environment: environment)
            XCTAssertNotEqual(r.status, 0, r.output)
            XCTAssertLessThan(Date().timeIntervalSince(started), 30, "\(command) gave up in time")
            XCTAssertTrue(
                r.output.contains("database.url: cannot reach postgres://efgs:***@127.0.0.1:1/efgs"), r.output)
            XCTAssertFalse(r.output.contains("sec-ret-pw"), "the password is never printed: \(r.output)")
        }
    }

    /// A busy port: one line naming the setting, host and port; no job runs, no database is created.
    func testBusyPortIsRefusedBeforeAnythingIsWritten() throws {
        try EFGS.requireBinary()
        let dir = try temporaryFolder(self, "busy-port")
        let fed = try Federation(dir: dir)
        let first = try ServeProcess(config: fed.configPath, in: dir)
        defer { first.stop() }
        let second = dir.appendingPathComponent("second.sqlite")
        let r = try EFGS.run(
            ["serve", "--config", fed.configPath], in: dir,
            environment: ["SERVER_PORT": String(first.port), "DATABASE_URL": "sqlite:" + second.path])
        XCTAssertNotEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("server.port: cannot listen on 127.0.0.1:\(first.port)"), r.output)
        XCTAssertFalse(r.output.contains("job failed"), r.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: second.path), "nothing was written")
    }
}

extension StartupRefusalTests {
    /// One typo in `STORAGE_KEYS` on one instance: refused at start naming the key id, the database untouched;
    /// `/readyz` is never reached with the wrong key.
    func testWrongStorageKeyIsRefusedAtStartWithNothingWritten() throws {
        try EFGS.requireBinary()
        let dir = try temporaryFolder(self, "wrong-key")
        let fed = try Federation(dir: dir)
        try fed.addMember("DE")
        XCTAssertEqual(
            try EFGS.run(["batch", "--config", fed.configPath], in: dir).status, 0, "records the check value")
        let database = dir.appendingPathComponent("efgs.sqlite")
        let before = try Data(contentsOf: database)
        // a fresh install: nothing migrated yet is no failure, serve migrates at start
        let fresh = try Federation(dir: try temporaryFolder(self, "config-check-fresh"))
        let empty = try EFGS.run(["config", "check", "--config", fresh.configPath], in: fresh.dir)
        XCTAssertEqual(empty.status, 0, empty.output)
        XCTAssertTrue(
            empty.output.contains("ok     migrations: empty database: efgs serve (or efgs migrate) applies the 4"),
            empty.output)
        XCTAssertTrue(empty.output.contains("ok     storage.keys: nothing stored yet"), empty.output)
        let wrongKey = "k1:" + Base64.encodeString((0..<32).map { _ in UInt8.random(in: 0...255) })
        for command in [["serve"], ["batch"], ["cert", "list"]] {
            let r = try EFGS.run(
                command + ["--config", fed.configPath], in: dir, environment: ["STORAGE_KEYS": wrongKey])
            XCTAssertNotEqual(r.status, 0, r.output)
            XCTAssertTrue(
                r.output.contains("storage.keys: key id 'k1' is not the key that sealed the stored data"), r.output)
        }
        XCTAssertEqual(try Data(contentsOf: database), before, "nothing was written")
    }

    /// Another trust anchor than the one that signed the rows: refused at start naming trustAnchor.
    func testForeignTrustAnchorIsRefusedAtStart() throws {
        try EFGS.requireBinary()
        let dir = try temporaryFolder(self, "wrong-anchor")
        let fed = try Federation(dir: dir)
        try fed.addMember("DE")
        let other = dir.appendingPathComponent("other")
        XCTAssertEqual(
            try EFGS.run(["trust-anchor", "create", "--out-dir", other.path, "--key", "p256"], in: dir).status, 0)
        let r = try EFGS.run(
            ["serve", "--config", fed.configPath], in: dir,
            environment: ["TRUST_ANCHOR_CERTIFICATE_PATH": other.appendingPathComponent("ta.pem").path])
        XCTAssertNotEqual(r.status, 0, r.output)
        XCTAssertTrue(
            r.output.contains("trustAnchor.certificatePath: none of the 2 certificate rows verifies"), r.output)
    }
}

extension StartupRefusalTests {
    /// `efgs config check`: the effective configuration with secrets masked, one line per check, exit 1 with the
    /// failing check named; a healthy configuration passes.
    func testConfigCheckReportsEveryCheck() throws {
        try EFGS.requireBinary()
        let dir = try temporaryFolder(self, "config-check")
        let fed = try Federation(dir: dir)
        try fed.addMember("DE")
        let healthy = try EFGS.run(["config", "check", "--config", fed.configPath], in: dir)
        XCTAssertEqual(healthy.status, 0, healthy.output)
        for line in [
            "storage.keys: k1:***", "ok     server.port", "ok     trustAnchor.certificatePath: loaded",
            "ok     callback.clientCertificatePath: certificate and key match", "ok     database.url",
            "ok     migrations: schema version 4 of 4", "ok     storage.keys", "ok     trustAnchor rows: 2 of 2",
            "configuration ok",
        ] {
            XCTAssertTrue(healthy.output.contains(line), "\(line)\n\(healthy.output)")
        }
        let wrongKey = "k1:" + Base64.encodeString((0..<32).map { _ in UInt8.random(in: 0...255) })
        let broken = try EFGS.run(
            ["config", "check", "--config", fed.configPath], in: dir,
            environment: [
                "STORAGE_KEYS": wrongKey, "CALLBACK_CLIENT_KEY_PATH": dir.appendingPathComponent("ta.key").path,
            ])
        XCTAssertEqual(broken.status, 1, broken.output)
        XCTAssertTrue(broken.output.contains("FAILED storage.keys: key id 'k1' is not the key"), broken.output)
        XCTAssertTrue(broken.output.contains("FAILED callback.clientCertificatePath"), broken.output)
        XCTAssertFalse(broken.output.contains(String(wrongKey.dropFirst(3))), "no key material printed")
    }
}

extension StartupRefusalTests {
    /// `trust-anchor create` run twice refuses instead of overwriting the anchor's private key.
    func testTrustAnchorIsNeverOverwritten() throws {
        try EFGS.requireBinary()
        let dir = try temporaryFolder(self, "ta-twice")
        XCTAssertEqual(
            try EFGS.run(["trust-anchor", "create", "--out-dir", dir.path, "--key", "p256"], in: dir).status, 0)
        let key = try Data(contentsOf: dir.appendingPathComponent("ta.key"))
        let again = try EFGS.run(["trust-anchor", "create", "--out-dir", dir.path, "--key", "p256"], in: dir)
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.output.contains("ta.pem exists; a trust anchor is never overwritten"), again.output)
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("ta.key")), key)
    }
}
