// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSStore
import Synchronization

/// The rows that passed the integrity check of PROTOCOL.md §7.6 in this process, by their checked content.
///
/// The check is a pure function of the row's thumbprint, country, PEM and operator signature and of the configured
/// trust anchors (fixed for the life of a process), so a row that passed once passes again: it is parsed and its
/// operator signature verified once per process, not on every request. The row itself is still read from the
/// store on every lookup, so a revocation, a deletion or a re-signed row takes effect on the very next request on
/// every instance (`revoked` is not part of the checked content, and changed content is a different key). Only
/// passing rows are kept; a failing row is checked (and logged) every time. At most ``capacity`` rows are kept;
/// when full, the cache starts again empty.
final class IntegrityVerdicts: Sendable {
    /// The most rows kept.
    let capacity: Int
    let passed = Mutex([CertificateRowContent: CertificateFacts]())

    /// A cache of at most `capacity` rows.
    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    /// The certificate of `row` when its content passed the check before; nil when it was never checked here.
    func facts(of row: CertificateRow) -> CertificateFacts? {
        passed.withLock { $0[row.checkedContent] }
    }

    /// Remembers that `row` passed the check with certificate `facts`.
    func remember(_ row: CertificateRow, facts: CertificateFacts) {
        passed.withLock { passed in
            if passed.count >= capacity { passed.removeAll() }
            passed[row.checkedContent] = facts
        }
    }
}
