// SPDX-License-Identifier: EUPL-1.2

import EFGSClient
import EFGSCrypto
import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

/// Several stateless gateway instances on one PostgreSQL (issue 4): three `efgs serve` processes, concurrent uploads
/// through all of them, batching and callback delivery started on all three at once. Runs when
/// `EFGS_TEST_POSTGRES_URL` names a PostgreSQL database (CI's second pass).
final class MultiInstanceTests: XCTestCase {
    func testThreeInstancesOnOnePostgreSQL() async throws {
        try EFGS.requireBinary()
        guard let pg = TestDatabase.postgresURL else { throw XCTSkip("EFGS_TEST_POSTGRES_URL not set") }
        try await TestDatabase.openFresh(url: pg).close()
        let fed = try Federation(
            dir: try temporaryFolder(self, "multi"),
            settings: [
                "database.url": pg, "batching.interval": "3600", "batching.docLimit": "50", "upload.maxKeys": "50",
                "callback.allowLoopback": "true", "callback.executeInterval": "3600",
            ])
        for c in ["DE", "PL", "FR"] { try fed.addMember(c) }
        let endpointCert = try CertificateFactory.selfSigned(
            country: "FR", commonName: "callback.fr", key: .p256, dnsNames: ["localhost"],
            ipAddresses: [[127, 0, 0, 1]])
        XCTAssertEqual(try fed.onboard(endpointCert, country: "FR", type: "CALLBACK").status, 0)
        let endpoint = try TestCallbackServer(identity: endpointCert)
        defer { endpoint.stop() }

        let instances = try (0..<3).map { _ in try ServeProcess(config: fed.configPath, in: fed.dir) }
        defer { for i in instances { i.stop() } }
        let bases = instances.map { "http://127.0.0.1:\($0.port)" }
        func client(_ c: String, _ i: Int) throws -> GatewayClient {
            try fed.client(c, baseURL: bases[i % 3])
        }
        let fr = try (0..<3).map { try client("FR", $0) }
        let sub = try await fr[0].send(
            method: .PUT, path: "/diagnosiskeys/callback/fr-1?url=https://127.0.0.1:\(endpoint.port)/cb")
        XCTAssertEqual(sub.status, 200, sub.text)

        // concurrent uploads through all three instances: 2 countries × 12 batches of 7..30 keys
        struct Upload: Sendable {
            var country: String
            var tag: String
            var keys: [DiagnosisKey]
        }
        var plan: [Upload] = []
        for c in ["DE", "PL"] {
            for n in 0..<12 {
                plan.append(Upload(country: c, tag: "\(c)-\(n)", keys: freshKeys(7 + (n * 5) % 24, origin: c)))
            }
        }
        let signers = try Dictionary(
            uniqueKeysWithValues: ["DE", "PL"].map {
                (
                    $0,
                    try fed.signer($0)
                )
            })
        var clients: [String: GatewayClient] = [:]
        for c in ["DE", "PL"] { for i in 0..<3 { clients["\(c)\(i)"] = try client(c, i) } }
        let uploaders = clients
        let statuses = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for (i, u) in plan.enumerated() {
                group.addTask {
                    (
                        i,
                        try await uploaders["\(u.country)\(i % 3)"]!.upload(
                            keys: u.keys, batchTag: u.tag, signer: signers[u.country]!
                        ).status
                    )
                }
            }
            var out = [Int: Int]()
            for try await (i, s) in group { out[i] = s }
            return out
        }
        XCTAssertEqual(Set(statuses.values), [201], "\(statuses)")
        var acknowledged = plan.flatMap(\.keys)

        // races across instances: the same tag twice at once → one 201, one 409; the same keys under two tags → one 201, one 207
        let raceKeys = freshKeys(5, origin: "DE")
        async let tagA = uploaders["DE0"]!.upload(
            keys: freshKeys(3, origin: "DE"), batchTag: "race-tag", signer: signers["DE"]!)
        async let tagB = uploaders["DE1"]!.upload(
            keys: freshKeys(3, origin: "DE"), batchTag: "race-tag", signer: signers["DE"]!)
        let tagStatuses = try await [tagA.status, tagB.status].sorted()
        XCTAssertEqual(tagStatuses, [201, 409])
        async let keysA = uploaders["DE1"]!.upload(keys: raceKeys, batchTag: "race-keys-a", signer: signers["DE"]!)
        async let keysB = uploaders["DE2"]!.upload(keys: raceKeys, batchTag: "race-keys-b", signer: signers["DE"]!)
        let keyStatuses = try await [keysA.status, keysB.status].sorted()
        XCTAssertEqual(keyStatuses, [201, 207])
        acknowledged += raceKeys
        // (the winner of race-tag stored 3 keys not tracked here; they are counted from the download below)

        // batching on all three at once: one holds the lock, the others do nothing; a second round finds nothing left
        let configPath = fed.configPath
        let fedDir = fed.dir
        for _ in 0..<2 {
            let runs = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<3 {
                    group.addTask { try EFGS.run(["batch", "--config", configPath], in: fedDir).output }
                }
                var out: [String] = []
                for try await o in group { out.append(o) }
                return out
            }
            XCTAssertFalse(runs.contains { $0.contains("rror") }, "\(runs)")
        }

        // FR downloads the day through the three instances: every acknowledged key exactly once, tags 1…N, chain intact
        let today = UTCDay(Date())
        var tags: [String] = []
        var downloaded: [DiagnosisKey] = []
        var next: String? = nil
        repeat {
            let (r, keys) = try await fr[tags.count % 3].download(date: today.description, batchTag: next)
            XCTAssertEqual(r.status, 200)
            guard let keys, let tag = r.header("batchTag") else { break }
            tags.append(tag)
            downloaded += keys
            next = r.header("nextBatchTag") == "null" ? nil : r.header("nextBatchTag")
        } while next != nil && tags.count < 100
        XCTAssertEqual(tags, (1...tags.count).map { "\(today.compact)-\($0)" }, "no gaps, no duplicates")
        XCTAssertEqual(downloaded.count, Set(downloaded.map(\.keyData)).count, "no key twice")
        XCTAssertTrue(
            Set(acknowledged.map(\.keyData)).isSubset(of: Set(downloaded.map(\.keyData))),
            "every acknowledged key is in a batch")
        XCTAssertEqual(downloaded.count, acknowledged.count + 3, "plus the 3 keys of the race-tag winner")

        // callback delivery started on all three at once: one notification per batch, in order
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask { _ = try EFGS.run(["deliver-callbacks", "--config", configPath], in: fedDir) }
            }
            try await group.waitForAll()
        }
        for _ in 0..<50 where endpoint.requests.count < tags.count { try await Task.sleep(nanoseconds: 100_000_000) }
        XCTAssertEqual(
            endpoint.requests.map { $0.query["batchTag"] ?? "" }, tags, "every batch notified once, in order")
        for c in Array(clients.values) + fr { try await c.shutdown() }
    }
}
