// SPDX-License-Identifier: EUPL-1.2

import SwiftASN1

/// `ContentInfo ::= SEQUENCE { contentType ContentType, content [0] EXPLICIT ANY DEFINED BY contentType }`
/// (RFC 5652 §3), parsed from BER or DER.
struct ContentInfoValue {
    var contentType: ASN1ObjectIdentifier
    /// The value inside `[0] EXPLICIT`.
    var content: ASN1Node

    /// Parses `node`, refusing any content type other than `expectedType` (called `typeName` in the error)
    /// before looking at the content.
    init(_ node: ASN1Node, expecting expectedType: ASN1ObjectIdentifier, named typeName: String) throws {
        try ASN1Walk.expect(node, .sequence)
        let ci = try ASN1Walk.children(node)
        guard ci.count == 2 else { throw CMSParseError("ContentInfo has \(ci.count) elements") }
        contentType = try ASN1ObjectIdentifier(berEncoded: ci[0])
        guard contentType == expectedType else {
            throw CMSParseError("content type \(contentType) is not \(typeName)")
        }
        try ASN1Walk.expect(ci[1], ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific))
        let wrapped = try ASN1Walk.children(ci[1])
        guard wrapped.count == 1 else { throw CMSParseError("bad [0] content") }
        content = wrapped[0]
    }
}
