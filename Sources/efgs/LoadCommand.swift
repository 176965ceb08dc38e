// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSCrypto
import EFGSGateway
import EFGSProtocol
import EFGSStore
import Foundation

/// `efgs load`: a load generator for a federation of many national backends, aimed at any gateway URL.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load a gateway with a federation of simulated national backends: prepare the countries, then run.",
        subcommands: [Prepare.self, Run.self])
}

extension LoadCommand {
    struct Prepare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make N simulated countries (certificates in a federation folder) and, with --config, onboard "
                + "them into that gateway's store as the operator does.",
            discussion: """
                Each country gets an AUTHENTICATION, a SIGNING and a CALLBACK certificate (P-256; the callback \
                certificate is for localhost and 127.0.0.1, where `efgs load run` listens for callbacks). With \
                --config and --ta-key every row is signed with the trust anchor's key and registered, as `efgs cert \
                sign` and `efgs cert import` do, and the trust anchor's certificate is copied into the folder so \
                that the run verifies every audit. Without them the folder holds onboard.sh, the operator commands \
                that onboard the countries where the gateway's configuration is.
                """)
        @Option(help: "The federation folder to make (recreated when it was made by efgs load).") var federation:
            String = "load-federation"
        @Option(help: "Simulated countries (1…\(LoadFederation.codes.count)).") var countries: Int = 30
        @OptionGroup var options: ConfigOption
        @Option(help: "The trust anchor's private key (PEM), to sign the rows; needed with --config.") var taKey:
            String?

        func validate() throws {
            guard (1...LoadFederation.codes.count).contains(countries) else {
                throw ValidationError("--countries must be within 1…\(LoadFederation.codes.count)")
            }
            if options.config != nil, taKey == nil {
                throw ValidationError("--ta-key: required with --config (the rows are signed with it)")
            }
            if options.config == nil, taKey != nil {
                throw ValidationError("--ta-key: only with --config (the gateway whose store is onboarded)")
            }
        }

        func run() async throws {
            let taKeyPEM = try taKey.map { try readText($0, "--ta-key") }
            let config = options.config == nil ? nil : try await options.load()
            let trustAnchorPEM = try config.map { try readText($0.trustAnchorPath, "trustAnchor.certificatePath") }
            let dir = try WorkFolder.prepare(federation, for: "load", option: "--federation")
            let (made, rows) = try LoadFederation.create(in: dir, count: countries, trustAnchorPEM: trustAnchorPEM)
            try made.onboardingScript().write(toFile: dir + "/onboard.sh", atomically: true, encoding: .utf8)
            print(
                "made \(made.countries.count) countries in \(dir): "
                    + made.countries.map(\.country).joined(separator: " "))
            guard let taKeyPEM else {
                print("onboard them where the gateway's configuration is: TA_KEY=… CONFIG=… sh \(dir)/onboard.sh")
                return
            }
            try await GatewayRuntime.with(options) { runtime in
                try await CertificateRows.register(rows, trustAnchorKeyPEM: taKeyPEM, services: runtime.services)
            }
            print("registered \(rows.count) certificate rows signed by the trust anchor (\(options.config ?? ""))")
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the federation against a gateway for a bounded time; print live progress and a report; "
                + "exit 1 on any error, 5xx or failed check.",
            discussion: """
                Every country of the folder uploads signed batches (protobuf) at its share of --uploads-per-minute \
                on a fixed schedule, polls the day's download batches every --poll-seconds following nextBatchTag, \
                checks each new batch (it never holds the country's own keys) and verifies it against its audit \
                (when the folder holds trust-anchor.pem), and, with callbacks on, subscribes an HTTPS endpoint of \
                its own on 127.0.0.1 (the gateway must reach it and allow loopback: callback.allowLoopback). The \
                report gives requests, errors by status and p50/p95/p99 per endpoint, throughput and callbacks; \
                --report also writes it as one self-contained HTML page with latency-over-time plots.
                """)
        @Option(help: "Gateway base URL, e.g. https://efgs.example.eu (the path before /diagnosiskeys).") var gateway:
            String
        @Option(help: "The federation folder made by `efgs load prepare`.") var federation: String = "load-federation"
        @Option(
            help:
                "How each country presents its identity: mtls (default), headers (mode a, as the trusted proxy) or certificate-header (mode b)."
        )
        var identity: ClientConnection.Identity = .mtls
        @Option(help: "CA or self-signed certificate(s) (PEM) trusted for the gateway's TLS certificate.")
        var gatewayCa: String?
        @Option(help: "Only the first N countries of the folder.") var countries: Int?
        @Option(help: "Seconds the load runs (1…86400).") var seconds: Double = 60
        @Option(help: "Uploads per minute, all countries together.") var uploadsPerMinute: Double = 60
        @Option(help: "Fewest keys per upload.") var minKeys: Int = 5
        @Option(help: "Most keys per upload (≤ the gateway's upload.maxKeys).") var maxKeys: Int = 5000
        @Option(help: "Seconds between a country's download polls.") var pollSeconds: Double = 10
        @Flag(inversion: .prefixedNo, help: "Subscribe a callback endpoint per country.") var callbacks = true
        @Option(help: "Seconds between progress lines.") var progressSeconds: Double = 10
        @Option(help: "Seconds a request may take before it counts as unanswered (1…60).") var requestTimeout: Double =
            30
        @Option(help: "Write the HTML report here.") var report: String?

        func validate() throws {
            guard seconds >= 1, seconds <= 86_400 else { throw ValidationError("--seconds must be within 1…86400") }
            guard uploadsPerMinute > 0, uploadsPerMinute <= 1_000_000 else {
                throw ValidationError("--uploads-per-minute must be more than 0 and at most 1000000")
            }
            guard minKeys >= 1, minKeys <= maxKeys else {
                throw ValidationError("--min-keys must be at least 1 and at most --max-keys")
            }
            guard pollSeconds >= 0.1, progressSeconds >= 1 else {
                throw ValidationError("--poll-seconds must be at least 0.1 and --progress-seconds at least 1")
            }
            if let countries, countries < 1 { throw ValidationError("--countries must be at least 1") }
            guard requestTimeout >= 1, requestTimeout <= 60 else {
                throw ValidationError("--request-timeout must be within 1…60 (the client's own limit is 60 s)")
            }
        }

        func run() async throws {
            var folder = try LoadFederation.read(federation)
            if let countries {
                guard countries <= folder.countries.count else {
                    throw ValidationError("--countries: the folder has \(folder.countries.count) countries")
                }
                folder.countries = Array(folder.countries.prefix(countries))
            }
            let settings = LoadRun.Settings(
                gateway: gateway, identity: identity,
                gatewayCAPEM: try gatewayCa.map { try readText($0, "--gateway-ca") }, seconds: seconds,
                uploadsPerMinute: uploadsPerMinute, keys: minKeys...maxKeys, pollSeconds: pollSeconds,
                callbacks: callbacks, progressSeconds: progressSeconds, requestTimeout: requestTimeout)
            let load = try LoadRun(dir: federation, federation: folder, settings: settings)
            LoadRun.say("efgs load: \(folder.countries.count) countries against \(gateway) for \(Int(seconds)) s")
            let result = try await load.run()
            LoadRun.say(result.summary, terminator: "")
            if let report {
                try result.html.write(toFile: report, atomically: true, encoding: .utf8)
                LoadRun.say("  report: \(report)")
            }
            if !result.failures.isEmpty { throw ExitCode(1) }
        }
    }
}
