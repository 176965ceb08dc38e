// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSCrypto
import EFGSGateway
import Foundation

/// `efgs config check`: the effective configuration and every start-up check, one line each.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check a configuration before serving it.",
        subcommands: [Check.self, HashPassword.self])

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

    struct HashPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hash-password",
            abstract:
                "Read a password from standard input (its first line) and print the admin.passwordHash for it "
                + "(PBKDF2-HMAC-SHA256, random salt).")
        @Option(help: "PBKDF2 rounds (at least 210000).") var rounds: Int = PasswordHash.defaultRounds

        func validate() throws {
            guard rounds >= PasswordHash.minimumRounds else {
                throw ValidationError("--rounds: at least \(PasswordHash.minimumRounds)")
            }
        }

        func run() async throws {
            guard let password = readLine(strippingNewline: true), password.count >= 12 else {
                throw ValidationError("the password (first line of standard input) needs 12 characters or more")
            }
            print(try PasswordHash(password: password, rounds: rounds))
        }
    }
}
