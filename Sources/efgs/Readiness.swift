// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import Crypto
import EFGSClient
import EFGSCrypto
import EFGSProtocol
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// `efgs readiness`: the onboarding conformance run (docs/onboarding.md step 5). With a country's credentials it
/// runs the protocol's sequence against a gateway and writes a publishable report (Markdown and self-contained
/// HTML). A candidate runs it against the acceptance gateway; a peer or the operator runs it with the candidate's
/// test credentials as the peer check. Only the EFGSClient library is used.
struct Readiness: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Run the onboarding conformance sequence against a gateway and write a Markdown and HTML report; exit 1 if a step fails.",
        discussion: """
            Steps: authenticate; subscribe (with --callback-url); upload a signed test batch as protobuf and as JSON; \
            duplicate batch tag → 409; tampered signature → 400; receive the callback (with --callback-listen) and \
            download the notified batch; download the day following nextBatchTag; audit and verify every batch; \
            unsubscribe. Test data is marked: batch tags start with 'readiness-', and every test key's keyData starts \
            with the 9 ASCII bytes 'READINESS'.
            """)

    @OptionGroup var connection: ClientConnection
    @OptionGroup var signing: SigningIdentity
    @Option(help: "The federation's trust-anchor certificate (PEM), to verify the audit.") var trustAnchor: String
    @Option(help: "The callback URL to subscribe (its host needs a registered CALLBACK certificate).") var callbackUrl:
        String?
    @Option(
        help:
            "Run the callback endpoint here, HOST:PORT (the address --callback-url reaches), and wait for the notification."
    )
    var callbackListen: String?
    @Option(help: "TLS certificate of the callback endpoint (PEM; the registered CALLBACK certificate).")
    var callbackCert: String?
    @Option(help: "Its private key (PEM).") var callbackKey: String?
    @Option(help: "Seconds to wait for the callback (the gateway's batching interval plus delivery).") var callbackWait:
        Double = 900
    @Option(help: "Folder for the report files.") var reportDir: String = "."
    @Option(help: "Day to download and audit (yyyy-MM-dd, UTC); default today.") var date: String?

    func validate() throws {
        if callbackListen != nil && (callbackUrl == nil || callbackCert == nil || callbackKey == nil) {
            throw ValidationError("--callback-listen needs --callback-url, --callback-cert and --callback-key")
        }
        guard callbackWait > 0, callbackWait <= 86_400 else {
            throw ValidationError("--callback-wait: 1…86400 seconds")
        }
    }

    func run() async throws {
        guard let signer = try signing.signer() else {
            throw ValidationError("--signing-cert and --signing-key are required")
        }
        let anchor: TrustAnchor
        do { anchor = try TrustAnchor(path: trustAnchor) } catch { throw ValidationError("--trust-anchor: \(error)") }
        let authPEM = try readText(connection.cert, "--cert")
        guard let authDER = CanonicalPEM.firstCertificateDER(in: authPEM),
            let auth = try? CertificateFacts(der: authDER)
        else {
            throw ValidationError("--cert: no X.509 certificate")
        }
        guard auth.countries.count == 1, let country = auth.countries.first else {
            throw ValidationError("--cert: the subject must have exactly one C")
        }
        var endpoint: CallbackEndpoint?
        if let listen = callbackListen, let callbackCert, let callbackKey {
            let parts = listen.split(separator: ":")
            guard parts.count == 2, let port = Int(parts[1]) else {
                throw ValidationError("--callback-listen: HOST:PORT")
            }
            guard let der = CanonicalPEM.firstCertificateDER(in: try readText(callbackCert, "--callback-cert")) else {
                throw ValidationError("--callback-cert: no certificate")
            }
            do {
                endpoint = try await CallbackEndpoint.start(
                    certificateDER: der, privateKeyPEM: try readText(callbackKey, "--callback-key"),
                    host: String(parts[0]), port: port,
                    path: URLComponents(string: callbackUrl!)?.path.trimmingCharacters(
                        in: CharacterSet(charactersIn: "/")) ?? "efgs/callback")
            } catch { throw ValidationError("--callback-listen: \(error)") }
        }
        let client = try connection.client()
        var run = ReadinessRun(
            client: client, signer: signer, anchor: anchor, country: country,
            day: date ?? UTCDay(Date()).description, callbackURL: callbackUrl, endpoint: endpoint,
            callbackWait: callbackWait)
        let steps = await run.steps()
        try? await client.shutdown()
        try? await endpoint?.stop()

        var certificates = [ReadinessReport.CertificateInfo(role: "Authentication", facts: auth)]
        var serializer = DER.Serializer()
        try serializer.serialize(signer.certificate)
        certificates.append(
            ReadinessReport.CertificateInfo(
                role: "Signing", facts: try CertificateFacts(der: serializer.serializedBytes)))
        let report = ReadinessReport(
            country: country, gateway: connection.gateway, identity: connection.identity.rawValue,
            gatewaySoftware: run.serverHeader ?? "not reported", tool: EFGSVersion.serverName,
            startedAt: run.startedAt, finishedAt: Date(), certificates: certificates, steps: steps,
            testData: run.testDataNote)
        try FileManager.default.createDirectory(atPath: reportDir, withIntermediateDirectories: true)
        let stamp = UTCTimestamp.format(run.startedAt).prefix(19).replacingOccurrences(of: ":", with: "")
            .replacingOccurrences(of: "-", with: "")
        let base = (reportDir as NSString).appendingPathComponent("readiness-\(country)-\(stamp)")
        try report.markdown().write(toFile: base + ".md", atomically: true, encoding: .utf8)
        try report.html().write(toFile: base + ".html", atomically: true, encoding: .utf8)
        print(
            "\(report.passed ? "PASSED" : "FAILED"): \(steps.filter { $0.outcome == .passed }.count) passed, \(steps.filter { $0.outcome == .failed }.count) failed, \(steps.filter { $0.outcome == .skipped }.count) skipped"
        )
        print("report: \(base).md, \(base).html")
        if !report.passed { throw ExitCode(1) }
    }
}
