// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSGateway
import EFGSProtocol
import EFGSStore
import Foundation

/// `efgs country list` and `efgs country disconnect XX` (offboarding, docs/offboarding.md).
struct CountryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "country", abstract: "Connected countries: list them, or disconnect one (offboarding).",
        subcommands: [List.self, Disconnect.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Each country with its certificates (type, expiry, state), last upload, last download and callback subscriptions."
        )
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let countries = try await GatewayRuntime.with(options) { rt in try await rt.services.countries.list() }
            func date(_ d: Date?) -> String { d.map(UTCTimestamp.format) ?? "never" }
            for c in countries {
                print(
                    "\(c.country)  \(c.connected ? "connected" : "DISCONNECTED")  last upload \(date(c.lastUpload))  last download \(date(c.lastDownload))  callback subscriptions \(c.subscriptions)"
                )
                for cert in c.certificates {
                    let state =
                        cert.revoked
                        ? "revoked"
                        : cert.notAfter == nil ? "INTEGRITY FAILED" : cert.notAfter! < Date() ? "expired" : "active"
                    let expiry = cert.notAfter.map { "expires \(UTCTimestamp.format($0))" } ?? "expiry unknown"
                    print(
                        "    \(cert.type.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)) \(state.padding(toLength: 16, withPad: " ", startingAt: 0)) \(expiry)  \(cert.thumbprint)\(cert.host.map { "  host \($0)" } ?? "")"
                    )
                }
            }
            if countries.isEmpty { print("no countries") }
        }
    }

    struct Disconnect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Revoke every certificate row of a country and delete its callback subscriptions and pending callback tasks.",
            discussion:
                "Keys it uploaded before stay downloadable until key retention deletes them. Reconnecting: docs/offboarding.md."
        )
        @OptionGroup var options: ConfigOption
        @OptionGroup var operatorOptions: OperatorOptions
        @Argument(help: "Country code (ISO 3166-1 alpha-2).") var country: String
        @Option(help: "Why (written to the event log).") var reason: String = "operator request"

        func run() async throws {
            let outcome: CountryOffboarding.Outcome
            do {
                outcome = try await GatewayRuntime.with(options) { rt in
                    try await rt.services.offboarding.disconnect(
                        country: country, reason: reason, by: operatorOptions.context)
                }
            } catch let error as CertificateAdministrationError where error.code == .nothingActive {
                print("nothing was active for \(country): \(error.reason)")
                throw ExitCode(1)
            } catch let error as CertificateAdministrationError {
                throw ValidationError(error.reason)
            }
            print(
                "\(country) disconnected: \(outcome.certificatesRevoked) certificate row(s) revoked, "
                    + "\(outcome.subscriptionsDeleted) callback subscription(s) deleted with their pending tasks")
        }
    }
}
