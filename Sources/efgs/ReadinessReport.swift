// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import Crypto
import EFGSClient
import EFGSCrypto
import EFGSGateway
import EFGSProtocol
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// The publishable report: the same content as Markdown and as one self-contained HTML file (inline CSS, no
/// external resources).
struct ReadinessReport {
    struct CertificateInfo {
        var role: String
        var subject: String
        var thumbprint: String
        var key: String
        var notBefore: Date
        var notAfter: Date

        init(role: String, facts: CertificateFacts) {
            self.role = role
            subject = facts.certificate.subject.description
            thumbprint = facts.thumbprint
            key = Self.keyDescription(facts.certificate.publicKey)
            notBefore = facts.notBefore
            notAfter = facts.notAfter
        }

        static func keyDescription(_ key: Certificate.PublicKey) -> String {
            if let rsa = _RSA.Signing.PublicKey(key) { return "RSA \(rsa.keySizeInBits)" }
            if P256.Signing.PublicKey(key) != nil { return "EC P-256" }
            if P384.Signing.PublicKey(key) != nil { return "EC P-384" }
            if P521.Signing.PublicKey(key) != nil { return "EC P-521" }
            return "other"
        }

        var expiry: String {
            let days = Int(notAfter.timeIntervalSinceNow / 86_400)
            return "\(UTCTimestamp.format(notAfter)) (\(days) days left)"
        }
    }

    var country: String
    var gateway: String
    var identity: String
    var gatewaySoftware: String
    var tool: String
    var startedAt: Date
    var finishedAt: Date
    var certificates: [CertificateInfo]
    var steps: [ReadinessStep]
    var testData: String

    var passed: Bool { !steps.contains { $0.outcome == .failed } }
    var verdict: String { passed ? "PASSED" : "FAILED" }

    func markdown() -> String {
        var s = """
            # EFGS readiness report: \(country)

            **Result: \(verdict)** — \(steps.filter { $0.outcome == .passed }.count) passed, \(steps.filter { $0.outcome == .failed }.count) failed, \(steps.filter { $0.outcome == .skipped }.count) skipped

            | | |
            |---|---|
            | Country | \(country) |
            | Gateway | \(Self.mdCell(gateway)) |
            | Gateway software | \(Self.mdCell(gatewaySoftware)) |
            | Client identity | \(identity) |
            | Run | \(UTCTimestamp.format(startedAt)) – \(UTCTimestamp.format(finishedAt)) |
            | Tool | \(tool) (`efgs readiness`) |
            | Test data | \(testData) |

            ## Certificates

            | Role | Subject | SHA-256 thumbprint | Key | Valid from | Expires |
            |---|---|---|---|---|---|

            """
        for c in certificates {
            s +=
                "| \(c.role) | \(Self.mdCell(c.subject)) | `\(c.thumbprint)` | \(c.key) | \(UTCTimestamp.format(c.notBefore)) | \(c.expiry) |\n"
        }
        s += "\n## Steps\n\n| # | Step | Result | Time | Detail |\n|---|---|---|---|---|\n"
        for (i, step) in steps.enumerated() {
            s +=
                "| \(i + 1) | \(Self.mdCell(step.name)) | \(step.outcome == .failed ? "**FAILED**" : step.outcome.rawValue) | \(step.milliseconds) ms | \(Self.mdCell(step.detail)) |\n"
        }
        return s
    }

    func html() -> String {
        func e(_ t: String) -> String { HTMLText.escape(t) }
        var rows = ""
        for (i, step) in steps.enumerated() {
            rows +=
                "<tr class=\"\(step.outcome == .failed ? "failed" : step.outcome == .passed ? "passed" : "skipped")\"><td>\(i + 1)</td><td>\(e(step.name))</td><td>\(e(step.outcome.rawValue))</td><td>\(step.milliseconds) ms</td><td>\(e(step.detail))</td></tr>\n"
        }
        var certs = ""
        for c in certificates {
            certs +=
                "<tr><td>\(e(c.role))</td><td>\(e(c.subject))</td><td><code>\(c.thumbprint)</code></td><td>\(e(c.key))</td><td>\(UTCTimestamp.format(c.notBefore))</td><td>\(e(c.expiry))</td></tr>\n"
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>EFGS readiness report: \(e(country))</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:1rem 0}
            td,th{border:1px solid #bbb;padding:.3rem .6rem;text-align:left;vertical-align:top}th{background:#eee}
            .verdict{font-size:1.4rem;font-weight:bold}.ok{color:#116611}.bad{color:#aa1111}
            tr.failed td{background:#fbe3e3}tr.passed td:nth-child(3){color:#116611}tr.skipped td{color:#777}code{font-size:.85rem}
            </style></head><body>
            <h1>EFGS readiness report: \(e(country))</h1>
            <p class="verdict \(passed ? "ok" : "bad")">Result: \(verdict)</p>
            <table>
            <tr><th>Country</th><td>\(e(country))</td></tr>
            <tr><th>Gateway</th><td>\(e(gateway))</td></tr>
            <tr><th>Gateway software</th><td>\(e(gatewaySoftware))</td></tr>
            <tr><th>Client identity</th><td>\(e(identity))</td></tr>
            <tr><th>Run</th><td>\(UTCTimestamp.format(startedAt)) – \(UTCTimestamp.format(finishedAt))</td></tr>
            <tr><th>Tool</th><td>\(e(tool)) (efgs readiness)</td></tr>
            <tr><th>Test data</th><td>\(e(testData.replacingOccurrences(of: "`", with: "")))</td></tr>
            </table>
            <h2>Certificates</h2>
            <table><tr><th>Role</th><th>Subject</th><th>SHA-256 thumbprint</th><th>Key</th><th>Valid from</th><th>Expires</th></tr>
            \(certs)</table>
            <h2>Steps</h2>
            <table><tr><th>#</th><th>Step</th><th>Result</th><th>Time</th><th>Detail</th></tr>
            \(rows)</table>
            </body></html>

            """
    }

    /// A Markdown table cell: `|` escaped, one line, and `<` `>` `&` as entities, so text from the gateway (its
    /// messages end up in the details) cannot inject HTML into a published report.
    static func mdCell(_ t: String) -> String {
        t.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;"
        )
        .replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ").replacingOccurrences(
            of: "\r", with: " ")
    }
}
