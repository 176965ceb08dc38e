// SPDX-License-Identifier: EUPL-1.2

import SwiftASN1

/// `AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }` (RFC 5280 §4.1.1.2).
struct AlgorithmIdentifierValue {
    var oid: ASN1ObjectIdentifier
    var parameters: ASN1Node?

    init(_ node: ASN1Node) throws {
        try ASN1Walk.expect(node, .sequence)
        let c = try ASN1Walk.children(node)
        guard c.count >= 1, c.count <= 2 else { throw CMSParseError("AlgorithmIdentifier has \(c.count) elements") }
        oid = try ASN1ObjectIdentifier(berEncoded: c[0])
        parameters = c.count == 2 ? c[1] : nil
    }

    /// Parameters absent or an ASN.1 NULL.
    var hasAbsentOrNullParameters: Bool {
        guard let p = parameters else { return true }
        if p.identifier == .null, case .primitive(let b) = p.content, b.isEmpty { return true }
        return false
    }
}
