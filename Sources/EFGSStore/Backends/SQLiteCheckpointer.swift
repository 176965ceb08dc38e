// SPDX-License-Identifier: EUPL-1.2

import Logging
import NIOCore
import NIOPosix
import SQLiteNIO

/// Copies SQLite's write-ahead log back into the database file on a connection and a thread of its own, so that an
/// upload's commit only appends to the WAL and never runs a checkpoint (https://sqlite.org/wal.html#ckpt).
///
/// The serving connection wakes it after each commit (``committed()``; at most one round per
/// ``defaultPauseBetweenRounds``). It then asks how many WAL pages are not yet copied (`PRAGMA
/// wal_checkpoint(NOOP)`: `log` pages in the WAL, `checkpointed` of them copied) and, from `pagesPerCheckpoint` on
/// (``defaultPagesPerCheckpoint``), runs a `PASSIVE` checkpoint. A passive checkpoint takes only the checkpoint
/// lock, never the writer's: commits go on meanwhile, their pages appended after the ones being copied. Checkpoints
/// stay rare, so a page that many uploads change (a leaf of the dedup index) is copied once for all of them.
///
/// The WAL starts again from its beginning only at a writer whose transaction *began* after a checkpoint had copied
/// every page, and only when no other connection reads from the WAL (a read begun once every page is copied reads the
/// database file and does not count). Under uploads without pause the first does not hold by itself: a pass leaves
/// the pages committed while it ran, and when it copies everything, the next upload has mostly begun already (it
/// starts as soon as the commit that woke the checkpointer returns) — the WAL would only grow. So further passes
/// follow while each leaves much behind (as long as the WAL holds fewer than `pagesBeforeHoldingWriters`,
/// ``defaultPagesBeforeHoldingWriters``), and a round ends with a `RESTART` checkpoint holding the gates of the
/// serving connections (writing and reading) — uploads and reads wait for that pass only — once every page is copied
/// (it then copies only what was committed since the last pass, mostly one upload) or once the WAL holds
/// `pagesBeforeHoldingWriters` (it then copies all that is left, a longer wait that bounds the WAL). The next upload
/// restarts the WAL. The serving connection's own `wal_autocheckpoint` is the safety net, should this one fail
/// (``SQLiteBackend/pragmas(cacheMegabytes:)``).
final class SQLiteCheckpointer: Sendable {
    /// WAL pages not yet copied that start a checkpoint: 16384 (64 MiB at 4 KiB pages), the mark at which the
    /// serving connection's commits checkpointed before.
    static let defaultPagesPerCheckpoint = 16384
    /// WAL pages from which the last pass of a round holds the serving connection's gate (128 MiB at 4 KiB pages).
    static let defaultPagesBeforeHoldingWriters = 32768
    /// The shortest time from the end of one round to the start of the next: the commits meanwhile wake it once.
    /// Downloads commit their statistics in small groups, hundreds of commits a second, and a round per commit
    /// (its `NOOP` query, two thread hops) cost about 15 % of their throughput (`efgs benchmark --http-load`); in
    /// 100 ms even a fast writer adds far fewer pages than the marks.
    static let defaultPauseBetweenRounds = Duration.milliseconds(100)

    private let connection: SQLiteConnection
    private let threadPool: NIOThreadPool
    private let wake: AsyncStream<Void>.Continuation
    private let loop: Task<Void, Never>

    /// Opens a second connection to the database file at `path` on a thread of its own and starts waiting for
    /// commits; `gate` is the serving connection's, `readerGate` its reading connection's.
    static func start(
        path: String, gate: AsyncSerialGate, readerGate: AsyncSerialGate?,
        pagesPerCheckpoint: Int = defaultPagesPerCheckpoint,
        pagesBeforeHoldingWriters: Int = defaultPagesBeforeHoldingWriters,
        pauseBetweenRounds: Duration = defaultPauseBetweenRounds, logger: Logger
    ) async throws -> SQLiteCheckpointer {
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        var opened: SQLiteConnection?
        do {
            let connection = try await SQLiteConnection.open(
                storage: .file(path: path), threadPool: threadPool, logger: logger,
                on: MultiThreadedEventLoopGroup.singleton.any())
            opened = connection
            // a checkpoint syncs the database file before it lets the WAL restart; never wait on the writer
            for pragma in ["PRAGMA synchronous=FULL", "PRAGMA busy_timeout=0"] {
                _ = try await connection.query(pragma)
            }
        } catch {
            try? await opened?.close()
            try? await threadPool.shutdownGracefully()
            throw error
        }
        guard let connection = opened else { preconditionFailure("opened above") }
        return SQLiteCheckpointer(
            connection: connection, threadPool: threadPool, gate: gate, readerGate: readerGate,
            pagesPerCheckpoint: pagesPerCheckpoint,
            pagesBeforeHoldingWriters: pagesBeforeHoldingWriters, pauseBetweenRounds: pauseBetweenRounds,
            logger: logger)
    }

