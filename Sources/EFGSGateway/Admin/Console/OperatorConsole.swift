// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol
import EFGSStore
import Foundation
import Hummingbird

/// The read-only operator console on the admin listener (docs/monitoring.md, Console): Federation (`/`),
/// Certificates, Batches, Traffic and Events, server-rendered HTML with inline SVG plots that reloads itself, and
/// the reports as CSV (`/reports/usage.csv`, `/reports/retention.csv`). Every page reads the store and this process's
/// recorders when it is requested; nothing is cached.
public struct OperatorConsole: Sendable {
    let services: GatewayServices

    /// The console of `services`.
    public init(services: GatewayServices) {
        self.services = services
    }

    /// A page's HTML, or nil for an unknown path. `query` holds the filters of the Events page.
    public func page(path: String, query: [String: String] = [:]) async throws -> String? {
        let now = services.clock()
        let body: String
        switch path {
        case "/": body = try await federation(now: now)
        case "/certificates": body = try await certificates(now: now)
        case "/batches": body = try await batches(now: now)
        case "/traffic": body = traffic(now: now)
        case "/events": body = try await events(now: now, country: query["country"], component: query["class"])
        default: return nil
        }
        return ConsoleHTML.page(path: path, now: now, body: body)
    }

    /// A report as CSV: `usage` (`from`, `to`, `country` from `query`; the last 14 days by default) or `retention`.
    /// Throws ``OperatorReports/RefusedPeriod`` for a bad query.
    public func csv(report: String, query: [String: String]) async throws -> String? {
        switch report {
        case "usage":
            func day(_ name: String) throws -> UTCDay? {
                guard let text = query[name] else { return nil }
                guard let day = UTCDay(iso: text) else {
                    throw OperatorReports.RefusedPeriod(description: "\(name): a day as yyyy-MM-dd")
                }
                return day
            }
            let country = query["country"].flatMap { $0.isEmpty ? nil : $0 }
            return try await services.reports.usage(from: try day("from"), to: try day("to"), country: country).table
                .csv
        case "retention":
            return try await services.reports.retention().table.csv
        default:
            return nil
        }
    }

    /// The console's routes on the admin router: the pages and `/reports/{usage,retention}.csv`.
    func register(on router: Router<BasicRequestContext>) {
        for (path, _) in ConsoleHTML.pages {
            router.get(RouterPath(path)) { request, _ in
                let query = Self.query(of: request)
                guard let html = try await page(path: path, query: query) else { throw HTTPError(.notFound) }
                return Self.response(html, contentType: "text/html; charset=utf-8")
            }
        }
        router.get("reports/:name") { request, context in
            let name = context.parameters.get("name") ?? ""
            guard name.hasSuffix(".csv") else { throw HTTPError(.notFound) }
            let query = Self.query(of: request)
            do {
                guard let csv = try await csv(report: String(name.dropLast(4)), query: query) else {
                    throw HTTPError(.notFound)
                }
                var response = Self.response(csv, contentType: "text/csv; charset=utf-8; header=present")
                response.headers[.contentDisposition] = "attachment; filename=\"efgs-\(name)\""
                return response
            } catch let refused as OperatorReports.RefusedPeriod {
                return Response(
                    status: .badRequest, headers: [.contentType: "text/plain; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: refused.description + "\n")))
            }
        }
    }

    /// The request's query parameters (the last of a repeated name wins).
    static func query(of request: Request) -> [String: String] {
        Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) }) { $1 }
    }

    static func response(_ text: String, contentType: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: contentType, .cacheControl: "no-store",
                // the console loads nothing from anywhere, and is never framed
                .contentSecurityPolicy:
                    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
                    + "frame-ancestors 'none'; base-uri 'none'",
                .xContentTypeOptions: "nosniff",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
