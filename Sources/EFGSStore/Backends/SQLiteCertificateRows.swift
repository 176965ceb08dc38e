// SPDX-License-Identifier: EUPL-1.2

import Synchronization
import VaporCSQLite

/// The certificate rows of a thumbprint and type (``CertificateStore/certificatesNow(thumbprint:type:)``), read on the
/// calling thread through a connection of their own to the SQLite file and one prepared statement — the lookup every
/// authenticated request makes (PROTOCOL.md §4.4, §7.6).
///
/// Why not SQLiteNIO, which serves every other read: it runs each statement on its thread pool, so a read costs a
/// hand-over to a pool thread and a resumption back, and prepares the statement again each time. On two cores under
/// load those hand-overs, not SQLite, were most of an authenticated request's wait (`efgs benchmark --http-load`:
/// a round of the shared row read took about 116 µs; the statement itself takes a few). Here a read is a bind, a few
/// steps and a reset on the thread that asks: microseconds, on a table of a few hundred rows.
///
/// What it keeps: each read is a statement of its own in autocommit, so it begins a read transaction after the caller
/// asked and sees every commit made before (a revocation counts from the next request, as before); the reset ends
/// that transaction at once, so a read under way when ``SQLiteCheckpointer`` restarts the WAL holds that back for
/// microseconds at most (the checkpointer's `RESTART` then answers busy, and the next round restarts it). What it
/// never does: wait. The connections have no busy timeout and each is used by one thread at a time; a caller that
/// finds them all in use, or a read that fails (busy, the table not created yet, the backend closed), gets nil and
/// reads the usual way, which waits, retries and reports errors as every other read does.
final class SQLiteCertificateRows: Sendable {
    /// One connection and its prepared statement (nil until the first read that could prepare it), each used by one
    /// thread at a time; empty after ``close()``.
    final class Connection: Sendable {
        struct Handles {
            var connection: OpaquePointer?
            var statement: OpaquePointer?
        }
        let handles: Mutex<Handles>

        init(_ connection: sending OpaquePointer) {
            handles = Mutex(Handles(connection: connection))
        }
    }

    /// As many connections as threads that may ask at once (a caller takes the first not in use).
    private let connections: [Connection]

    static let query = """
        SELECT id, created_at, thumbprint, country, type, revoked, host, pem, operator_signature
        FROM certificates WHERE thumbprint = ?1 AND type = ?2 ORDER BY id
        """

    /// `count` reading connections to the SQLite file at `path` (in WAL mode already), `query_only`, with a small
    /// page cache and no busy timeout; nil when one cannot be opened (every lookup then reads the usual way).
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

    /// The rows of `thumbprint` and `type` by id, read now on this thread; nil when not read here (every connection
    /// is in use by another thread, or the read failed): the caller then reads the usual way.
    func rows(thumbprint: String, type: String) -> [CertificateRow]? {
        for connection in connections {
            if let answer = connection.handles.withLockIfAvailable({ Self.read(thumbprint, type, &$0) }) {
                return answer
            }
        }
        return nil
    }

    /// A read on one connection.
    private static func read(
        _ thumbprint: String, _ type: String, _ handles: inout Connection.Handles
    ) -> [CertificateRow]? {
        guard let connection = handles.connection else { return nil }
        if handles.statement == nil {
            var statement: OpaquePointer?
            guard sqlite_nio_sqlite3_prepare_v2(connection, query, -1, &statement, nil) == SQLITE_OK else {
                sqlite_nio_sqlite3_finalize(statement)
                return nil
            }
            handles.statement = statement
        }
        guard let statement = handles.statement else { return nil }
        defer {
            // ends the read transaction, and lets the next read bind afresh
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        guard sqlite_nio_sqlite3_bind_text(statement, 1, thumbprint, -1, transient) == SQLITE_OK,
            sqlite_nio_sqlite3_bind_text(statement, 2, type, -1, transient) == SQLITE_OK
        else { return nil }
        var rows: [CertificateRow] = []
        while true {
            switch sqlite_nio_sqlite3_step(statement) {
            case SQLITE_ROW:
                guard let row = row(statement) else { return nil }
                rows.append(row)
            case SQLITE_DONE:
                return rows
            default:
                return nil
            }
        }
    }

    /// The row at the statement's cursor; nil when a column is not what the table stores (the usual read then
    /// reports it as ``StoreError/corrupt(_:)``).
    private static func row(_ statement: OpaquePointer) -> CertificateRow? {
        func text(_ column: Int32) -> String? {
            guard let bytes = sqlite_nio_sqlite3_column_text(statement, column) else { return nil }
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
        }
        func integer(_ column: Int32) -> Int64? {
            sqlite_nio_sqlite3_column_type(statement, column) == SQLITE_INTEGER
                ? sqlite_nio_sqlite3_column_int64(statement, column) : nil
        }
        guard let id = integer(0), let createdAt = integer(1), let thumbprint = text(2), let country = text(3),
            let type = text(4).flatMap(CertificateType.init(rawValue:)), let revoked = integer(5),
            let pem = text(7), let operatorSignature = text(8)
        else { return nil }
        let host: String?
        if sqlite_nio_sqlite3_column_type(statement, 6) == SQLITE_NULL {
            host = nil
        } else {
            guard let value = text(6) else { return nil }
            host = value
        }
        return CertificateRow(
            id: id, createdAt: createdAt, thumbprint: thumbprint, country: country, type: type, revoked: revoked != 0,
            host: host, pem: pem, operatorSignature: operatorSignature)
    }

    /// Finalizes the statements and closes the connections (waiting for reads under way); later reads answer nil.
    func close() {
        for connection in connections { connection.close() }
    }
}

extension SQLiteCertificateRows.Connection {
    func close() {
        handles.withLock { handles in
            sqlite_nio_sqlite3_finalize(handles.statement)
            sqlite_nio_sqlite3_close_v2(handles.connection)
            handles = Handles()
        }
    }
}
