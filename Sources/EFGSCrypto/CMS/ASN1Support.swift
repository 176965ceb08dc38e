import SwiftASN1

/// Object identifiers used by batch signatures (RFC 5652, RFC 5754, RFC 4055, RFC 5758, RFC 6211).
enum OID {
    static let data: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 1]
    static let signedData: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 2]
    static let contentTypeAttr: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 3]
    static let messageDigestAttr: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 4]
    static let signingTimeAttr: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 5]
    static let algorithmProtectionAttr: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 52]

    static let sha1: ASN1ObjectIdentifier = [1, 3, 14, 3, 2, 26]
    static let sha256: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 1]
    static let sha384: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 2]
    static let sha512: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 3]

    static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 1]
    static let sha1WithRSA: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 5]
    static let sha256WithRSA: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 11]
    static let sha384WithRSA: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 12]
    static let sha512WithRSA: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 13]
    static let rsassaPSS: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 10]
    static let mgf1: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 8]
    static let ecPublicKey: ASN1ObjectIdentifier = [1, 2, 840, 10045, 2, 1]
    static let ecdsaWithSHA1: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 1]
    static let ecdsaWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 2]
    static let ecdsaWithSHA384: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 3]
    static let ecdsaWithSHA512: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 4]
}

/// Helpers over swift-asn1's node tree that work for BER and DER alike.
enum ASN1Walk {
    static func children(_ node: ASN1Node) throws -> [ASN1Node] {
        guard case .constructed(let nodes) = node.content else {
            throw CMSParseError("expected a constructed \(node.identifier)")
        }
        return Array(nodes)
    }

    static func expect(_ node: ASN1Node, _ id: ASN1Identifier) throws {
        guard node.identifier == id else { throw CMSParseError("expected \(id), found \(node.identifier)") }
    }

    /// The content of a (possibly constructed, BER) OCTET STRING or other string type.
    static func stringContent(_ node: ASN1Node) throws -> [UInt8] {
        switch node.content {
        case .primitive(let bytes): return Array(bytes)
        case .constructed(let parts):
            var out = [UInt8]()
            for p in parts { out += try stringContent(p) }
            return out
        }
    }

    /// Re-encodes any BER node as DER: definite minimal lengths, constructed strings flattened. When `sortSet`
    /// is true the node's direct children are sorted as DER requires for SET OF.
    static func derBytes(_ node: ASN1Node, sortSet: Bool = false, overrideIdentifier: [UInt8]? = nil) -> [UInt8] {
        let idBytes = overrideIdentifier ?? identifierOctets(node)
        let isStringType = node.identifier.tagClass == .universal && [3, 4, 12, 19, 20, 22, 26, 28, 30].contains(node.identifier.tagNumber)
        var content: [UInt8]
        switch node.content {
        case .primitive(let bytes):
            content = Array(bytes)
        case .constructed(let parts):
            if isStringType {
                content = (try? stringContent(node)) ?? []
                var id = idBytes
                id[0] &= ~0x20 // primitive form
                return id + lengthOctets(content.count) + content
            }
            var encoded = parts.map { derBytes($0) }
            if sortSet { encoded.sort { $0.lexicographicallyPrecedes($1) } }
            content = encoded.flatMap { $0 }
        }
        return idBytes + lengthOctets(content.count) + content
    }

    static func identifierOctets(_ node: ASN1Node) -> [UInt8] {
        let bytes = node.encodedBytes
        var i = bytes.startIndex
        var out = [bytes[i]]
        if bytes[i] & 0x1F == 0x1F {
            repeat { i += 1; out.append(bytes[i]) } while bytes[i] & 0x80 != 0
        }
        return out
    }

    static func lengthOctets(_ n: Int) -> [UInt8] {
        if n < 0x80 { return [UInt8(n)] }
        var v = n
        var out: [UInt8] = []
        while v > 0 { out.insert(UInt8(v & 0xFF), at: 0); v >>= 8 }
        return [0x80 | UInt8(out.count)] + out
    }
}

struct CMSParseError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
