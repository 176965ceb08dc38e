// SPDX-License-Identifier: EUPL-1.2

import SwiftASN1

/// `Attribute ::= SEQUENCE { attrType OID, attrValues SET OF ANY }` (RFC 5652 §5.3).
struct AttributeValue {
    var type: ASN1ObjectIdentifier
    var values: [ASN1Node]

    init(_ node: ASN1Node) throws {
        try ASN1Walk.expect(node, .sequence)
        let c = try ASN1Walk.children(node)
        guard c.count == 2 else { throw CMSParseError("Attribute has \(c.count) elements") }
        type = try ASN1ObjectIdentifier(berEncoded: c[0])
        try ASN1Walk.expect(c[1], .set)
        values = try ASN1Walk.children(c[1])
    }
}
