// SPDX-License-Identifier: EUPL-1.2

/// How many rows (of a multi-row `INSERT`) or values (of an `IN (…)` list) one SQL statement may carry, so that
/// every statement's bind parameters stay under the limit of every backend: PostgreSQL counts them in a 16-bit
/// field (at most 65 535), SQLite refuses more than `SQLITE_MAX_VARIABLE_NUMBER` (32 766 in builds since 3.32).
/// Every statement of the store that binds a variable number of parameters splits its rows with
/// ``Swift/RandomAccessCollection/statementChunks(bindsPerRow:fixedBinds:)``.
enum StatementChunks {
    /// The smallest bind-parameter limit of the backends (SQLite's).
    static let maxBindsPerStatement = 32_766
    /// Rows per statement at most, whatever their binds (measured: fewer, larger statements are faster up to here).
    static let maxRowsPerStatement = 5000

    /// Rows per statement when each row binds `bindsPerRow` parameters and the statement `fixedBinds` more.
    static func rowsPerStatement(bindsPerRow: Int, fixedBinds: Int = 0) -> Int {
        precondition(bindsPerRow > 0 && fixedBinds >= 0 && fixedBinds + bindsPerRow <= maxBindsPerStatement)
        return min(maxRowsPerStatement, (maxBindsPerStatement - fixedBinds) / bindsPerRow)
    }
}

extension RandomAccessCollection {
    /// This collection in consecutive slices, each small enough for one statement that binds `bindsPerRow`
    /// parameters per element plus `fixedBinds` of its own (``StatementChunks``); no slice when it is empty.
    func statementChunks(bindsPerRow: Int, fixedBinds: Int = 0) -> [SubSequence] {
        let size = StatementChunks.rowsPerStatement(bindsPerRow: bindsPerRow, fixedBinds: fixedBinds)
        var chunks: [SubSequence] = []
        var start = startIndex
        while start != endIndex {
            let end = index(start, offsetBy: size, limitedBy: endIndex) ?? endIndex
            chunks.append(self[start..<end])
            start = end
        }
        return chunks
    }
}
