// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSTestSupport
import Foundation
import XCTest

@testable import EFGSGateway
@testable import EFGSStore

/// `efgs report usage` and `efgs report retention` (``OperatorReports``).
final class OperatorReportsTests: XCTestCase {
    /// The usage totals are the event log's: one `successfull batch upload` line per upload (with its `numKeys`),
    /// one `Successful Batch Download` line per download.
    func testUsageTotalsMatchTheEventLog() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        try await assertEq(try await f.upload(f.keys(3, origin: "DE")).status, 201)
        try await assertEq(try await f.upload(f.keys(2, origin: "DE")).status, 201)
        try await assertEq(try await f.upload(f.keys(4, origin: "FR"), country: "FR").status, 201)
        _ = try await f.services.batching.run()
        for country in ["DE", "FR", "FR"] {
            let r = await f.api.handle(
                method: "GET", path: "/diagnosiskeys/download/\(UTCDay(Date()).description)",
                request: f.request("GET", country: country, headers: [("Accept", "application/json; version=1.0")]))
            XCTAssertEqual(r.status, 200)
        }
        let today = UTCDay(Date())
        let report = try await f.services.reports.usage(from: today.adding(days: -1), to: today)
        func attribute(_ name: String, _ line: String) -> String? {
            line.components(separatedBy: "\(name)=\"").dropFirst().first?.components(separatedBy: "\"").first
        }
        let uploads = f.lines.filter { $0.contains("message=\"successfull batch upload\"") }
        let downloads = f.lines.filter { $0.contains("message=\"Successful Batch Download\"") }
        for country in ["DE", "FR"] {
            let mine = uploads.filter { attribute("country", $0) == country }
            let total = try XCTUnwrap(report.totalsByCountry.first { $0.country == country })
            XCTAssertEqual(total.uploads, mine.count, country)
            XCTAssertEqual(
                total.keysUploaded, mine.compactMap { attribute("numKeys", $0).flatMap(Int.init) }.reduce(0, +))
        }
        XCTAssertEqual(report.total.downloads, downloads.count)
        XCTAssertEqual(report.total.downloads, 3)
        XCTAssertEqual(
            report.total.keysDownloaded,
            downloads.compactMap { attribute("numKeys", $0).flatMap(Int.init) }.reduce(0, +))
        XCTAssertEqual(report.total.keysDownloaded, 4 + 5 + 5, "DE gets FR's 4 keys, FR gets DE's 5 twice")
        XCTAssertEqual(report.days.map(\.country), ["DE", "FR"])
        let text = report.table.rendered(.table)
        XCTAssertTrue(text.hasPrefix("day         country  uploads  keys_uploaded  downloads  keys_downloaded\n"), text)
        XCTAssertTrue(text.hasSuffix("total: uploads 3, keys_uploaded 9, downloads 3, keys_downloaded 14\n"), text)
        XCTAssertEqual(
            report.table.rendered(.json),
            #"[{"day":"\#(today)","country":"DE","uploads":"2","keys_uploaded":"5","downloads":"1","keys_downloaded":"4"},"#
                + #"{"day":"\#(today)","country":"FR","uploads":"1","keys_uploaded":"4","downloads":"2","keys_downloaded":"10"}]"#
                + "\n")
        let fr = try await f.services.reports.usage(from: today, to: today, country: "FR")
        XCTAssertEqual(fr.days.map(\.country), ["FR"])
        do {
            _ = try await f.services.reports.usage(from: today, to: today.adding(days: -1))
            XCTFail("a reversed period is refused")
        } catch let refused as OperatorReports.RefusedPeriod {
            XCTAssertTrue(refused.description.hasPrefix("--from "), refused.description)
        }
    }

    /// The retention report says when stored keys are older than the legal limit, and what each run deleted.
    func testRetentionReportAgainstTheLegalLimit() async throws {
        let f = try await Fixture()
        addTeardownBlock { [store = f.store] in try await store.close() }
        try await assertEq(try await f.upload(f.keys(3, origin: "DE")).status, 201)
        var report = try await f.services.reports.retention()
        XCTAssertTrue(report.withinLegalLimit)
        XCTAssertEqual(report.held.keys, 3)
        XCTAssertEqual(report.oldestHeldDays, 0)
        XCTAssertTrue(report.runs.isEmpty)
        XCTAssertTrue(report.table.text.contains("no retention run recorded in the period"), report.table.text)
        // fifteen days later, before retention ran
        f.clock.set(Date().addingTimeInterval(15 * 86_400))
        report = try await f.services.reports.retention()
        XCTAssertFalse(report.withinLegalLimit)
        XCTAssertEqual(report.oldestHeldDays, 15)
        XCTAssertTrue(
            report.table.text.contains("KEYS OLDER THAN THE 14-DAY LEGAL LIMIT ARE STORED"), report.table.text)
        _ = try await f.services.keyRetention.run()
        report = try await f.services.reports.retention()
        XCTAssertTrue(report.withinLegalLimit)
        XCTAssertEqual(report.held, HeldKeys(keys: 0, uploadBatches: 0, oldestAcceptedAt: nil))
        XCTAssertEqual(report.runs.map(\.keysDeleted), [3])
        XCTAssertEqual(report.table.rows.first?[1], "retention run")
        XCTAssertEqual(report.table.rows.first?[6], "3")
        XCTAssertEqual(report.table.rows.first?[4], "", "nothing left after the run")
        XCTAssertEqual(
            report.table.columns,
            [
                "time", "event", "cutoff", "cutoff_days", "oldest_held", "oldest_held_days", "keys_deleted",
                "keys_before", "keys_after",
            ])
    }
}
