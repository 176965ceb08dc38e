// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSGateway
import Foundation

/// `efgs config check`: the effective configuration and every start-up check, one line each.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check a configuration before serving it.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the effective configuration (secrets masked) and run every start-up check: listeners, "
                + "trust anchor, certificate/key pairs, database reachable and migrated, storage keys and trust "
                + "anchor against the data. Changes nothing; exits 1 on any failure.")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let config = try await options.load()
            let check = ConfigurationCheck(config: config)
            print("effective configuration:")
            for line in check.effectiveSettings { print("  \(line)") }
            print("checks:")
            let results = await check.run()
            for result in results { print("  \(result.ok ? "ok    " : "FAILED") \(result.name): \(result.detail)") }
            let failed = results.filter { !$0.ok }.count
            print(failed == 0 ? "configuration ok" : "\(failed) check(s) failed")
            if failed > 0 { throw ExitCode(1) }
        }
    }
}
