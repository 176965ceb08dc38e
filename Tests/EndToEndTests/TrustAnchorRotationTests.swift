// SPDX-License-Identifier: EUPL-1.2

import EFGSClient
import EFGSCrypto
import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

/// The trust-anchor rotation of docs/runbook.md with the shipped CLI, two instances on one database restarted one
/// at a time: countries upload, download and verify the audit after every step, and nothing is refused.
final class TrustAnchorRotationTests: XCTestCase {
    func testRotationWhileCountriesKeepExchanging() async throws {
        try EFGS.requireBinary()
        let dir = try temporaryFolder(self, "rotation")
        let fed = try Federation(dir: dir)
        try fed.addMember("DE")
        try fed.addMember("FR")
        let oldAnchor = dir.appendingPathComponent("ta.pem").path
        let newFolder = dir.appendingPathComponent("next")
        let rows = dir.appendingPathComponent("rows").path
        var round = 0
        var uploaded: [DiagnosisKey] = []

        /// DE uploads to `server`, a batch runs, FR downloads the day and verifies every key against the audit.
        func exchange(_ server: ServeProcess, _ step: String) async throws {
            round += 1
            let base = "http://127.0.0.1:\(server.port)"
            let de = try fed.client("DE", baseURL: base)
            let fr = try fed.client("FR", baseURL: base)
            do {
                let keys = freshKeys(3, origin: "DE")
                let signer = try fed.signer("DE")
                let upload = try await de.upload(keys: keys, batchTag: "rotation-\(round)", signer: signer)
                XCTAssertEqual(upload.status, 201, "\(step): \(upload.text)")
                uploaded += keys
                let batch = try EFGS.run(["batch", "--config", fed.configPath], in: dir)
                XCTAssertEqual(batch.status, 0, "\(step): \(batch.output)")
                let day = try await fr.downloadDay(date: UTCDay(Date()).description)
                XCTAssertEqual(day.flatMap(\.keys), uploaded, step)
                var anchors = [try TrustAnchor(path: oldAnchor)]
                if FileManager.default.fileExists(atPath: newFolder.appendingPathComponent("ta.pem").path) {
                    anchors.append(try TrustAnchor(path: newFolder.appendingPathComponent("ta.pem").path))
                }
                for (tag, keys) in day {
                    let (response, entries) = try await fr.audit(date: UTCDay(Date()).description, batchTag: tag)
                    XCTAssertEqual(response.status, 200, step)
                    let checks = AuditVerifier(trustAnchors: anchors).check(keys: keys, entries: entries ?? [])
                    XCTAssertEqual(checks.compactMap(\.problem), [], "\(step): \(tag)")
                }
            } catch {
                try? await de.shutdown()
                try? await fr.shutdown()
                throw error
            }
            try await de.shutdown()
            try await fr.shutdown()
        }

        // 0. instance A on the current anchor
        var instanceA: ServeProcess? = try ServeProcess(config: fed.configPath, in: dir)
        try await exchange(instanceA!, "before the rotation")

        // 1. the next anchor (offline), the rows exported and signed with it offline
        let created = try EFGS.run(["trust-anchor", "create", "--out-dir", newFolder.path, "--key", "p256"], in: dir)
        XCTAssertEqual(created.status, 0, created.output)
        let exported = try EFGS.run(["cert", "export", "--config", fed.configPath, "--out-dir", rows], in: dir)
        XCTAssertTrue(exported.output.contains("exported 4 row(s)"), exported.output)
        let signed = try EFGS.run(
            ["cert", "sign-all", "--ta-key", newFolder.appendingPathComponent("ta.key").path, "--dir", rows], in: dir)
        XCTAssertTrue(signed.output.contains("signed 4 row(s)"), signed.output)

        // 2. both anchors configured; instance B starts with them, then A stops
        fed.settings["trustAnchor.nextCertificatePath"] = newFolder.appendingPathComponent("ta.pem").path
        try fed.writeConfig()
        var instanceB: ServeProcess? = try ServeProcess(config: fed.configPath, in: dir)
        XCTAssertEqual(instanceA?.stop(), 0)
        instanceA = nil
        try await exchange(instanceB!, "both anchors configured")

        // 3. the new signatures imported, each checked first; a signature of another key is refused
        try "AAAA".write(toFile: rows + "/DE-SIGNING-0000.sig", atomically: true, encoding: .utf8)
        let resigned = try EFGS.run(
            ["cert", "resign", "--config", fed.configPath, "--dir", rows, "--operator", "ops", "--ticket", "ROT-1"],
            in: dir)
        XCTAssertEqual(resigned.status, 1, "the bogus file is refused: \(resigned.output)")
        XCTAssertTrue(resigned.output.contains("4 of 5 row(s) re-signed"), resigned.output)
        try FileManager.default.removeItem(atPath: rows + "/DE-SIGNING-0000.sig")
        try await exchange(instanceB!, "rows re-signed")

        // 4. the new anchor is current (the old one still accepted); A restarts with it, then B stops
        fed.settings["trustAnchor.certificatePath"] = newFolder.appendingPathComponent("ta.pem").path
        fed.settings["trustAnchor.nextCertificatePath"] = oldAnchor
        try fed.writeConfig()
        instanceA = try ServeProcess(config: fed.configPath, in: dir)
        XCTAssertEqual(instanceB?.stop(), 0)
        instanceB = nil
        try await exchange(instanceA!, "new anchor current")

        // 5. the old anchor retired
        fed.settings["trustAnchor.nextCertificatePath"] = nil
        try fed.writeConfig()
        instanceB = try ServeProcess(config: fed.configPath, in: dir)
        XCTAssertEqual(instanceA?.stop(), 0)
        instanceA = nil
        try await exchange(instanceB!, "old anchor retired")
        let verify = try EFGS.run(["cert", "verify", "--config", fed.configPath], in: dir)
        XCTAssertTrue(verify.output.contains("4 of 4 row(s) pass the integrity check"), verify.output)
        XCTAssertEqual(instanceB?.stop(), 0)

        // the old anchor alone no longer verifies any row: refused, naming trustAnchor
        let stale = try EFGS.run(
            ["config", "check", "--config", fed.configPath], in: dir,
            environment: ["TRUST_ANCHOR_CERTIFICATE_PATH": oldAnchor])
        XCTAssertEqual(stale.status, 1, stale.output)
        XCTAssertTrue(
            stale.output.contains("FAILED trustAnchor rows: none of the 4 certificate rows verifies"), stale.output)
        let trail = try EFGS.run(["operator-events", "--config", fed.configPath, "--format", "csv"], in: dir)
        XCTAssertEqual(
            trail.output.split(separator: "\n").filter { $0.contains("\"cert resign\",\"ops\",\"ROT-1\"") }.count, 5)
    }
}
