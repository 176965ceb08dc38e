// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSGateway
import EFGSProtocol
import EFGSStore
import Foundation

/// `efgs batch`: one batching pass; `efgs batch inspect|quarantine|release TAG` for a batch that cannot be served.
struct Batch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one batching pass: group unbatched upload batches into download batches.",
        subcommands: [Inspect.self, Quarantine.self, Release.self])
    @OptionGroup var options: ConfigOption

    func run() async throws {
        guard
            let created = try await GatewayRuntime.with(
                options, { rt in try await rt.lockedOnce(JobLock.batching) { try await rt.services.batching.run() } })
        else { return }
        let list = created.map { "\($0.tag) (\($0.keyCount) keys)" }.joined(separator: ", ")
        print("created \(created.count) download batch(es)\(created.isEmpty ? "" : ": " + list)")
    }

    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a download batch: its upload batches, key counts, storage key ids, and whether every key "
                + "decrypts; exit 1 when some do not.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The download batch tag (yyyyMMdd-N).") var tag: String

        func run() async throws {
            guard
                let found = try await GatewayRuntime.with(
                    options, { try await $0.services.batchQuarantine.inspect(tag: tag) })
            else { throw ValidationError("no download batch \(tag)") }
            let b = found.batch
            print(
                "\(b.tag): \(b.keyCount) keys, \(b.format.rawValue), created \(UTCTimestamp.format(epochMillis: b.createdAt)), "
                    + "next \(b.nextTag ?? "null")" + (b.quarantineReason.map { ", QUARANTINED: \($0)" } ?? ""))
            for u in found.uploads {
                print(
                    "  upload \(u.country) \(u.uploadTag): \(u.keyCount) keys, accepted \(UTCTimestamp.format(epochMillis: u.acceptedAt))"
                )
            }
            let ids = found.keysByKeyId.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(
                separator: ", ")
            print("  storage key ids: \(ids.isEmpty ? "none" : ids)")
            if found.undecryptable == 0 {
                print("  every key decrypts")
            } else {
                print("  \(found.undecryptable) key(s) do NOT decrypt: \(found.firstFailure ?? "")")
                throw ExitCode(1)
            }
        }
    }

    struct Quarantine: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a download batch out of the chain (its predecessor links to its successor; downloads of "
                + "the tag answer 410) without deleting it; recorded in the operator audit.")
        @OptionGroup var options: ConfigOption
        @OptionGroup var operatorOptions: OperatorOptions
        @Argument(help: "The download batch tag.") var tag: String
        @Option(help: "Why (recorded in the operator audit and the event log).") var reason: String

        func run() async throws {
            do {
                try await GatewayRuntime.with(options) { rt in
                    try await rt.services.batchQuarantine.quarantine(
                        tag: tag, reason: reason, by: operatorOptions.context)
                }
            } catch let error as CertificateAdministrationError {
                throw ValidationError(error.reason)
            }
            print("\(tag) quarantined: taken out of the chain; `efgs batch release \(tag)` puts it back")
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a quarantined download batch back into the chain; recorded in the operator audit.")
        @OptionGroup var options: ConfigOption
        @OptionGroup var operatorOptions: OperatorOptions
        @Argument(help: "The download batch tag.") var tag: String

        func run() async throws {
            do {
                try await GatewayRuntime.with(options) { rt in
                    try await rt.services.batchQuarantine.release(tag: tag, by: operatorOptions.context)
                }
            } catch let error as CertificateAdministrationError {
                throw ValidationError(error.reason)
            }
            print("\(tag) released: back in the chain")
        }
    }
}
