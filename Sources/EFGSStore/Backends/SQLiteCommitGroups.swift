// SPDX-License-Identifier: EUPL-1.2

import SQLKit
import Synchronization

/// The transactions waiting for SQLite's writing connection that may share one commit
/// (``SQLiteBackend/transactionSharingCommit(_:)``): concurrent uploads in one transaction, each after the first in a
/// savepoint of its own, committed together (issue 14, part 3: an upload's commit writes every page of the dedup-MAC index its
/// 5000 random keys dirtied, and syncs; uploads committed together write a page they share once, and sync once).
///
/// One task at a time leads: it takes the writing connection, runs the waiting members one after the other — also
/// those that come while it runs, up to ``maximumMembersPerCommit`` — commits, and only then answers each of them.
/// A member whose body throws is rolled back to its savepoint and gets its own error; the others go on (the first,
/// which needs no savepoint, rolls back the transaction, which holds nothing else, and its successors get a new one).
/// A failed commit (or a failed savepoint statement) rolls back the whole transaction and every member of it gets the
/// error: none is answered as stored unless its rows are committed.
final class SQLiteCommitGroups: Sendable {
    /// One caller's transaction body, type-erased.
    struct Member: Sendable {
        /// Runs the body on the connection (after the transaction's first member, inside a savepoint); false when it
        /// threw.
        let run: @Sendable (any SQLDatabase) async -> Bool
        /// Answers the caller: `nil` once the transaction holding the member's work is committed (or the body
        /// failed: its own error), else the error that ended the transaction.
        let finish: @Sendable ((any Error)?) -> Void
    }

    /// At most this many members share a commit, so that the first of a long queue is not held for all of it: each
    /// member's body (a 5000-key upload's inserts: about 20 ms) delays the answers of the members before it.
    static let maximumMembersPerCommit = 4

    /// The first member of a transaction threw: the transaction rolls back whole, and the member gets its own
    /// error (``CommitGroupOutcome/answer(transactionError:)``).
    struct FirstMemberFailed: Error {}

    private struct State {
        var waiting: [Member] = []
        var leading = false
    }
    private let state = Mutex(State())
    private let counts = Mutex(SharedCommits(transactions: 0, commits: 0))

    init() {}

    /// The members and the transactions committed so far.
    var committed: SharedCommits { counts.withLock { $0 } }

    /// Counts a commit of `members` members.
    func countCommit(of members: Int) {
        counts.withLock {
            $0.transactions += members
            $0.commits += 1
        }
    }

    /// Queues `member`; true when the caller must start a leader (none is running).
    func enqueue(_ member: Member) -> Bool {
        state.withLock { s in
            s.waiting.append(member)
            if s.leading { return false }
            s.leading = true
            return true
        }
    }

    /// The next waiting member, or nil.
    func next() -> Member? {
        state.withLock { s in s.waiting.isEmpty ? nil : s.waiting.removeFirst() }
    }

    /// Whether the leader must lead another transaction: true while members wait; otherwise it stops leading (under
    /// the same lock, so a member queued meanwhile starts a new leader).
    func continueLeading() -> Bool {
        state.withLock { s in
            if s.waiting.isEmpty { s.leading = false }
            return s.leading
        }
    }
}

/// The result of one member's body, set by its run and read by its finish.
final class CommitGroupOutcome<T: Sendable>: Sendable {
    private let result = Mutex<Result<T, any Error>?>(nil)

    func set(_ value: Result<T, any Error>) {
        result.withLock { $0 = value }
    }

    /// The caller's answer once its transaction ended with `transactionError` (nil: committed): the body's own error
    /// when it threw, else the transaction's error, else the body's value.
    func answer(transactionError: (any Error)?) -> Result<T, any Error> {
        switch (result.withLock { $0 }, transactionError) {
        case (.failure(let error)?, _): .failure(error)
        case (_, let error?): .failure(error)
        case (.success(let value)?, nil): .success(value)
        case (nil, nil): .failure(StoreError.conflict("a transaction sharing its commit ended before it ran"))
        }
    }
}

/// The members of one leader's transaction, collected while it runs.
final class MembersOfCommit: Sendable {
    private let members: Mutex<[SQLiteCommitGroups.Member]>

    init(_ first: SQLiteCommitGroups.Member) {
        members = Mutex([first])
    }

    var count: Int { members.withLock { $0.count } }

    /// Adds `member`, and gives it back.
    func append(_ member: SQLiteCommitGroups.Member) -> SQLiteCommitGroups.Member {
        members.withLock { $0.append(member) }
        return member
    }

    /// Answers every member: `error` nil once their transaction is committed.
    func finish(_ error: (any Error)?) {
        for member in members.withLock({ $0 }) { member.finish(error) }
    }
}
