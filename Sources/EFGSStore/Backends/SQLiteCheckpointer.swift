// SPDX-License-Identifier: EUPL-1.2

import Logging
import NIOCore
import NIOPosix
import SQLiteNIO

/// Copies SQLite's write-ahead log back into the database file on a connection and a thread of its own, so that an
/// upload's commit only appends to the WAL and never runs a checkpoint (https://sqlite.org/wal.html#ckpt).
///
/// The serving connection wakes it after each commit (``committed()``). It then asks how many WAL pages are not yet
/// copied (`PRAGMA wal_checkpoint(NOOP)`: `log` pages in the WAL, `checkpointed` of them copied) and, from
/// `pagesPerCheckpoint` on (``defaultPagesPerCheckpoint``), runs a `PASSIVE` checkpoint. A passive checkpoint takes
/// only the checkpoint lock, never the writer's: commits go on meanwhile, their pages appended after the ones being
/// copied. Checkpoints stay rare, so a page that many uploads change (a leaf of the dedup index) is copied once for
/// all of them.
///
/// The WAL starts again from its beginning only when a writer begins a transaction after a checkpoint copied every
/// page. Under uploads without pause, each checkpoint leaves the pages committed while it ran, and the WAL would only
/// grow; so once it holds `pagesBeforeHoldingWriters` (``defaultPagesBeforeHoldingWriters``), a second pass copies
/// the pages committed during the first one while holding the serving connection's gate (a short wait for the
/// uploads, not a whole checkpoint), and the next upload restarts the WAL. The serving connection's own
/// `wal_autocheckpoint` is the safety net, should this one fail (``SQLiteBackend/pragmas(cacheMegabytes:)``).
final class SQLiteCheckpointer: Sendable {
    /// WAL pages not yet copied that start a checkpoint: 16384 (64 MiB at 4 KiB pages), the mark at which the
    /// serving connection's commits checkpointed before.
    static let defaultPagesPerCheckpoint = 16384
    /// WAL pages from which a second pass holds the serving connection's gate (128 MiB at 4 KiB pages).
    static let defaultPagesBeforeHoldingWriters = 32768

    private let connection: SQLiteConnection
    private let threadPool: NIOThreadPool
    private let wake: AsyncStream<Void>.Continuation
    private let loop: Task<Void, Never>

    /// Opens a second connection to the database file at `path` on a thread of its own and starts waiting for
    /// commits; `gate` is the serving connection's.
    static func start(
        path: String, gate: AsyncSerialGate, pagesPerCheckpoint: Int = defaultPagesPerCheckpoint,
        pagesBeforeHoldingWriters: Int = defaultPagesBeforeHoldingWriters, logger: Logger
    ) async throws -> SQLiteCheckpointer {
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(
                storage: .file(path: path), threadPool: threadPool, logger: logger,
                on: MultiThreadedEventLoopGroup.singleton.any())
            // a checkpoint syncs the database file before it lets the WAL restart; never wait on the writer
            for pragma in ["PRAGMA synchronous=FULL", "PRAGMA busy_timeout=0"] {
                _ = try await connection.query(pragma)
            }
        } catch {
            try? await threadPool.shutdownGracefully()
            throw error
        }
        return SQLiteCheckpointer(
            connection: connection, threadPool: threadPool, gate: gate, pagesPerCheckpoint: pagesPerCheckpoint,
            pagesBeforeHoldingWriters: pagesBeforeHoldingWriters, logger: logger)
    }

    private init(
        connection: SQLiteConnection, threadPool: NIOThreadPool, gate: AsyncSerialGate, pagesPerCheckpoint: Int,
        pagesBeforeHoldingWriters: Int, logger: Logger
    ) {
        self.connection = connection
        self.threadPool = threadPool
        let (commits, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.wake = wake
        self.loop = Task {
            for await _ in commits {
                do {
                    let wal = try await Self.checkpoint("NOOP", on: connection)
                    guard wal.log - wal.checkpointed >= pagesPerCheckpoint else { continue }
                    _ = try await Self.checkpoint("PASSIVE", on: connection)
                    let rest = try await Self.checkpoint("NOOP", on: connection)
                    if rest.checkpointed < rest.log, rest.log >= pagesBeforeHoldingWriters {
                        // only the pages committed during the first pass: a short wait for the uploads
                        _ = try await gate.run { try await Self.checkpoint("PASSIVE", on: connection) }
                    }
                } catch {
                    logger.warning(
                        "background checkpoint failed (commits checkpoint the WAL themselves from 1 GiB): \(error)")
                }
            }
        }
    }

    /// Called after each commit of the serving connection: wakes the checkpointer without waiting for it.
    func committed() {
        wake.yield()
    }

    /// Stops waiting for commits, lets a checkpoint in progress finish and closes the connection and its thread.
    func close() async throws {
        wake.finish()
        await loop.value
        try await connection.close()
        try await threadPool.shutdownGracefully()
    }

    /// `PRAGMA wal_checkpoint(mode)`: the pages in the WAL and how many of them are copied into the database file.
    static func checkpoint(_ mode: String, on connection: SQLiteConnection) async throws -> (
        log: Int, checkpointed: Int
    ) {
        let row = try await connection.query("PRAGMA wal_checkpoint(\(mode))").first
        return (Int(row?.column("log")?.integer ?? 0), Int(row?.column("checkpointed")?.integer ?? 0))
    }
}
