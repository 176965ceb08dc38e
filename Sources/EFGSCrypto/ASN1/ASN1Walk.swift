// SPDX-License-Identifier: EUPL-1.2

import SwiftASN1

/// Helpers over swift-asn1's node tree that work for BER and DER alike (X.690).
enum ASN1Walk {
    /// The children of a constructed node; throws for a primitive one.
    static func children(_ node: ASN1Node) throws -> [ASN1Node] {
        guard case .constructed(let nodes) = node.content else {
            throw CMSParseError("expected a constructed \(node.identifier)")
        }
        return Array(nodes)
    }

    /// Throws unless `node` has the identifier `id`.
    static func expect(_ node: ASN1Node, _ id: ASN1Identifier) throws {
        guard node.identifier == id else { throw CMSParseError("expected \(id), found \(node.identifier)") }
    }

    /// The content of a (possibly constructed, BER) OCTET STRING or other string type.
    static func stringContent(_ node: ASN1Node) throws -> [UInt8] {
        switch node.content {
        case .primitive(let bytes):
            return Array(bytes)
        case .constructed(let parts):
            var out = [UInt8]()
            for p in parts { out += try stringContent(p) }
            return out
        }
    }

    /// Universal tags of the string types (BIT STRING, OCTET STRING and the character strings), which BER may
    /// encode in constructed form.
    static let stringTagNumbers: Set<UInt> = [3, 4, 12, 19, 20, 22, 26, 28, 30]

    /// Re-encodes any BER node as DER: definite minimal lengths, constructed strings flattened. When `sortSet`
    /// is true the node's direct children are sorted as DER requires for SET OF.
    static func derBytes(_ node: ASN1Node, sortSet: Bool = false, overrideIdentifier: [UInt8]? = nil) -> [UInt8] {
        let idBytes = overrideIdentifier ?? identifierOctets(node)
        let isStringType =
            node.identifier.tagClass == .universal
            && stringTagNumbers.contains(node.identifier.tagNumber)
        var content: [UInt8]
        switch node.content {
        case .primitive(let bytes):
            content = Array(bytes)
        case .constructed(let parts):
            if isStringType {
                content = (try? stringContent(node)) ?? []
                var id = idBytes
                id[0] &= ~0x20  // primitive form
                return id + lengthOctets(content.count) + content
            }
            var encoded = parts.map { derBytes($0) }
            if sortSet { encoded.sort { $0.lexicographicallyPrecedes($1) } }
            content = encoded.flatMap { $0 }
        }
        return idBytes + lengthOctets(content.count) + content
    }

    /// The identifier octets of `node` as they were encoded (one octet, or more for high tag numbers).
    static func identifierOctets(_ node: ASN1Node) -> [UInt8] {
        let bytes = node.encodedBytes
        var i = bytes.startIndex
        var out = [bytes[i]]
        if bytes[i] & 0x1F == 0x1F {
            repeat {
                i += 1
                out.append(bytes[i])
            } while bytes[i] & 0x80 != 0
        }
        return out
    }

    /// DER length octets: short form below 128, else the minimal long form.
    static func lengthOctets(_ n: Int) -> [UInt8] {
        if n < 0x80 { return [UInt8(n)] }
        var v = n
        var out: [UInt8] = []
        while v > 0 {
            out.insert(UInt8(v & 0xFF), at: 0)
            v >>= 8
        }
        return [0x80 | UInt8(out.count)] + out
    }
}
