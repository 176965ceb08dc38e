// SPDX-License-Identifier: EUPL-1.2

import SQLKit

extension SQLRow {
    /// The text column `column` of a `table` row read as one of a closed set of values (a certificate type, a
    /// format version). A value the gateway never writes throws ``StoreError/corrupt(_:)`` instead of silently
    /// becoming a default.
    func decodeStored<Value: RawRepresentable>(
        _ type: Value.Type, column: String, table: String
    ) throws -> Value where Value.RawValue == String {
        let raw = try decode(column: column, as: String.self)
        guard let value = Value(rawValue: raw) else {
            throw StoreError.corruptValue(raw, table: table, column: column)
        }
        return value
    }
}
