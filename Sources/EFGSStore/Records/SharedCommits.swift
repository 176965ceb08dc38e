// SPDX-License-Identifier: EUPL-1.2

/// How many transactions of ``SQLBackend/transactionSharingCommit(_:)`` were committed, in how many commits.
public struct SharedCommits: Sendable, Equatable {
    /// Transactions committed (a member rolled back to its savepoint counts too: its commit answered it).
    public var transactions: Int
    /// Commits that answered them.
    public var commits: Int

    /// `transactions` in `commits` commits.
    public init(transactions: Int, commits: Int) {
        self.transactions = transactions
        self.commits = commits
    }

    /// Transactions per commit; 0 before the first commit.
    public var transactionsPerCommit: Double { commits == 0 ? 0 : Double(transactions) / Double(commits) }
}
