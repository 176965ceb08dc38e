// SPDX-License-Identifier: EUPL-1.2

import Synchronization
import VaporCSQLite

/// The rows that every request reads, read on the calling thread through connections of their own to the SQLite file
/// and statements prepared once per connection: the certificate rows of an authenticated request
/// (``SQLiteCertificateRows``, PROTOCOL.md §4.4, §7.6) and the batch row of a download (``SQLiteDownloadBatchRows``,
/// §5.4).
///
/// Why not SQLiteNIO, which serves every other read: it runs each statement on its thread pool, so a read costs a
/// hand-over to a pool thread and a resumption back, and prepares the statement again each time. On two cores under
/// load those hand-overs, not SQLite, were most of a request's wait (`efgs benchmark --http-load`: a round of the
/// shared certificate-row read took about 116 µs; the statement itself takes a few). Here a read is a bind, a few
/// steps and a reset on the thread that asks: microseconds, on a small table or by a unique index.
///
/// What it keeps: each read is a statement of its own in autocommit, so it begins a read transaction after the caller
/// asked and sees every commit made before (a revocation or a quarantine counts from the next request, as before); the
/// reset ends that transaction at once, so a read under way when ``SQLiteCheckpointer`` restarts the WAL holds that
/// back for microseconds at most (the checkpointer's `RESTART` then answers busy, and the next round restarts it).
/// What it never does: wait. The connections have no busy timeout and each is used by one thread at a time; a caller
/// that finds them all in use, or a read that fails (busy, the table not created yet, the backend closed, a column of
/// an unexpected type), gets nil and reads the usual way, which waits, retries and reports errors as every other read
/// does.
final class SQLiteReadsNow: Sendable {
    /// One connection and its prepared statements (by their SQL text, each prepared by the first read that uses it),
    /// used by one thread at a time; empty after ``close()``.
    final class Connection: Sendable {
        struct Handles {
            var connection: OpaquePointer?
            var statements: [String: OpaquePointer] = [:]
        }
        let handles: Mutex<Handles>

        init(_ connection: sending OpaquePointer) {
            handles = Mutex(Handles(connection: connection))
        }
    }

    /// As many connections as threads that may ask at once (a caller takes the first not in use).
    private let connections: [Connection]

    /// `count` reading connections to the SQLite file at `path` (in WAL mode already), `query_only`, with a small
    /// page cache and no busy timeout; nil when one cannot be opened (every read then goes the usual way).
    init?(path: String, count: Int) {
        var opened: [Connection] = []
        for _ in 0..<count {
            guard let connection = Self.open(path) else {
                for c in opened { c.close() }
                return nil
            }
            opened.append(Connection(connection))
        }
        connections = opened
    }

    private static func open(_ path: String) -> OpaquePointer? {
        var connection: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
        guard sqlite_nio_sqlite3_open_v2(path, &connection, flags, nil) == SQLITE_OK, let connection else {
            sqlite_nio_sqlite3_close_v2(connection)
            return nil
        }
        for pragma in ["PRAGMA query_only=ON", "PRAGMA busy_timeout=0", "PRAGMA cache_size=-512"] {
            guard sqlite_nio_sqlite3_exec(connection, pragma, nil, nil, nil) == SQLITE_OK else {
                sqlite_nio_sqlite3_close_v2(connection)
                return nil
            }
        }
        return connection
    }

    /// The rows of `sql` with the parameters `bind` sets, each made by `row` from the statement at that row, read now
    /// on this thread; nil when not read here (every connection is in use by another thread, a bind or a step failed,
    /// or `row` answered nil for a row): the caller then reads the usual way.
    func rows<Row: Sendable>(
        _ sql: String, bind: @Sendable (Statement) -> Bool, row: @Sendable (Statement) -> Row?
    ) -> [Row]? {
        for connection in connections {
            if let answer = connection.handles.withLockIfAvailable({ Self.read(sql, bind, row, &$0) }) {
                return answer
            }
        }
        return nil
    }

    /// A read on one connection.
    private static func read<Row: Sendable>(
        _ sql: String, _ bind: @Sendable (Statement) -> Bool, _ row: @Sendable (Statement) -> Row?,
        _ handles: inout Connection.Handles
    ) -> [Row]? {
        guard let connection = handles.connection else { return nil }
        if handles.statements[sql] == nil {
            var prepared: OpaquePointer?
            guard sqlite_nio_sqlite3_prepare_v2(connection, sql, -1, &prepared, nil) == SQLITE_OK, let prepared else {
                sqlite_nio_sqlite3_finalize(prepared)
                return nil
            }
            handles.statements[sql] = prepared
        }
        guard let handle = handles.statements[sql] else { return nil }
        defer {
            // ends the read transaction, and lets the next read bind afresh
            sqlite_nio_sqlite3_reset(handle)
            sqlite_nio_sqlite3_clear_bindings(handle)
        }
        let statement = Statement(handle: handle)
        guard bind(statement) else { return nil }
        var rows: [Row] = []
        while true {
            switch sqlite_nio_sqlite3_step(handle) {
            case SQLITE_ROW:
                guard let made = row(statement) else { return nil }
                rows.append(made)
            case SQLITE_DONE:
                return rows
            default:
                return nil
            }
        }
    }

    /// Finalizes the statements and closes the connections (waiting for reads under way); later reads answer nil.
    func close() {
        for connection in connections { connection.close() }
    }

    /// A prepared statement during one read: its parameters to bind, then the columns of its current row.
    struct Statement {
        let handle: OpaquePointer

        /// Binds `value` to parameter `index` (from 1); false when SQLite refused it.
        func bind(_ index: Int32, _ value: String) -> Bool {
            let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
            return sqlite_nio_sqlite3_bind_text(handle, index, value, -1, transient) == SQLITE_OK
        }

        /// Binds `value` to parameter `index` (from 1); false when SQLite refused it.
        func bind(_ index: Int32, _ value: Int64) -> Bool {
            sqlite_nio_sqlite3_bind_int64(handle, index, value) == SQLITE_OK
        }

        /// The text of column `column` (from 0); nil for NULL.
        func text(_ column: Int32) -> String? {
            guard let bytes = sqlite_nio_sqlite3_column_text(handle, column) else { return nil }
            let count = Int(sqlite_nio_sqlite3_column_bytes(handle, column))
            return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
        }

        /// The integer of column `column` (from 0); nil when it holds no integer.
        func integer(_ column: Int32) -> Int64? {
            sqlite_nio_sqlite3_column_type(handle, column) == SQLITE_INTEGER
                ? sqlite_nio_sqlite3_column_int64(handle, column) : nil
        }

        /// Whether column `column` (from 0) is NULL.
        func isNull(_ column: Int32) -> Bool {
            sqlite_nio_sqlite3_column_type(handle, column) == SQLITE_NULL
        }

        /// The text of column `column` (from 0), `.some(nil)` for NULL; nil when it holds neither.
        func optionalText(_ column: Int32) -> String?? {
            isNull(column) ? .some(nil) : text(column).map { .some($0) }
        }
    }
}

extension SQLiteReadsNow.Connection {
    func close() {
        handles.withLock { handles in
            for statement in handles.statements.values { sqlite_nio_sqlite3_finalize(statement) }
            sqlite_nio_sqlite3_close_v2(handles.connection)
            handles = Handles()
        }
    }
}