    private init(
        connection: SQLiteConnection, threadPool: NIOThreadPool, gate: AsyncSerialGate, readerGate: AsyncSerialGate?,
        pagesPerCheckpoint: Int,
        pagesBeforeHoldingWriters: Int, pauseBetweenRounds: Duration, logger: Logger
    ) {
        self.connection = connection
        self.threadPool = threadPool
        let (commits, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.wake = wake
        self.loop = Task {
            var failing = false
            for await _ in commits {
                if Task.isCancelled { break }
                do {
                    try await Self.copyBack(
                        on: connection, gate: gate, readerGate: readerGate, pagesPerCheckpoint: pagesPerCheckpoint,
                        pagesBeforeHoldingWriters: pagesBeforeHoldingWriters)
                    failing = false
                } catch {
                    if Task.isCancelled { break }  // closing: SQLiteNIO refuses a query of a cancelled task
                    // one line until a checkpoint succeeds again, not one per commit
                    if !failing {
                        logger.warning(
                            "background checkpoint failed (commits checkpoint the WAL themselves from 1 GiB): \(error)")
                    }
                    failing = true
                }
                do { try await Task.sleep(for: pauseBetweenRounds) } catch { break }  // cancelled: closing
            }
        }
    }

    /// One round after a commit: nothing under `pagesPerCheckpoint` new pages; otherwise passes without the gate, as
    /// long as each leaves more than an eighth of that behind (the pages committed while it ran), the WAL holds
    /// fewer than `pagesBeforeHoldingWriters` and at most three; then, if every page is copied or the WAL holds
    /// `pagesBeforeHoldingWriters`, a `RESTART` pass holding the gate, after which the next writer restarts the WAL.
    /// It holds `readerGate` as well: a read that began before the WAL was copied keeps the WAL from restarting (and
    /// the pass waits for no reader), so the pass holds off the serving reads for its short time too.
    static func copyBack(
        on connection: SQLiteConnection, gate: AsyncSerialGate, readerGate: AsyncSerialGate? = nil,
        pagesPerCheckpoint: Int, pagesBeforeHoldingWriters: Int
    ) async throws {
        var wal = try await checkpoint("NOOP", on: connection)
        guard wal.log - wal.checkpointed >= pagesPerCheckpoint else { return }
        var passes = 0
        repeat {
            _ = try await checkpoint("PASSIVE", on: connection)
            wal = try await checkpoint("NOOP", on: connection)
            passes += 1
        } while wal.log - wal.checkpointed > pagesPerCheckpoint / 8 && wal.log < pagesBeforeHoldingWriters
            && passes < 3 && !Task.isCancelled
        if wal.checkpointed == wal.log || wal.log >= pagesBeforeHoldingWriters, !Task.isCancelled {
            // RESTART: takes the write lock (free: the gate is held), copies what is left and checks that no reader
            // uses the WAL. With busy_timeout=0 it never waits: another process reading or writing leaves it partial,
            // answered `busy=1`, not an error
            _ = try await gate.run {
                guard let readerGate else { return try await checkpoint("RESTART", on: connection) }
                return try await readerGate.run { try await checkpoint("RESTART", on: connection) }
            }
        }
    }

    /// Called after each commit of the serving connection: wakes the checkpointer without waiting for it.
    func committed() {
        wake.yield()
    }

    /// Stops waiting for commits, lets a checkpoint in progress finish (without starting another: the serving
    /// connection's close copies what is left) and closes the connection and its thread.
    func close() async throws {
        wake.finish()
        loop.cancel()
        await loop.value
        var failure: (any Error)?
        do { try await connection.close() } catch { failure = error }
        try await threadPool.shutdownGracefully()
        if let failure { throw failure }
    }

    /// `PRAGMA wal_checkpoint(mode)`: the pages in the WAL and how many of them are copied into the database file.
    static func checkpoint(_ mode: String, on connection: SQLiteConnection) async throws -> (
        log: Int, checkpointed: Int
    ) {
        let row = try await connection.query("PRAGMA wal_checkpoint(\(mode))").first
        return (Int(row?.column("log")?.integer ?? 0), Int(row?.column("checkpointed")?.integer ?? 0))
    }
}
