// SPDX-License-Identifier: EUPL-1.2

import XCTest

/// `XCTAssertEqual` for a value produced by an `async` expression.
public func assertEq<T: Equatable>(
    _ a: @autoclosure () async throws -> T, _ b: @autoclosure () -> T, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) async rethrows {
    let value = try await a()
    XCTAssertEqual(value, b(), message, file: file, line: line)
}
