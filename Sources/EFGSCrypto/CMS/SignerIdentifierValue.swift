// SPDX-License-Identifier: EUPL-1.2

import SwiftASN1

/// `SignerIdentifier ::= CHOICE { issuerAndSerialNumber IssuerAndSerialNumber,
/// subjectKeyIdentifier [0] SubjectKeyIdentifier }` (RFC 5652 §5.3). PROTOCOL.md §6.1 accepts both forms.
enum SignerIdentifierValue {
    /// Issuer name (DER) and serial number (INTEGER content octets).
    case issuerAndSerialNumber(issuerDER: [UInt8], serial: [UInt8])
    /// The key identifier octets.
    case subjectKeyIdentifier([UInt8])

    init(_ node: ASN1Node) throws {
        if node.identifier == .sequence {
            let parts = try ASN1Walk.children(node)
            guard parts.count == 2, parts[1].identifier == .integer, case .primitive(let serial) = parts[1].content
            else {
                throw CMSParseError("bad IssuerAndSerialNumber")
            }
            self = .issuerAndSerialNumber(issuerDER: ASN1Walk.derBytes(parts[0]), serial: Array(serial))
        } else if node.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
            self = .subjectKeyIdentifier(try ASN1Walk.stringContent(node))
        } else {
            throw CMSParseError("unknown SignerIdentifier \(node.identifier)")
        }
    }
}
