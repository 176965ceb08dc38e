// SPDX-License-Identifier: EUPL-1.2

import SwiftASN1

/// `EncapsulatedContentInfo ::= SEQUENCE { eContentType ContentType, eContent [0] EXPLICIT OCTET STRING OPTIONAL }`
/// (RFC 5652 §5.2). A batch signature is detached (no `eContent`) or carries the batch stream itself
/// (PROTOCOL.md §6.1).
struct EncapsulatedContentInfoValue {
    var eContentType: ASN1ObjectIdentifier
    /// The attached content, or nil for a detached signature.
    var eContent: [UInt8]?

    init(_ node: ASN1Node) throws {
        let eci = try ASN1Walk.children(node)
        guard eci.count >= 1, eci.count <= 2 else { throw CMSParseError("bad EncapsulatedContentInfo") }
        eContentType = try ASN1ObjectIdentifier(berEncoded: eci[0])
        if eci.count == 2 {
            try ASN1Walk.expect(eci[1], ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific))
            let inner = try ASN1Walk.children(eci[1])
            guard inner.count == 1 else { throw CMSParseError("bad eContent") }
            try ASN1Walk.expect(inner[0], .octetString)
            eContent = try ASN1Walk.stringContent(inner[0])
        }
    }
}
