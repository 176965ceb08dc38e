// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSCrypto
import EFGSGateway
import EFGSProtocol
import EFGSStore
import Foundation
import Logging
import X509

struct TrustAnchorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust-anchor", abstract: "Manage the operator's trust anchor.",
        subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a trust-anchor key and self-signed certificate (keep the key offline).")
        @Option(help: "Folder to write ta.pem and ta.key into.") var outDir: String = "."
        @Option(help: "Key type: rsa3072 or p256.") var key: String = "rsa3072"
        @Option(help: "Validity in days.") var days: Int = 3650

        func run() async throws {
            guard let kind = CertificateFactory.KeyKind(rawValue: key), kind != .rsa2048 else {
                throw ValidationError("--key must be rsa3072 or p256")
            }
            for file in ["ta.pem", "ta.key"] where FileManager.default.fileExists(atPath: outDir + "/" + file) {
                throw ValidationError(
                    "--out-dir: \(outDir)/\(file) exists; a trust anchor is never overwritten (choose another folder)")
            }
            let ta = try CertificateFactory.selfSigned(
                country: nil, organization: "EFGS Operator", commonName: "EFGS Trust Anchor", key: kind,
                notAfter: Date().addingTimeInterval(Double(days) * 86_400))
            try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
            try ta.certificatePEM.write(toFile: outDir + "/ta.pem", atomically: true, encoding: .utf8)
            try ta.privateKeyPEM.write(toFile: outDir + "/ta.key", atomically: true, encoding: .utf8)
            chmod(outDir + "/ta.key", 0o600)
            print(
                "trust anchor written: \(outDir)/ta.pem (thumbprint \(ta.thumbprint)), private key \(outDir)/ta.key "
                    + "— move the key offline")
        }
    }
}
