// SPDX-License-Identifier: EUPL-1.2

import SwiftASN1

/// `SignedData` (RFC 5652 §5.1) carried in a `ContentInfo` (§3), parsed from BER or DER:
///
///     SignedData ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo,
///                               certificates [0] IMPLICIT OPTIONAL, crls [1] IMPLICIT OPTIONAL, signerInfos SET }
struct SignedDataValue {
    var encapContentInfo: EncapsulatedContentInfoValue
    /// DER of every `certificates` entry that is a plain Certificate.
    var certificates: [[UInt8]]
    var signerInfos: [SignerInfoValue]

    /// The `eContentType` of the encapsulated content (PROTOCOL.md §6.1: id-data).
    var eContentType: ASN1ObjectIdentifier { encapContentInfo.eContentType }
    /// The attached content, or nil for a detached signature.
    var eContent: [UInt8]? { encapContentInfo.eContent }

    /// Parses the BER or DER bytes of a `ContentInfo` whose content type is id-signedData.
    init(contentInfo bytes: [UInt8]) throws {
        let root = try BER.parse(bytes)
        let contentInfo = try ContentInfoValue(root, expecting: OID.signedData, named: "signedData")
        try self.init(contentInfo.content)
    }

    /// Parses the `SignedData` SEQUENCE itself.
    init(_ sd: ASN1Node) throws {
        try ASN1Walk.expect(sd, .sequence)
        var c = try ASN1Walk.children(sd)[...]
        guard c.count >= 4 else { throw CMSParseError("SignedData too short") }
        _ = try Int(berEncoded: c.removeFirst())  // version
        try ASN1Walk.expect(c.removeFirst(), .set)  // digestAlgorithms: the SignerInfo's own is used
        encapContentInfo = try EncapsulatedContentInfoValue(c.removeFirst())
        certificates = []
        if let n = c.first, n.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
            c.removeFirst()
            certificates = try ASN1Walk.children(n).filter { $0.identifier == .sequence }.map { ASN1Walk.derBytes($0) }
        }
        if let n = c.first, n.identifier == ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific) {
            c.removeFirst()  // CRLs are ignored
        }
        guard c.count == 1 else { throw CMSParseError("unexpected elements after signerInfos") }
        try ASN1Walk.expect(c[c.startIndex], .set)
        signerInfos = try ASN1Walk.children(c[c.startIndex]).map(SignerInfoValue.init)
    }
}
