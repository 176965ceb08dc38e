// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import Foundation
import XCTest

/// The JSON bodies of the wire contract (PROTOCOL.md §5): exact bytes out, the same values back in.
final class APIBodyTests: XCTestCase {
    func testErrorBodyBytes() {
        let body = ErrorBody(message: "BatchTag already exists.")
        XCTAssertEqual(String(decoding: body.encoded(), as: UTF8.self), #"{"message":"BatchTag already exists."}"#)
        XCTAssertEqual(ErrorBody.decode(body.encoded()), body)
        XCTAssertNil(ErrorBody.decode(Array("[]".utf8)))
    }

    func testQuotingEscapesQuotesBackslashesAndControlCharacters() {
        XCTAssertEqual(JSONText.quoted("a\"b\\c\n\r\t\u{08}\u{0C}\u{01}\u{1F}é"), #""a\"b\\c\n\r\t\b\f\u0001\u001fé""#)
        let text = "x\u{00}y\"z"
        let decoded = try? JSONDecoder().decode(String.self, from: Data(JSONText.quoted(text).utf8))
        XCTAssertEqual(decoded, text)
    }

    func testMultiStatusBytesAndPositions() {
        let status = UploadMultiStatus(keyCount: 5, conflicts: [3, 0])
        XCTAssertEqual(status.fresh, [1, 2, 4])
        XCTAssertEqual(status.conflicts, [0, 3])
        XCTAssertEqual(String(decoding: status.encoded(), as: UTF8.self), #"{"500":[],"201":[1,2,4],"409":[0,3]}"#)
        XCTAssertEqual(UploadMultiStatus.decode(status.encoded()), status)
    }

    func testAuditEntryMembersInSpecOrderAndRoundTrip() throws {
        let entry = AuditEntry(
            country: "DE", uploadedTime: "2024-01-02T03:04:05.678Z", uploaderCertificate: "-----BEGIN\n",
            uploaderThumbprint: "ab", uploaderOperatorSignature: "sig1", signingCertificate: "pem2",
            uploaderSigningThumbprint: "cd", signingCertificateOperatorSignature: "sig2", amount: 3,
            batchSignature: "MIA=")
        XCTAssertEqual(
            String(decoding: AuditEntry.encoded([entry]), as: UTF8.self),
            #"[{"country":"DE","uploadedTime":"2024-01-02T03:04:05.678Z","uploaderCertificate":"-----BEGIN\n","#
                + #""uploaderThumbprint":"ab","uploaderOperatorSignature":"sig1","signingCertificate":"pem2","#
                + #""uploaderSigningThumbprint":"cd","signingCertificateOperatorSignature":"sig2","amount":3,"#
                + #""batchSignature":"MIA="}]"#)
        XCTAssertEqual(try AuditEntry.decodeList(AuditEntry.encoded([entry, entry])), [entry, entry])
        XCTAssertEqual(String(decoding: AuditEntry.encoded([]), as: UTF8.self), "[]")
    }

    func testCallbackSubscriptionListRoundTrip() throws {
        let entries = [CallbackSubscriptionEntry(callbackId: "cb-1", url: "https://example.eu/cb")]
        XCTAssertEqual(
            String(decoding: CallbackSubscriptionEntry.encoded(entries), as: UTF8.self),
            #"[{"callbackId":"cb-1","url":"https://example.eu/cb"}]"#)
        XCTAssertEqual(try CallbackSubscriptionEntry.decodeList(CallbackSubscriptionEntry.encoded(entries)), entries)
    }

    func testRequestMediaTypesAndBodies() throws {
        XCTAssertEqual(WireFormat.protobuf.requestContentType(), "application/protobuf; version=1.0")
        XCTAssertEqual(WireFormat.json.acceptHeader(), "application/json; version=1.0")
        var key = DiagnosisKey()
        key.keyData = Data(repeating: 1, count: 16)
        key.rollingStartIntervalNumber = 2_700_000
        key.rollingPeriod = 144
        key.origin = "DE"
        for format in [WireFormat.protobuf, .json] {
            XCTAssertEqual(try format.decodeKeys(format.encodeKeys([key])), [key], format.rawValue)
        }
    }
}
