// SPDX-License-Identifier: EUPL-1.2

import EFGSClient
import EFGSCrypto
import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

/// Issue 12, finding 1, against the real `efgs serve`: a connection flood from one peer neither exhausts the file
/// descriptors nor keeps honest countries out, and a `server.maxConnections` the descriptor limit cannot hold is
/// refused at start.
final class HostilePeerEndToEndTests: XCTestCase {
    /// 700 half-open connections from 127.0.0.2 against a gateway limited to 512 descriptors (before: every
    /// descriptor taken, new clients timed out, and an upload answered 500 `the system random source failed`).
    func testAConnectionFloodFromOnePeerLeavesHonestCountriesServed() async throws {
        try EFGS.requireBinary()
        let fed = try Federation(dir: try temporaryFolder(self, "flood"))
        try fed.addMember("DE")
        try fed.addMember("FR")
        let server = try ServeProcess(
            config: fed.configPath, in: fed.dir,
            environment: ["SERVER_REQUEST_HEAD_TIMEOUT": "3", "SERVER_MAX_CONNECTIONS": "256"])
        defer { _ = server.stop() }
        let limited = try runProcess(
            URL(fileURLWithPath: "/usr/bin/prlimit"),
            ["--pid", String(server.process.processIdentifier), "--nofile=512:512"])
        XCTAssertEqual(limited.status, 0, limited.output)
        let base = "http://127.0.0.1:\(server.port)"
        let de = try fed.client("DE", baseURL: base)
        let fr = try fed.client("FR", baseURL: base)
        let signer = try fed.signer("DE")
        do {
            var flood: [RawConnection] = []
            for _ in 0..<700 {
                guard let c = try? RawConnection(port: server.port, source: "127.0.0.2") else { break }
                c.send("GET /diagnosiskeys/callback HTTP/1.1\r\nHost: efgs\r\n")
                flood.append(c)
            }
            XCTAssertEqual(flood.count, 700, "connects complete (kernel backlog or accept)")
            try await Task.sleep(for: .milliseconds(500))
            let held = flood.filter { !$0.waitForClose(seconds: 0.01) }
            XCTAssertLessThanOrEqual(held.count, 64, "server.maxConnectionsPerPeer (64) from one peer")
            // honest countries upload and list their callbacks meanwhile
            for i in 0..<5 {
                let up = try await de.upload(keys: freshKeys(20, origin: "DE"), batchTag: "flood-\(i)", signer: signer)
                XCTAssertEqual(up.status, 201, up.text)
            }
            let listed = try await fr.subscriptions().response.status
            XCTAssertEqual(listed, 200)
            // the held connections never complete their heads: disconnected at the 3 s deadline
            let closedInTime = held.filter { $0.waitForClose(seconds: 5) }.count
            XCTAssertEqual(closedInTime, held.count)
            XCTAssertFalse(server.output.contains("random source"), server.output)
            XCTAssertFalse(server.output.contains("level=\"ERROR\""), server.output)
        } catch {
            try? await de.shutdown()
            try? await fr.shutdown()
            throw error
        }
        try await de.shutdown()
        try await fr.shutdown()
    }

    /// `server.maxConnections` above what RLIMIT_NOFILE allows is one line naming the setting, before anything is
    /// written.
    func testMaxConnectionsAboveTheDescriptorLimitIsRefusedAtStart() throws {
        try EFGS.requireBinary()
        let fed = try Federation(dir: try temporaryFolder(self, "nofile"))
        let database = fed.dir.appendingPathComponent("nofile.sqlite")
        let r = try runProcess(
            URL(fileURLWithPath: "/usr/bin/prlimit"),
            ["--nofile=512:512", EFGS.binary.path, "serve", "--config", fed.configPath], in: fed.dir,
            environment: ProcessInfo.processInfo.environment.merging(
                ["SERVER_MAX_CONNECTIONS": "4000", "DATABASE_URL": "sqlite:" + database.path]) { $1 })
        XCTAssertNotEqual(r.status, 0, r.output)
        XCTAssertTrue(
            r.output.contains("server.maxConnections: 4000 connections do not fit the file-descriptor limit 512"),
            r.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: database.path), "nothing was written")
    }
}
