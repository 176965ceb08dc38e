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

/// `SignerIdentifier` (RFC 5652 §5.3).
enum SignerIdentifierValue {
    /// Issuer name (DER) and serial number (INTEGER content octets).
    case issuerAndSerialNumber(issuerDER: [UInt8], serial: [UInt8])
    case subjectKeyIdentifier([UInt8])
}

/// `SignerInfo` (RFC 5652 §5.3).
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
        _ = try Int(berEncoded: c.removeFirst())
        let sidNode = c.removeFirst()
        if sidNode.identifier == .sequence {
            let parts = try ASN1Walk.children(sidNode)
            guard parts.count == 2, parts[1].identifier == .integer, case .primitive(let serial) = parts[1].content else {
                throw CMSParseError("bad IssuerAndSerialNumber")
            }
            sid = .issuerAndSerialNumber(issuerDER: ASN1Walk.derBytes(parts[0]), serial: Array(serial))
        } else if sidNode.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
            sid = .subjectKeyIdentifier(try ASN1Walk.stringContent(sidNode))
        } else {
            throw CMSParseError("unknown SignerIdentifier \(sidNode.identifier)")
        }
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

/// `ContentInfo` carrying `SignedData` (RFC 5652 §3, §5.1), parsed from BER or DER.
struct SignedDataValue {
    var eContentType: ASN1ObjectIdentifier
    var eContent: [UInt8]?
    /// DER of every `certificates` entry that is a plain Certificate.
    var certificates: [[UInt8]]
    var signerInfos: [SignerInfoValue]

    init(contentInfo bytes: [UInt8]) throws {
        let root = try BER.parse(bytes)
        try ASN1Walk.expect(root, .sequence)
        let ci = try ASN1Walk.children(root)
        guard ci.count == 2 else { throw CMSParseError("ContentInfo has \(ci.count) elements") }
        let contentType = try ASN1ObjectIdentifier(berEncoded: ci[0])
        guard contentType == OID.signedData else { throw CMSParseError("content type \(contentType) is not signedData") }
        try ASN1Walk.expect(ci[1], ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific))
        let wrapped = try ASN1Walk.children(ci[1])
        guard wrapped.count == 1 else { throw CMSParseError("bad [0] content") }
        let sd = wrapped[0]
        try ASN1Walk.expect(sd, .sequence)
        var c = try ASN1Walk.children(sd)[...]
        guard c.count >= 4 else { throw CMSParseError("SignedData too short") }
        _ = try Int(berEncoded: c.removeFirst())
        try ASN1Walk.expect(c.removeFirst(), .set)
        let eci = try ASN1Walk.children(c.removeFirst())
        guard eci.count >= 1, eci.count <= 2 else { throw CMSParseError("bad EncapsulatedContentInfo") }
        eContentType = try ASN1ObjectIdentifier(berEncoded: eci[0])
        if eci.count == 2 {
            try ASN1Walk.expect(eci[1], ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific))
            let inner = try ASN1Walk.children(eci[1])
            guard inner.count == 1 else { throw CMSParseError("bad eContent") }
            try ASN1Walk.expect(inner[0], .octetString)
            eContent = try ASN1Walk.stringContent(inner[0])
        }
        certificates = []
        if let n = c.first, n.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
            c.removeFirst()
            certificates = try ASN1Walk.children(n).filter { $0.identifier == .sequence }.map { ASN1Walk.derBytes($0) }
        }
        if let n = c.first, n.identifier == ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific) {
            c.removeFirst() // CRLs are ignored
        }
        guard c.count == 1 else { throw CMSParseError("unexpected elements after signerInfos") }
        try ASN1Walk.expect(c[c.startIndex], .set)
        signerInfos = try ASN1Walk.children(c[c.startIndex]).map(SignerInfoValue.init)
    }
}
