import ArgumentParser
import EFGSCrypto
import EFGSGateway
import EFGSProtocol
import EFGSStore
import Foundation
import Logging
import X509
import Crypto
import _CryptoExtras

struct TrustAnchorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "trust-anchor", abstract: "Manage the operator's trust anchor.",
                                                    subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a trust-anchor key and self-signed certificate (keep the key offline).")
        @Option(help: "Folder to write ta.pem and ta.key into.") var outDir: String = "."
        @Option(help: "Key type: rsa3072 or p256.") var key: String = "rsa3072"
        @Option(help: "Validity in days.") var days: Int = 3650

        func run() async throws {
            guard let kind = CertificateFactory.KeyKind(rawValue: key), kind != .rsa2048 else { throw ValidationError("--key must be rsa3072 or p256") }
            let ta = try CertificateFactory.selfSigned(country: nil, organization: "EFGS Operator", commonName: "EFGS Trust Anchor", key: kind,
                                                       notAfter: Date().addingTimeInterval(Double(days) * 86_400))
            try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
            try ta.certificatePEM.write(toFile: outDir + "/ta.pem", atomically: true, encoding: .utf8)
            try ta.privateKeyPEM.write(toFile: outDir + "/ta.key", atomically: true, encoding: .utf8)
            chmod(outDir + "/ta.key", 0o600)
            print("trust anchor written: \(outDir)/ta.pem (thumbprint \(ta.thumbprint)), private key \(outDir)/ta.key — move the key offline")
        }
    }
}

