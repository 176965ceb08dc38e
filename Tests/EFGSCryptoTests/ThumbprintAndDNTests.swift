// SPDX-License-Identifier: EUPL-1.2

import XCTest

@testable import EFGSCrypto

final class ThumbprintAndDNTests: XCTestCase {
    func testThumbprintNormalisationSection42() {
        let expected = "00bebc5be79d19e1b8b3f250dc39aebfa9a054baf5f8d61380438d92394c476a"
        for v in [
            "00BEBC5BE79D19E1B8B3F250DC39AEBFA9A054BAF5F8D61380438D92394C476A", " \(expected) ",
            "AL68W+edGeG4s/JQ3Dmuv6mgVLr1+NYTgEONkjlMR2o=",
            "AL68W%2BedGeG4s%2FJQ3Dmuv6mgVLr1%2BNYTgEONkjlMR2o%3D",
            "AL68W+edGeG4s/JQ3Dmuv6mgVLr1+NYTgEONkjlMR2o",
        ] {
            XCTAssertEqual(Thumbprint.normalise(header: v), expected, v)
        }
        for bad in ["00:BE:BC", "AL68W-edGeG4s_JQ3Dmuv6mgVLr1-NYTgEONkjlMR2o=", "abc", "%ZZ", ""] {
            XCTAssertNil(Thumbprint.normalise(header: bad), bad)
        }
    }

    func testDNExamplesSection43() {
        for dn in [
            "C=DE", "C = DE, O = x", "/C=DE/O=x", "O=Test Firma GmbH,C=DE,U=,TR,TT=43", "O=a,O=XXX,C=DE",
            "CN=a\\,b,C=DE", "ST%3dSome-State%2c%20C%3dDE%2c%20O%3dInternet%20Widgits%20Pty%20Ltd",
            "subject=CN=x, countryName=DE", "CN=x+C=DE",
        ] {
            XCTAssertEqual(DistinguishedNameText(header: dn)?.countries, ["DE"], dn)
        }
        XCTAssertEqual(DistinguishedNameText(header: "O=Test Firma GmbH,U=Abteilung XYZ,TR=test")?.countries, [])
        XCTAssertEqual(DistinguishedNameText(header: "C=DE,C=FR")?.countries, ["DE", "FR"])
        XCTAssertEqual(DistinguishedNameText(header: "CN=\"a,C=FR\",C=DE")?.countries, ["DE"], "quoted separators")
        XCTAssertNil(DistinguishedNameText(header: "C=DE%2"), "bad escape")
        XCTAssertNil(DistinguishedNameText(header: "C=%FF%FE"), "not UTF-8")
    }
}
