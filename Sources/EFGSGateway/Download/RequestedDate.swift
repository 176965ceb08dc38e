// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol

/// The `{date}` of a download or audit request (PROTOCOL.md §5.4, §5.5): `yyyy-MM-dd`, not older than
/// `download.maxAgeDays` before today (UTC).
struct RequestedDate {
    let maxAgeDays: Int

    /// The requested day, or 400 for another format, or 410 for a day that is too old (logged by class
    /// DownloadController).
    func day(_ text: String, today: UTCDay) throws -> UTCDay {
        guard let day = UTCDay(iso: text) else { throw APIError(400, "Invalid date format, expected yyyy-MM-dd") }
        if day < today.adding(days: -Int64(maxAgeDays)) {
            throw APIError(
                410, "Requested date is too old!",
                event: .init("DownloadController", .info, "Requested date is too old", [("requestedDate", text)]))
        }
        return day
    }
}