struct CertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cert", abstract: "Manage the certificate table (§7.6).",
                                                    subcommands: [Sign.self, Import.self, Revoke.self, List.self, Verify.self])

    /// The certificate a country submitted: PEM, or PKCS#12 with a password (docs/onboarding.md step 2).
    struct CertificateInput: ParsableArguments {
        @Option(help: "Certificate (PEM).") var pem: String?
        @Option(help: "Certificate as PKCS#12 (.p12/.pfx, certificate only), instead of --pem.") var pkcs12: String?
        @Option(help: "File holding the PKCS#12 password (else the environment variable EFGS_PKCS12_PASSWORD).") var pkcs12PasswordFile: String?

        func validate() throws {
            guard (pem == nil) != (pkcs12 == nil) else { throw ValidationError("give exactly one of --pem and --pkcs12") }
        }

        /// The canonical PEM and facts of the one certificate.
        func load() throws -> (pem: String, facts: CertificateFacts) {
            let der: [UInt8]
            if let pem {
                guard let text = try? String(contentsOfFile: pem, encoding: .utf8) else { throw ValidationError("--pem: cannot read \(pem)") }
                guard let d = CanonicalPEM.firstCertificateDER(in: text) else { throw ValidationError("--pem: \(pem) holds no PEM certificate") }
                der = d
            } else {
                let path = pkcs12!
                guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("--pkcs12: cannot read \(path)") }
                let password: String
                if let file = pkcs12PasswordFile {
                    guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw ValidationError("--pkcs12-password-file: cannot read \(file)") }
                    password = text.hasSuffix("\n") ? String(text.dropLast()) : text
                } else if let env = ProcessInfo.processInfo.environment["EFGS_PKCS12_PASSWORD"] {
                    password = env
                } else {
                    throw ValidationError("--pkcs12 needs its password: --pkcs12-password-file FILE or EFGS_PKCS12_PASSWORD")
                }
                let certificates: [[UInt8]]
                do { certificates = try PKCS12Certificates.certificates(in: Array(data), password: password) } catch {
                    throw ValidationError("--pkcs12: \(error)")
                }
                guard certificates.count == 1 else {
                    let subjects = certificates.compactMap { try? CertificateFacts(der: $0).certificate.subject.description }
                    throw ValidationError("--pkcs12: the file holds \(certificates.count) certificates (\(subjects.joined(separator: "; "))); submit the country's certificate alone")
                }
                der = certificates[0]
            }
            let facts: CertificateFacts
            do { facts = try CertificateFacts(der: der) } catch { throw ValidationError("not an X.509 certificate: \(error)") }
            return (facts.canonicalPEM, facts)
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a row's operator signature with the trust-anchor key (run on the offline machine).",
            discussion: "Prints the Base64 signature over the canonical PEM; equivalent to `openssl dgst -sha256 -sign ta.key cert.pem | base64 -w0` for a canonical cert.pem. With --out the canonical PEM is written too.")
        @Option(help: "Trust-anchor private key (PEM).") var taKey: String
        @OptionGroup var certificate: CertificateInput
        @Option(help: "Write the canonical PEM here.") var out: String?

        func run() async throws {
            let (canonical, facts) = try certificate.load()
            // for the out-of-band fingerprint confirmation; stdout stays the signature alone
            FileHandle.standardError.write(Data("certificate \(facts.certificate.subject), SHA-256 thumbprint \(facts.thumbprint)\n".utf8))
            let signer = try OperatorSigner(pem: try String(contentsOfFile: taKey, encoding: .utf8))
            if let out { try canonical.write(toFile: out, atomically: true, encoding: .utf8) }
            print(try signer.sign(canonical))
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a national certificate after the onboarding checks; refuses rows failing the integrity check.")
        @OptionGroup var options: ConfigOption
        @Option(help: "AUTHENTICATION, SIGNING or CALLBACK.") var type: String
        @Option(help: "Two-letter country; must be the certificate's only C.") var country: String
        @Option(help: "Callback host (CALLBACK rows only).") var host: String?
        @OptionGroup var certificate: CertificateInput
        @Option(help: "Operator signature (Base64) from `efgs cert sign`.") var signature: String
        @Flag(help: "Accept a 2048-bit RSA key (with a warning).") var allowRsa2048 = false

        func run() async throws {
            guard let certType = CertificateType(rawValue: type.uppercased()) else { throw ValidationError("--type must be AUTHENTICATION, SIGNING or CALLBACK") }
            if host != nil && certType != .callback { throw ValidationError("--host is for CALLBACK rows only") }
            let (canonical, facts) = try certificate.load()
            let warnings = try OnboardingReview.check(facts, country: country, allowRSA2048: allowRsa2048)
            try await GatewayRuntime.with(options) { runtime in
                let row = CertificateRow(createdAt: UTCTimestamp.millis(Date()), thumbprint: facts.thumbprint, country: country,
                                         type: certType, host: host, pem: canonical, operatorSignature: signature.trimmingCharacters(in: .whitespacesAndNewlines))
                do {
                    _ = try runtime.gateway.trustAnchor.checkIntegrity(of: .init(thumbprint: row.thumbprint, country: row.country, pem: row.pem, operatorSignature: row.operatorSignature))
                } catch {
                    throw ValidationError("refused: the row fails the integrity check: \(error)")
                }
                if !(try await runtime.store.certificates(thumbprint: row.thumbprint, type: certType)).isEmpty {
                    throw ValidationError("refused: a \(certType.rawValue) row with thumbprint \(row.thumbprint) exists already")
                }
                _ = try await runtime.store.insertCertificate(row)
            }
            for w in warnings { print("WARNING: \(w)") }
            print("imported \(certType.rawValue) certificate for \(country): thumbprint \(facts.thumbprint)")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a certificate row.")
        @OptionGroup var options: ConfigOption
        @Option(help: "Thumbprint (64 hex).") var thumbprint: String
        @Option(help: "AUTHENTICATION, SIGNING or CALLBACK.") var type: String

        func run() async throws {
            guard let certType = CertificateType(rawValue: type.uppercased()) else { throw ValidationError("--type must be AUTHENTICATION, SIGNING or CALLBACK") }
            let runtime = try await GatewayRuntime.open(options)
            let n = try await runtime.store.revokeCertificates(thumbprint: thumbprint.lowercased(), country: nil, type: certType)
            print(n == 0 ? "no active row matched" : "revoked \(n) row(s)")
            try await runtime.close()
            if n == 0 { throw ExitCode(1) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List certificate rows with expiry and integrity state.")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let runtime = try await GatewayRuntime.open(options)
            print("COUNTRY TYPE           REVOKED INTEGRITY NOT-AFTER                THUMBPRINT")
            for row in try await runtime.store.certificates(country: nil, type: nil) {
                let facts = try? runtime.gateway.trustAnchor.checkIntegrity(of: .init(thumbprint: row.thumbprint, country: row.country, pem: row.pem, operatorSignature: row.operatorSignature))
                let notAfter = facts.map { UTCTimestamp.format($0.notAfter) } ?? "-"
                print("\(row.country)      \(row.type.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)) \(row.revoked ? "yes" : "no ")     \(facts == nil ? "FAILED" : "ok    ")    \(notAfter) \(row.thumbprint)")
            }
            try await runtime.close()
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Integrity check of every row (§7.6); exits non-zero if any fails.")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let runtime = try await GatewayRuntime.open(options)
            var failed = 0
            let rows = try await runtime.store.certificates(country: nil, type: nil)
            for row in rows {
                do {
                    _ = try runtime.gateway.trustAnchor.checkIntegrity(of: .init(thumbprint: row.thumbprint, country: row.country, pem: row.pem, operatorSignature: row.operatorSignature))
                } catch {
                    failed += 1
                    print("FAILED \(row.country) \(row.type.rawValue) \(row.thumbprint): \(error)")
                }
            }
            print("\(rows.count - failed) of \(rows.count) row(s) pass the integrity check")
            try await runtime.close()
            if failed > 0 { throw ExitCode(1) }
        }
    }
}

/// Onboarding checks of a governance-style review (issue: cert import).
enum OnboardingReview {
    static func check(_ facts: CertificateFacts, country: String, allowRSA2048: Bool, now: Date = Date()) throws -> [String] {
        var warnings: [String] = []
        let cert = facts.certificate
        guard cert.version == .v3 else { throw ValidationError("refused: certificate is not X.509 v3") }
        guard facts.countries == [country] else {
            throw ValidationError("refused: subject must contain exactly one C equal to \(country) (found \(facts.countries))")
        }
        if let rsa = _RSA.Signing.PublicKey(cert.publicKey) {
            if rsa.keySizeInBits < 2048 { throw ValidationError("refused: RSA key of \(rsa.keySizeInBits) bits") }
            if rsa.keySizeInBits < 3072 {
                guard allowRSA2048 else { throw ValidationError("refused: RSA keys must have ≥ 3072 bits (use --allow-rsa2048 to override)") }
                warnings.append("RSA-2048 key accepted by override")
            }
        } else if P256.Signing.PublicKey(cert.publicKey) == nil, P384.Signing.PublicKey(cert.publicKey) == nil, P521.Signing.PublicKey(cert.publicKey) == nil {
            throw ValidationError("refused: key must be RSA ≥ 3072 or EC ≥ P-256")
        }
        let weak: [Certificate.SignatureAlgorithm] = [.sha1WithRSAEncryption]
        if weak.contains(cert.signatureAlgorithm) { throw ValidationError("refused: certificate signed with SHA-1") }
        if cert.notValidAfter < now { throw ValidationError("refused: certificate expired \(UTCTimestamp.format(cert.notValidAfter))") }
        if cert.notValidAfter < now.addingTimeInterval(90 * 86_400) {
            warnings.append("certificate expires within 3 months (\(UTCTimestamp.format(cert.notValidAfter)))")
        }
        return warnings
    }
}
