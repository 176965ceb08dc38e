// SPDX-License-Identifier: EUPL-1.2

import PostgresNIO

extension PostgresBackend {
    /// `error` as ``StoreError/unavailable(_:)`` when it says the database cannot be reached now, else unchanged.
    ///
    /// Unavailable: the connection could not be made or was closed under the query (PostgresNIO's
    /// `connectionError`, `serverClosedConnection`, `clientClosedConnection` — a query given to a connection that is
    /// closing —, `uncleanShutdown`, and the COPY writer's `PostgresError.connectionClosed`), or the server refuses work because it is
    /// going down or coming up — SQLSTATE class 08 (connection exception) and 57P01–57P03 (`admin_shutdown`,
    /// `crash_shutdown`, `cannot_connect_now`; PostgreSQL, Appendix A "Error Codes"). Everything else (a constraint
    /// violation, a syntax error) stays what it is.
    static func classified(_ error: any Error) -> any Error {
        if error is StoreError { return error }
        if case .connectionClosed = error as? PostgresError {
            return StoreError.unavailable("the database connection failed (connectionClosed)")
        }
        guard let psql = error as? PSQLError else { return error }
        switch psql.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown:
            return StoreError.unavailable("the database connection failed (\(psql.code))")
        case .server:
            let state = psql.serverInfo?[.sqlState] ?? ""
            if state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state) {
                return StoreError.unavailable(
                    "the database refused work: SQLSTATE \(state) \(psql.serverInfo?[.message] ?? "")")
            }
            return error
        default:
            return error
        }
    }
}
