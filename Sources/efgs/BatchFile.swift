// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSClient
import EFGSCrypto
import EFGSProtocol
import Foundation

/// A batch file: protobuf `DiagnosisKeyBatch` or the JSON upload form (§2.1, §2.3).
struct BatchFile: ParsableArguments {
    @Option(help: "Batch file: protobuf DiagnosisKeyBatch or JSON {\"keys\":[…]}.") var batch: String
    @Option(help: "protobuf or json; by default json for a .json file, else protobuf.") var format: WireFormat?

    var wireFormat: WireFormat { format ?? (batch.lowercased().hasSuffix(".json") ? .json : .protobuf) }

    func read() throws -> (body: [UInt8], keys: [DiagnosisKey]) {
        guard let data = FileManager.default.contents(atPath: batch) else {
            throw ValidationError("--batch: cannot read \(batch)")
        }
        let body = Array(data)
        do {
            let keys =
                wireFormat == .protobuf
                ? try DiagnosisKeyBatch.parseProtobuf(body).keys : try DiagnosisKeyJSONDecoder.decode(body)
            return (body, keys)
        } catch {
            throw ValidationError("--batch: \(batch) is not a \(wireFormat.rawValue) batch: \(error)")
        }
    }
}
