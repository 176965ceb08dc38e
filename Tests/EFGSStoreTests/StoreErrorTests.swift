// SPDX-License-Identifier: EUPL-1.2

import EFGSStore
import EFGSTestSupport
import XCTest

/// ``StoreError``: a stable code and a reason.
final class StoreErrorTests: XCTestCase {
    func testCodesAndDescription() {
        let error = StoreError.corrupt("certificates.type holds an unknown value 'X'")
        XCTAssertEqual(error.code, .corrupt)
        XCTAssertNotEqual(error.code, .conflict)
        XCTAssertEqual(error.reason, "certificates.type holds an unknown value 'X'")
        XCTAssertEqual(error.description, "StoreError.corrupt: certificates.type holds an unknown value 'X'")
        XCTAssertEqual(StoreError.unsupported("u").code, .unsupported)
        XCTAssertEqual(StoreError.conflict("c").code.description, "conflict")
        XCTAssertEqual(StoreError.conflict("c"), StoreError.conflict("c"))
    }

    func testAURLWithoutAFileIsUnsupported() async throws {
        do {
            let store = try await SQLGatewayStore.open(url: "sqlite:", logger: .init(label: "test"))
            try await store.close()
            XCTFail("opened a store without a file")
        } catch let error as StoreError {
            XCTAssertEqual(error.code, .unsupported)
        }
    }

    func testResetSchemaIsForPostgreSQLOnly() async throws {
        let store = try await SQLGatewayStore.open(url: "sqlite::memory:", logger: .init(label: "test"))
        do {
            try await store.resetSchema()
            XCTFail("reset an SQLite schema")
        } catch let error as StoreError {
            XCTAssertEqual(error.code, .unsupported)
        }
        try await store.close()
    }
}
