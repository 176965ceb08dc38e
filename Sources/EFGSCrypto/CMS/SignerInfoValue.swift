// SPDX-License-Identifier: EUPL-1.2

import SwiftASN1

/// `SignerInfo` (RFC 5652 §5.3):
///
///     SignerInfo ::= SEQUENCE { version, sid SignerIdentifier, digestAlgorithm,
///                               signedAttrs [0] IMPLICIT SET OF Attribute OPTIONAL,
///                               signatureAlgorithm, signature OCTET STRING, unsignedAttrs [1] OPTIONAL }
struct SignerInfoValue {
    var sid: SignerIdentifierValue
    var digestAlgorithm: AlgorithmIdentifierValue
    var signedAttributes: [AttributeValue]?
    /// DER of the signed attributes as `SET OF` (tag 0x31): the bytes the signature covers (§5.4).
    var signedAttributesDER: [UInt8]?
    var signatureAlgorithm: AlgorithmIdentifierValue
    var signature: [UInt8]

    init(_ node: ASN1Node) throws {
        try ASN1Walk.expect(node, .sequence)
        var c = try ASN1Walk.children(node)[...]
        guard c.count >= 5 else { throw CMSParseError("SignerInfo too short") }
        _ = try Int(berEncoded: c.removeFirst())  // version
        sid = try SignerIdentifierValue(c.removeFirst())
        digestAlgorithm = try AlgorithmIdentifierValue(c.removeFirst())
        if let n = c.first, n.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
            c.removeFirst()
            signedAttributes = try ASN1Walk.children(n).map(AttributeValue.init)
            signedAttributesDER = ASN1Walk.derBytes(n, sortSet: true, overrideIdentifier: [0x31])
        }
        guard c.count >= 2 else { throw CMSParseError("SignerInfo too short") }
        signatureAlgorithm = try AlgorithmIdentifierValue(c.removeFirst())
        let sigNode = c.removeFirst()
        try ASN1Walk.expect(sigNode, .octetString)
        signature = try ASN1Walk.stringContent(sigNode)
    }
}
