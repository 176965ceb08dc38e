// SPDX-License-Identifier: EUPL-1.2

import XCTest

@testable import EFGSProtocol

final class NegotiationTests: XCTestCase {
    let n = ContentNegotiator()

    func testUploadContentTypes() {
        for ct in [
            "application/protobuf; version=1.0", "application/protobuf;version=1.0",
            "Application/JSON ; Version = \"1.0\"", "application/json; charset=utf-8; version=01.00",
        ] {
            guard case .success(let (f, mt)) = n.uploadFormat(contentType: ct) else { return XCTFail(ct) }
            XCTAssertNil(n.checkUploadVersion(mt, format: f), ct)
        }
        guard case .failure(let f415) = n.uploadFormat(contentType: "application/x-protobuf") else { return XCTFail() }
        XCTAssertEqual(f415.status, 415)
        guard case .failure = n.uploadFormat(contentType: nil) else { return XCTFail() }
        func versionFailure(_ ct: String) -> NegotiationFailure? {
            guard case .success(let (f, mt)) = n.uploadFormat(contentType: ct) else { return nil }
            return n.checkUploadVersion(mt, format: f)
        }
        XCTAssertEqual(versionFailure("application/json")?.message, "Version parameter of Content-Type is required!")
        XCTAssertEqual(
            versionFailure("application/json; version=1")?.message,
            "Version can just contain a major and minor version splitted by a dot!")
        XCTAssertEqual(
            versionFailure("application/json; version=1.x")?.message,
            "Given version string has an invalid number format!")
        XCTAssertEqual(versionFailure("application/json; version=1.1")?.status, 406)
    }

    func testDownloadAccept() {
        XCTAssertEqual(try n.downloadFormat(accept: "application/protobuf; version=1.0").get(), .protobuf)
        XCTAssertEqual(try n.downloadFormat(accept: "application/json;version=1.0").get(), .json)
        XCTAssertEqual(
            try n.downloadFormat(
                accept: "text/html, application/json; version=1.0; q=0, application/protobuf;version=1.0"
            ).get(), .protobuf)
        func msg(_ a: String?) -> String? {
            if case .failure(let f) = n.downloadFormat(accept: a) { return f.message }
            return nil
        }
        XCTAssertEqual(msg(nil), "Accept must be set!")
        XCTAssertEqual(msg(""), "Accept must be set!")
        XCTAssertEqual(msg("*/*"), "Version parameter of Content-Type is required!")
        XCTAssertEqual(msg("application/json"), "Version parameter of Content-Type is required!")
        XCTAssertEqual(msg("application/json; version=2.0"), "Protocol version is not compatible!")
        XCTAssertEqual(msg("text/html"), "Content-Type is not compatible")
    }

    /// Header values are split and trimmed by bytes (RFC 9110 field values are octets): a comma followed by a
    /// combining mark still ends the entry before it. By graphemes (until 2026-12-03) the comma and the mark were one
    /// character, the entry's version read `1.0,\u{301}` and the download was refused.
    func testAcceptIsSplitAndTrimmedByBytes() {
        XCTAssertEqual(MediaType.parseAccept("application/protobuf; version=1.0,\u{301}").first?.version, "1.0")
        XCTAssertEqual(try n.downloadFormat(accept: "application/protobuf; version=1.0,\u{301}").get(), .protobuf)
        XCTAssertEqual(MediaType.split("a;b=\"x;y\";c", on: 0x3B), ["a", "b=\"x;y\"", "c"])
        XCTAssertEqual(MediaType.split("", on: 0x2C), [""])
        XCTAssertEqual("\t a b \t".trimmingSpaces, "a b")
        XCTAssertEqual(" \u{301}x ".trimmingSpaces, "\u{301}x")
        XCTAssertEqual(" \t ".trimmingSpaces, "")
    }

    /// The spellings every client sends are answered from a table the full negotiation filled: only those, each
    /// with the full negotiation's answer, for the configured versions (another version is still refused).
    func testTheUsualAcceptSpellingsAreAnsweredAsTheFullNegotiationDoes() throws {
        XCTAssertEqual(
            n.usualAccepts,
            [
                "application/protobuf; version=1.0": .protobuf, "application/protobuf;version=1.0": .protobuf,
                "application/json; version=1.0": .json, "application/json;version=1.0": .json,
            ])
        // the table's keys and spellings near them (case, spaces, another separator, a canonically equivalent
        // Unicode spelling: U+037E is `;` to Swift's string equality, not to the parser)
        for accept in n.usualAccepts.keys.sorted() + [
            "application/protobuf\u{37E} version=1.0", "application/json\u{37E}version=1.0",
            "Application/Protobuf; version=1.0", " application/json; version=1.0", "application/protobuf; version=1.0 ",
            "application/protobuf, version=1.0", "application/protobuf; version=1.0; q=0", "application/protobuf",
        ] {
            XCTAssertEqual(
                String(describing: n.downloadFormat(accept: accept)), String(describing: n.negotiate(accept: accept)),
                accept)
        }
        XCTAssertEqual(try n.downloadFormat(accept: "Application/Protobuf; version=1.0").get(), .protobuf)
        guard case .failure = n.downloadFormat(accept: "application/protobuf\u{37E} version=1.0") else {
            return XCTFail("U+037E is no parameter separator")
        }
        let v2 = ContentNegotiator(protobufVersion: .init(major: 2, minor: 0))
        XCTAssertEqual(try v2.downloadFormat(accept: "application/protobuf; version=2.0").get(), .protobuf)
        guard case .failure(let old) = v2.downloadFormat(accept: "application/protobuf; version=1.0") else {
            return XCTFail("1.0 is not the configured protobuf version")
        }
        XCTAssertEqual(old.message, "Protocol version is not compatible!")
        XCTAssertNil(v2.usualAccepts["application/protobuf; version=1.0"])
    }

    func testAuditAccept() {
        XCTAssertNil(n.acceptsJSON(accept: nil))
        XCTAssertNil(n.acceptsJSON(accept: "application/json"))
        XCTAssertNil(n.acceptsJSON(accept: "text/plain, */*"))
        XCTAssertEqual(n.acceptsJSON(accept: "application/protobuf")?.status, 406)
    }
}
