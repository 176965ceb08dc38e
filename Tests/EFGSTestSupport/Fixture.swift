// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSGateway
import EFGSProtocol
import EFGSStore
import Foundation
import Logging

/// A gateway on a temporary SQLite file with a trust anchor and two registered countries.
public final class Fixture: @unchecked Sendable {
    public let dir: URL
    public let services: GatewayServices
    public let api: GatewayAPI
    public let store: SQLGatewayStore
    public let operatorSigner: OperatorSigner
    public var countries: [String: (auth: CertificateFactory.Issued, sign: CertificateFactory.Issued)] = [:]
    /// Every event line logged so far.
    public var lines: [String] { logBox.lines }
    public let logBox = LogBox()
    /// The gateway's clock; tests move it (batching across midnight).
    public let clock = ClockBox()

    /// A clock tests can move.
    public final class ClockBox: @unchecked Sendable {
        let lock = NSLock()
        var offset: TimeInterval = 0

        /// The moved time.
        public var now: Date { lock.withLock { Date().addingTimeInterval(offset) } }

        /// From now on the clock reads `date` (and goes on from there).
        public func set(_ date: Date) { lock.withLock { offset = date.timeIntervalSinceNow } }

        /// Back to the real time.
        public func reset() { lock.withLock { offset = 0 } }
    }

    /// The event lines, collected.
    public final class LogBox: @unchecked Sendable {
        let lock = NSLock()
        var collected: [String] = []

        /// The lines so far.
        public var lines: [String] { lock.withLock { collected } }

        /// Adds a line.
        public func add(_ line: String) { lock.withLock { collected.append(line) } }
    }

    /// The folders of this process's fixtures, removed when a fixture is released or, for fixtures a test case
    /// keeps to the end (XCTest keeps its test case objects), when the process exits. Before 2026-12-03 they were
    /// never removed: a few days of test runs had left 2 672 of them in `/tmp`.
    final class Folders: @unchecked Sendable {
        let lock = NSLock()
        var paths: Set<String> = []
        static let shared: Folders = {
            atexit { Folders.shared.removeAll() }
            return Folders()
        }()

        func add(_ url: URL) { lock.withLock { _ = paths.insert(url.path) } }

        func remove(_ url: URL) {
            lock.withLock { _ = paths.remove(url.path) }
            try? FileManager.default.removeItem(at: url)
        }

        func removeAll() {
            for path in lock.withLock({ paths }) { try? FileManager.default.removeItem(atPath: path) }
        }
    }

    /// A fresh federation; `configure` adjusts the environment the configuration is read from.
    public init(configure: (inout [String: String]) -> Void = { _ in }) async throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("efgs-gw-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        Folders.shared.add(dir)
        let ta = try CertificateFactory.selfSigned(country: nil, commonName: "TA", key: .p256)
        try ta.certificatePEM.write(to: dir.appendingPathComponent("ta.pem"), atomically: true, encoding: .utf8)
        operatorSigner = try OperatorSigner(pem: ta.privateKeyPEM)
        var env = [
            "TRUST_ANCHOR_CERTIFICATE_PATH": dir.appendingPathComponent("ta.pem").path,
            "DATABASE_URL": TestDatabase.url(sqliteFile: dir.appendingPathComponent("efgs.sqlite").path),
            "STORAGE_KEYS": "k1:" + Base64.encodeString([UInt8](repeating: 7, count: 32)),
            "STORAGE_ACTIVE_KEY_ID": "k1", "BATCHING_DOC_LIMIT": "5000",
        ]
        configure(&env)
        let config = try await GatewayConfiguration.load(path: nil, environment: env)
        store = try await TestDatabase.openFresh(url: config.databaseURL)
        let box = logBox
        let clockBox = clock
        services = try GatewayServices(
            config: config, store: store, trustAnchor: try TrustAnchor(pem: ta.certificatePEM),
            log: EventLog(minimumLevel: .debug, sink: { box.add($0) }), clock: { clockBox.now })
        api = GatewayAPI(services: services)
        for (c, kind) in [("DE", CertificateFactory.KeyKind.rsa3072), ("FR", .p256)] {
            let auth = try CertificateFactory.selfSigned(country: c, commonName: "auth-\(c)", key: kind)
            let sign = try CertificateFactory.selfSigned(country: c, commonName: "sign-\(c)", key: kind)
            try await register(auth, c, .authentication)
            try await register(sign, c, .signing)
            countries[c] = (auth, sign)
        }
    }

    deinit { Folders.shared.remove(dir) }

    /// Registers `issued` as a `type` row of `country`, signed by the trust anchor.
    public func register(_ issued: CertificateFactory.Issued, _ country: String, _ type: CertificateType) async throws {
        _ = try await store.insertCertificate(
            CertificateRow(
                createdAt: 0, thumbprint: issued.thumbprint, country: country, type: type,
                pem: issued.certificatePEM, operatorSignature: try operatorSigner.sign(issued.certificatePEM)))
    }

    /// A request of `country` (identity headers of mode a) from `peer`.
    public func request(
        _ method: String, country: String? = "DE", headers: [(String, String)] = [], body: [UInt8] = [],
        peer: String = "127.0.0.1", query: String? = nil
    ) -> APIRequest {
        var lines = headers.map { (name: $0.0, value: $0.1) }
        if let country, let c = countries[country] {
            lines.append((name: "X-SSL-Client-SHA256", value: c.auth.thumbprint.uppercased()))
            lines.append((name: "X-SSL-Client-DN", value: "CN=auth-\(country),C=\(country)"))
        }
        return APIRequest(
            method: method, headerLines: lines, query: query, peerAddress: IPAddressBytes.parse(peer),
            readBody: { limit in body.count > limit ? nil : body })
    }

    /// `n` valid keys of `origin` (``SampleKeys``).
    public func keys(_ n: Int, origin: String) -> [DiagnosisKey] {
        SampleKeys.make(n, origin: origin)
    }

    /// Uploads `keys` signed by `country`'s signing certificate.
    public func upload(
        _ keys: [DiagnosisKey], country: String = "DE", tag: String = UUID().uuidString, format: WireFormat = .protobuf,
        signature: String? = nil, extraHeaders: [(String, String)] = []
    ) async throws -> APIResponse {
        let signer = try BatchSigner(
            certificate: countries[country]!.sign.certificate, privateKey: countries[country]!.sign.privateKey)
        var b = DiagnosisKeyBatch()
        b.keys = keys
        let body = format == .protobuf ? b.protobufBytes() : DiagnosisKeyJSONEncoder.encode(keys)
        let ct = format == .protobuf ? "application/protobuf; version=1.0" : "application/json;version=1.0"
        return await api.handle(
            method: "POST", path: "/diagnosiskeys/upload",
            request: request(
                "POST", country: country,
                headers: [
                    ("Content-Type", ct), ("BatchTag", tag),
                    ("batchsignature", try signature ?? signer.sign(keys: keys)),
                ] + extraHeaders, body: body))
    }
}
