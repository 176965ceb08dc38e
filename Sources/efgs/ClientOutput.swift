// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSClient
import EFGSCrypto
import EFGSProtocol
import Foundation

/// The text of the file at `path`, or a refusal naming `option`.
func readText(_ path: String, _ option: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("\(option): cannot read \(path)")
    }
    return String(decoding: data, as: UTF8.self)
}

/// The gateway's `{"message":"…"}`, or the body as text.
func gatewayMessage(_ r: GatewayResponse) -> String {
    if let body = ErrorBody.decode(r.body) { return body.message }
    return r.text.isEmpty ? "(empty body)" : r.text
}
