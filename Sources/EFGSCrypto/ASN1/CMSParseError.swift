// SPDX-License-Identifier: EUPL-1.2

/// A structural error found while parsing BER/DER (CMS of RFC 5652, PKCS#12 of RFC 7292). The verifier reports it
/// as `BatchSignatureError.malformed` (PROTOCOL.md §6.6).
struct CMSParseError: Error, CustomStringConvertible {
    let description: String

    init(_ d: String) { description = d }
}
