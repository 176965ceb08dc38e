// SPDX-License-Identifier: EUPL-1.2

import EFGSClient
import EFGSCrypto
import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

/// `efgs batch inspect | quarantine | release` on the real binary, with a running gateway answering 410.
final class BatchQuarantineCommandTests: XCTestCase {
    func testInspectQuarantineAndRelease() async throws {
        try EFGS.requireBinary()
        let dir = try temporaryFolder(self, "quarantine")
        let fed = try Federation(dir: dir)
        try fed.addMember("DE")
        try fed.addMember("FR")
        let server = try ServeProcess(config: fed.configPath, in: dir)
        defer { server.stop() }
        let de = try fed.client("DE", baseURL: "http://127.0.0.1:\(server.port)")
        let signer = try fed.signer("DE")
        let fr = try fed.client("FR", baseURL: "http://127.0.0.1:\(server.port)")
        do {
            let up = try await de.upload(keys: freshKeys(4, origin: "DE"), batchTag: "q-1", signer: signer)
            XCTAssertEqual(up.status, 201)
            let batch = try EFGS.run(["batch", "--config", fed.configPath], in: dir)
            let tag = "\(UTCDay(Date()).compact)-1"
            XCTAssertTrue(batch.output.contains("created 1 download batch(es): \(tag) (4 keys)"), batch.output)
            let inspect = try EFGS.run(["batch", "inspect", tag, "--config", fed.configPath], in: dir)
            XCTAssertEqual(inspect.status, 0, inspect.output)
            XCTAssertTrue(inspect.output.contains("upload DE q-1: 4 keys"), inspect.output)
            XCTAssertTrue(inspect.output.contains("storage key ids: k1: 4"), inspect.output)
            XCTAssertTrue(inspect.output.contains("every key decrypts"), inspect.output)
            let quarantined = try EFGS.run(
                ["batch", "quarantine", tag, "--reason", "test", "--operator", "ops", "--config", fed.configPath],
                in: dir)
            XCTAssertEqual(quarantined.status, 0, quarantined.output)
            let (refused, _) = try await fr.download(date: UTCDay(Date()).description, batchTag: tag)
            XCTAssertEqual(refused.status, 410, "the running gateway answers 410 at once")
            let released = try EFGS.run(["batch", "release", tag, "--config", fed.configPath], in: dir)
            XCTAssertEqual(released.status, 0, released.output)
            let (served, keys) = try await fr.download(date: UTCDay(Date()).description, batchTag: tag)
            XCTAssertEqual(served.status, 200)
            XCTAssertEqual(keys?.count, 4)
            let again = try EFGS.run(["batch", "release", tag, "--config", fed.configPath], in: dir)
            XCTAssertNotEqual(again.status, 0)
            XCTAssertTrue(again.output.contains("no quarantined download batch \(tag)"), again.output)
        } catch {
            try? await de.shutdown()
            try? await fr.shutdown()
            throw error
        }
        try await de.shutdown()
        try await fr.shutdown()
    }
}
