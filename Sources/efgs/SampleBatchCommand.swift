// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSProtocol
import Foundation

extension ClientCommand {
    /// `efgs client sample-batch`: a valid test batch to try an upload with (first gateway, readiness by hand).
    struct SampleBatch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sample-batch",
            abstract: "Write a batch of valid random test keys (JSON {\"keys\":[…]} or protobuf) for a first upload.")
        @Option(help: "The uploading country (ISO 3166-1 alpha-2).") var origin: String
        @Option(help: "How many keys (1…5000).") var count: Int = 5
        @Option(help: "File to write; .json gives JSON, anything else protobuf.") var out: String

        func validate() throws {
            guard KeyValidator.isCountryCode(origin) else { throw ValidationError("--origin: two upper-case letters") }
            guard (1...5000).contains(count) else { throw ValidationError("--count: 1…5000") }
        }

        func run() async throws {
            let format: WireFormat = out.lowercased().hasSuffix(".json") ? .json : .protobuf
            let keys = Demo.randomKeys(count: count, origin: origin)
            try Data(format.encodeKeys(keys)).write(to: URL(fileURLWithPath: out))
            print("wrote \(count) \(origin) test key(s) to \(out) (\(format.rawValue))")
        }
    }
}
