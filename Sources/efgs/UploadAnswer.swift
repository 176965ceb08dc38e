// SPDX-License-Identifier: EUPL-1.2

import ArgumentParser
import EFGSClient
import EFGSCrypto
import EFGSProtocol
import Foundation

/// Upload answers (§5.3) in plain words.
enum UploadAnswer {
    static func explain(_ r: GatewayResponse, batchTag: String, keyCount: Int) -> String {
        switch r.status {
        case 201:
            return "201 Created: upload batch \(batchTag) accepted (\(keyCount) keys)"
        case 207:
            var detail = ""
            if let status = UploadMultiStatus.decode(r.body) {
                let duplicates = status.conflicts
                let fresh = status.fresh
                detail =
                    ": keys at positions \(duplicates.map(String.init).joined(separator: ", ")) are already stored (or repeated in the batch); "
                    + "the other \(fresh.count) are new. Send those again, signed anew, under a batch tag (this one is still free)"
            }
            return "207 Multi-Status: nothing was stored\(detail)"
        case 409:
            return
                "409 Conflict: your country has used batch tag \(batchTag) before; choose a new tag (\(gatewayMessage(r)))"
        case 400:
            return "400 Bad Request: \(gatewayMessage(r))"
        case 403:
            return "403 Forbidden: the gateway did not accept the client identity (\(gatewayMessage(r)))"
        case 406:
            return "406 Not Acceptable: \(gatewayMessage(r)) (the gateway speaks another protocol version)"
        case 413:
            return "413 Content Too Large: \(gatewayMessage(r))"
        case 415:
            return "415 Unsupported Media Type: \(gatewayMessage(r))"
        default:
            return "\(r.status): \(gatewayMessage(r))"
        }
    }
}
