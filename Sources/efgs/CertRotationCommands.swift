// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSCrypto
import EFGSGateway
import EFGSStore
import Foundation

/// The trust-anchor rotation with the shipped CLI (docs/runbook.md): `cert export` writes every row's canonical
/// PEM into a folder, `cert sign-all` signs them offline with the next anchor's key, `cert resign` imports the new
/// signatures after checking them.
extension CertCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write every row's canonical PEM as DIR/COUNTRY-TYPE-thumbprint.pem, to be re-signed offline "
                + "with the next trust anchor (rotation).")
        @OptionGroup var options: ConfigOption
        @Option(help: "Folder to write the PEM files into (created).") var outDir: String

        func run() async throws {
            let rows = try await GatewayRuntime.with(options) { try await $0.services.certificateRegistry.exportRows() }
            try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
            for row in rows {
                let path = "\(outDir)/\(CertificateRegistry.rotationName(row)).pem"
                try row.pem.write(toFile: path, atomically: true, encoding: .utf8)
            }
            print(
                "exported \(rows.count) row(s) to \(outDir); sign them offline: efgs cert sign-all --ta-key KEY --dir \(outDir)"
            )
        }
    }

    struct SignAll: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign-all",
            abstract: "Sign every DIR/*.pem with a trust-anchor key, writing DIR/*.sig (run on the offline machine).")
        @Option(help: "Trust-anchor private key (PEM).") var taKey: String
        @Option(help: "Folder written by `efgs cert export`.") var dir: String

        func run() async throws {
            let signer = try OperatorSigner(pem: try readText(taKey, "--ta-key"))
            let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".pem") }
                .sorted()
            for file in files {
                let pem = try String(contentsOfFile: "\(dir)/\(file)", encoding: .utf8)
                try signer.sign(pem).write(
                    toFile: "\(dir)/\(file.dropLast(4)).sig", atomically: true, encoding: .utf8)
            }
            print("signed \(files.count) row(s) in \(dir)")
        }
    }

    struct Resign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the operator signatures of existing rows with DIR/*.sig, each checked against the "
                + "configured anchors first (trustAnchor.nextCertificatePath during a rotation); exits 1 if any is "
                + "refused.")
        @OptionGroup var options: ConfigOption
        @OptionGroup var operatorOptions: OperatorOptions
        @Option(help: "Folder with the .pem and .sig files.") var dir: String

        func run() async throws {
            let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".sig") }
                .sorted()
            let context = operatorOptions.context
            let refused = try await GatewayRuntime.with(options) { runtime in
                var refused = 0
                for file in files {
                    let name = file.dropLast(4)
                    let parts = name.split(separator: "-")
                    guard parts.count == 3, let type = CertificateType(rawValue: String(parts[1])) else {
                        print("skipped \(file): not COUNTRY-TYPE-thumbprint.sig")
                        refused += 1
                        continue
                    }
                    let signature = try String(contentsOfFile: "\(dir)/\(file)", encoding: .utf8)
                    do {
                        try await runtime.services.certificateRegistry.resign(
                            thumbprint: String(parts[2]), type: type, operatorSignature: signature, by: context)
                        print("re-signed \(name)")
                    } catch let error as CertificateAdministrationError {
                        print("REFUSED \(name): \(error.reason)")
                        refused += 1
                    }
                }
                return refused
            }
            print("\(files.count - refused) of \(files.count) row(s) re-signed")
            if refused > 0 { throw ExitCode(1) }
        }
    }
}
