// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSCrypto
import EFGSGateway
import EFGSProtocol
import EFGSStore
import Foundation
import Logging
import X509

struct CertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert", abstract: "Manage the certificate table (docs/api.md §2).",
        subcommands: [
            Sign.self, Import.self, Revoke.self, List.self, Verify.self, Export.self, SignAll.self, Resign.self,
        ])

    /// The certificate a country submitted: PEM, or PKCS#12 with a password (docs/onboarding.md step 2).
    struct CertificateInput: ParsableArguments {
        @Option(help: "Certificate (PEM).") var pem: String?
        @Option(help: "Certificate as PKCS#12 (.p12/.pfx, certificate only), instead of --pem.") var pkcs12: String?
        @Option(help: "File holding the PKCS#12 password (else the environment variable EFGS_PKCS12_PASSWORD).")
        var pkcs12PasswordFile: String?

        func validate() throws {
            guard (pem == nil) != (pkcs12 == nil) else {
                throw ValidationError("give exactly one of --pem and --pkcs12")
            }
        }

        /// The canonical PEM and facts of the one certificate.
        func load() throws -> (pem: String, facts: CertificateFacts) {
            let der: [UInt8]
            if let pem {
                guard let text = try? String(contentsOfFile: pem, encoding: .utf8) else {
                    throw ValidationError("--pem: cannot read \(pem)")
                }
                guard let d = CanonicalPEM.firstCertificateDER(in: text) else {
                    throw ValidationError("--pem: \(pem) holds no PEM certificate")
                }
                der = d
            } else {
                let path = pkcs12!
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw ValidationError("--pkcs12: cannot read \(path)")
                }
                let password: String
                if let file = pkcs12PasswordFile {
                    guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                        throw ValidationError("--pkcs12-password-file: cannot read \(file)")
                    }
                    password = text.hasSuffix("\n") ? String(text.dropLast()) : text
                } else if let env = ProcessInfo.processInfo.environment["EFGS_PKCS12_PASSWORD"] {
                    password = env
                } else {
                    throw ValidationError(
                        "--pkcs12 needs its password: --pkcs12-password-file FILE or EFGS_PKCS12_PASSWORD")
                }
                let certificates: [[UInt8]]
                do { certificates = try PKCS12Certificates.certificates(in: Array(data), password: password) } catch {
                    throw ValidationError("--pkcs12: \(error)")
                }
                guard certificates.count == 1 else {
                    let subjects = certificates.compactMap {
                        try? CertificateFacts(der: $0).certificate.subject.description
                    }
                    throw ValidationError(
                        "--pkcs12: the file holds \(certificates.count) certificates (\(subjects.joined(separator: "; "))); submit the country's certificate alone"
                    )
                }
                der = certificates[0]
            }
            let facts: CertificateFacts
            do { facts = try CertificateFacts(der: der) } catch {
                throw ValidationError("not an X.509 certificate: \(error)")
            }
            return (facts.canonicalPEM, facts)
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a row's operator signature with the trust-anchor key (run on the offline machine).",
            discussion:
                "Prints the Base64 signature over the canonical PEM; equivalent to `openssl dgst -sha256 -sign ta.key cert.pem | base64 -w0` for a canonical cert.pem. With --out the canonical PEM is written too."
        )
        @Option(help: "Trust-anchor private key (PEM).") var taKey: String
        @OptionGroup var certificate: CertificateInput
        @Option(help: "Write the canonical PEM here.") var out: String?

        func run() async throws {
            let (canonical, facts) = try certificate.load()
            // for the out-of-band fingerprint confirmation; stdout stays the signature alone
            FileHandle.standardError.write(
                Data("certificate \(facts.certificate.subject), SHA-256 thumbprint \(facts.thumbprint)\n".utf8))
            let signer = try OperatorSigner(pem: try readText(taKey, "--ta-key"))
            if let out { try canonical.write(toFile: out, atomically: true, encoding: .utf8) }
            print(try signer.sign(canonical))
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Register a national certificate after the onboarding checks; refuses rows failing the integrity check."
        )
        @OptionGroup var options: ConfigOption
        @OptionGroup var operatorOptions: OperatorOptions
        @Option(help: "AUTHENTICATION, SIGNING or CALLBACK.") var type: String
        @Option(help: "Two-letter country; must be the certificate's only C.") var country: String
        @Option(help: "Callback host (CALLBACK rows only).") var host: String?
        @OptionGroup var certificate: CertificateInput
        @Option(help: "Operator signature (Base64) from `efgs cert sign`.") var signature: String
        @Flag(help: "Accept a 2048-bit RSA key (with a warning).") var allowRsa2048 = false

        func run() async throws {
            guard let certType = CertificateType(rawValue: type.uppercased()) else {
                throw ValidationError("--type must be AUTHENTICATION, SIGNING or CALLBACK")
            }
            let (_, facts) = try certificate.load()
            let submission = CertificateRegistry.Submission(
                facts: facts, type: certType, country: country, host: host, operatorSignature: signature,
                allowRSA2048: allowRsa2048)
            let imported: CertificateRegistry.Imported
            do {
                _ = try CertificateRegistry.check(submission)
                imported = try await GatewayRuntime.with(options) { runtime in
                    try await runtime.services.certificateRegistry.register(submission, by: operatorOptions.context)
                }
            } catch let error as CertificateAdministrationError {
                throw ValidationError(error.reason)
            }
            for warning in imported.warnings { print("WARNING: \(warning)") }
            print("imported \(certType.rawValue) certificate for \(country): thumbprint \(facts.thumbprint)")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a certificate row.")
        @OptionGroup var options: ConfigOption
        @OptionGroup var operatorOptions: OperatorOptions
        @Option(help: "Thumbprint (64 hex).") var thumbprint: String
        @Option(help: "AUTHENTICATION, SIGNING or CALLBACK.") var type: String

        func run() async throws {
            guard let certType = CertificateType(rawValue: type.uppercased()) else {
                throw ValidationError("--type must be AUTHENTICATION, SIGNING or CALLBACK")
            }
            let n = try await GatewayRuntime.with(options) { runtime in
                try await runtime.services.certificateRegistry.revoke(
                    thumbprint: thumbprint, type: certType, by: operatorOptions.context)
            }
            print(n == 0 ? "no active row matched" : "revoked \(n) row(s)")
            if n == 0 { throw ExitCode(1) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List certificate rows with expiry and integrity state.")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let rows = try await GatewayRuntime.with(options) { try await $0.services.certificateRegistry.rows() }
            print("COUNTRY TYPE           REVOKED INTEGRITY NOT-AFTER                THUMBPRINT")
            for (row, integrity) in rows {
                let facts = try? integrity.get()
                let notAfter = facts.map { UTCTimestamp.format($0.notAfter) } ?? "-"
                print(
                    "\(row.country)      \(row.type.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)) \(row.revoked ? "yes" : "no ")     \(facts == nil ? "FAILED" : "ok    ")    \(notAfter) \(row.thumbprint)"
                )
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Integrity check of every row (docs/api.md §2.3); exits non-zero if any fails.")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let rows = try await GatewayRuntime.with(options) { try await $0.services.certificateRegistry.rows() }
            var failed = 0
            for (row, integrity) in rows {
                if case .failure(let error) = integrity {
                    failed += 1
                    print("FAILED \(row.country) \(row.type.rawValue) \(row.thumbprint): \(error)")
                }
            }
            print("\(rows.count - failed) of \(rows.count) row(s) pass the integrity check")
            if failed > 0 { throw ExitCode(1) }
        }
    }
}
