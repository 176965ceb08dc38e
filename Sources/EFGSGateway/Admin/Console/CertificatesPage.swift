// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSStore
import Foundation

extension OperatorConsole {
    /// Days before expiry from which a certificate is shown as a warning (the 30-day alert of docs/monitoring.md).
    static let expiryWarningDays = 30
    /// Days before expiry from which it is critical (the 7-day alert).
    static let expiryCriticalDays = 7

    /// The urgency class of a certificate that expires at `notAfter`: `expired`, `expiry-critical`,
    /// `expiry-warning` or `expiry-ok`.
    static func expiryClass(_ notAfter: Date, now: Date) -> String {
        let days = notAfter.timeIntervalSince(now) / 86_400
        if days < 0 { return "expired" }
        if days < Double(expiryCriticalDays) { return "expiry-critical" }
        if days < Double(expiryWarningDays) { return "expiry-warning" }
        return "expiry-ok"
    }

    /// A thumbprint shortened to 16 characters, the whole one as its tooltip (escaped: a tampered row may hold
    /// anything).
    static func thumbprint(_ text: String) -> String {
        "<code title=\"\(ConsoleHTML.escape(text))\">\(ConsoleHTML.escape(String(text.prefix(16))))…</code>"
    }

    /// Certificates: every certificate row with its expiry coloured by urgency, its integrity verdict (§7.6) and
    /// whether it is revoked; then the trust anchors and the gateway's own certificates.
    func certificates(now: Date) async throws -> String {
        let rows = try await services.store.certificates(country: nil, type: nil)
            .sorted { ($0.country, $0.type.rawValue, $0.thumbprint) < ($1.country, $1.type.rawValue, $1.thumbprint) }
        func expiry(_ notAfter: Date) -> [ConsoleHTML.Cell] {
            let cssClass = Self.expiryClass(notAfter, now: now)
            let days = Int((notAfter.timeIntervalSince(now) / 86_400).rounded(.down))
            return [.text(ConsoleHTML.time(notAfter)), .text(days < 0 ? "expired" : "\(days) days", cssClass)]
        }
        var html = "<h2>Certificate rows</h2>"
        html += ConsoleHTML.table(
            id: "certificates",
            columns: ["Country", "Type", "Thumbprint", "Host", "Not after", "Expires in", "Integrity", "Revoked"],
            rows: rows.map { row in
                let verdict = services.certificates.integrity(of: row)
                let facts = try? verdict.get()
                var classes = [facts.map { Self.expiryClass($0.notAfter, now: now) } ?? "integrity-failed"]
                if row.revoked { classes.append("revoked") }
                let integrity: ConsoleHTML.Cell
                switch verdict {
                case .success: integrity = .text("verified", "ok")
                case .failure(let error): integrity = .text(String(describing: error), "bad")
                }
                return (
                    id: "cert-\(row.type.rawValue.lowercased())-\(row.thumbprint.prefix(16))",
                    cssClass: classes.joined(separator: " "),
                    cells: [
                        .text(row.country), .text(row.type.rawValue),
                        .html(Self.thumbprint(row.thumbprint)),
                        .text(row.host ?? ""),
                    ] + (facts.map { expiry($0.notAfter) } ?? [.text("unknown"), .text("unknown", "bad")])
                        + [integrity, .text(row.revoked ? "revoked" : "no", row.revoked ? "warn" : nil)]
                )
            }, empty: "No certificate row yet: onboard a country with efgs cert import.")
        html += "<h2>Trust anchors and the gateway's certificates</h2>"
        var own: [(id: String?, cssClass: String?, cells: [ConsoleHTML.Cell])] = services.anchors.all.enumerated().map {
            i, anchor in
            let notAfter = anchor.certificate.notValidAfter
            return (
                id: "anchor-\(anchor.thumbprint.prefix(16))", cssClass: Self.expiryClass(notAfter, now: now),
                cells: [
                    .text(i == 0 ? "trust anchor" : "next trust anchor"),
                    .html(Self.thumbprint(anchor.thumbprint)),
                ] + expiry(notAfter)
            )
        }
        for file in GatewayCertificates.files(services.config) {
            guard let notAfter = file.notAfter else {
                own.append(
                    (
                        id: nil, cssClass: "bad",
                        cells: [.text(file.setting), .text(file.path), .text("unreadable", "bad"), .text("")]
                    ))
                continue
            }
            own.append(
                (
                    id: "gateway-\(file.setting)", cssClass: Self.expiryClass(notAfter, now: now),
                    cells: [.text(file.setting), .html("<code>\(ConsoleHTML.escape(file.path))</code>")]
                        + expiry(notAfter)
                ))
        }
        html += ConsoleHTML.table(
            id: "gateway-certificates", columns: ["Certificate", "Thumbprint or file", "Not after", "Expires in"],
            rows: own, empty: "")
        return html
    }
}
