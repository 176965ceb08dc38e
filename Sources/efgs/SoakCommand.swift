// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import Foundation

/// `efgs soak`: availability under a hostile peer, measured (issue 12, part 2).
struct Soak: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the honest countries' latency against a real `efgs serve` (mutual TLS, SQLite, loopback) "
            + "without and then with a hostile peer; exit 1 on any 5xx or a p99 more than --max-ratio times the "
            + "baseline.",
        discussion: """
            The federation is made in --work-dir: a demo PKI, N honest countries and one hostile country, all \
            onboarded. The honest countries upload signed batches, download the day's batches and audit them, \
            without pause, first alone (the baseline), then while the hostile peer (127.0.0.2) opens slowloris \
            heads and stalled TLS handshakes, sends huge bodies, and floods callback subscriptions (slow DNS, \
            past the per-country cap). Both phases are measured in the same run; the report prints both figures \
            and their ratio.
            """)
    @Option(help: "Seconds each phase is measured.") var seconds: Double = 20
    @Option(help: "Honest countries (2…8).") var countries: Int = 3
    @Option(help: "The largest p99 ratio (with / without the attacker) that passes.") var maxRatio: Double = 3
    @Option(help: "Slowloris connections the hostile peer keeps open.") var slowloris: Int = 200
    @Option(help: "Stalled TLS handshakes the hostile peer keeps open.") var stalledHandshakes: Int = 100
    @Option(help: "Working folder (recreated).") var workDir: String = "soak-work"

    func validate() throws {
        guard (2...8).contains(countries) else { throw ValidationError("--countries must be within 2…8") }
        guard seconds >= 1, seconds <= 3600 else { throw ValidationError("--seconds must be within 1…3600") }
        guard maxRatio > 0 else { throw ValidationError("--max-ratio must be positive") }
        guard (0...2000).contains(slowloris), (0...2000).contains(stalledHandshakes) else {
            throw ValidationError("--slowloris and --stalled-handshakes must be within 0…2000")
        }
    }

    func run() async throws {
        let soak = try SoakRun(dir: try WorkFolder.prepare(workDir, for: "soak"), countries: countries)
        print("soak: \(countries) honest countries, \(Int(seconds)) s per phase, mutual TLS on loopback, SQLite")
        let report = try await soak.run(seconds: seconds, slowloris: slowloris, stalledHandshakes: stalledHandshakes)
        print("  without the attacker: \(report.baseline)")
        print("  with the attacker:    \(report.attacked)")
        let c = report.attacker
        let puts = c.callbackPUTs.sorted { $0.key < $1.key }.map { "\($0.value)×\($0.key)" }.joined(separator: " ")
        print(
            "  attacker (127.0.0.2): slowloris \(c.slowlorisOpened) connections (\(c.slowlorisCut) cut by the "
                + "gateway), stalled handshakes \(c.handshakesOpened) (\(c.handshakesCut) cut), huge bodies "
                + "\(c.hugeBodyConnections) connections \(c.hugeBodyBytes / 1_048_576) MiB sent, callback PUTs "
                + "\(puts.isEmpty ? "none" : puts), connections refused or failed \(c.connectFailures)")
        let ratio = report.ratio
        let failures = report.failures(maxRatio: maxRatio)
        print(
            "  p99 ratio \(String(format: "%.2f", ratio)) (limit \(String(format: "%.1f", maxRatio))): "
                + (failures.isEmpty ? "PASSED" : "FAILED: " + failures.joined(separator: "; ")))
        if !failures.isEmpty { throw ExitCode(1) }
    }
}
