// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSStore
import Foundation
import Metrics
import Synchronization

/// The federation-health gauges (docs/metrics.md), read from the store and the configured certificates each time
/// Prometheus scrapes the admin listener: certificate expiry (every non-revoked certificate row, the trust anchors,
/// the gateway's own certificates), keys stored and unbatched, the age of the oldest unbatched upload, each
/// country's time since its last upload and download and its longest gap between uploads, each callback subscription's pending and failing tasks, and
/// the database size. A gauge whose subject is gone (a
/// revoked row, a country without statistics any more) is removed at the next scrape, so no stale series remains.
public final class FederationHealthMetrics: Sendable {
    /// A gauge's name and labels.
    struct Series: Hashable {
        var label: String
        var dimensions: [String]

        var gauge: Gauge {
            Gauge(
                label: label,
                dimensions: stride(from: 0, to: dimensions.count, by: 2).map {
                    (dimensions[$0], dimensions[$0 + 1])
                })
        }
    }

    let services: GatewayServices
    /// The labelled series recorded by the previous scrape.
    let recorded = Mutex(Set<Series>())

    /// The gauges of `services`.
    public init(services: GatewayServices) {
        self.services = services
    }

    /// Records every gauge at `now`; a part the store cannot answer is left out (the scrape still answers).
    public func record(now: Date) async {
        var series: [Series: Double] = [:]
        // a series is removed only when the scrape read everything: a store that does not answer removes nothing
        var complete = true
        if let rows = try? await services.store.certificates(country: nil, type: nil) {
            for row in rows where !row.revoked {
                guard let der = CanonicalPEM.canonicalDER(row.pem), let facts = try? CertificateFacts(der: der) else {
                    continue
                }
                let key = Series(
                    label: "efgs_certificate_expiry_seconds",
                    dimensions: [
                        "country", row.country, "type", row.type.rawValue, "thumbprint",
                        String(row.thumbprint.prefix(16)),
                    ])
                series[key] = facts.notAfter.timeIntervalSince(now)
            }
        } else {
            complete = false
        }
        for anchor in services.anchors.all {
            series[Series(label: "efgs_trust_anchor_expiry_seconds", dimensions: ["thumbprint", anchor.thumbprint])] =
                anchor.certificate.notValidAfter.timeIntervalSince(now)
        }
        for file in GatewayCertificates.files(services.config) {
            guard let notAfter = file.notAfter else { continue }
            series[Series(label: "efgs_gateway_certificate_expiry_seconds", dimensions: ["setting", file.setting])] =
                notAfter.timeIntervalSince(now)
        }
        let nowMillis = UTCTimestamp.millis(now)
        if let figures = try? await services.store.storeFigures() {
            series[Series(label: "efgs_keys_stored", dimensions: [])] = Double(figures.keysStored)
            series[Series(label: "efgs_unbatched_keys", dimensions: [])] = Double(figures.unbatchedKeys)
            series[Series(label: "efgs_oldest_unbatched_upload_age_seconds", dimensions: [])] =
                figures.oldestUnbatchedAcceptedAt.map { Double(max(0, nowMillis - $0)) / 1000 } ?? 0
            series[Series(label: "efgs_database_size_bytes", dimensions: [])] = Double(figures.databaseBytes)
        } else {
            complete = false
        }
        await services.download.flushStatistics(within: .seconds(1))  // a struggling store cannot hold the scrape
        if let activity = try? await services.store.countryActivity() {
            for country in activity {
                if let last = country.lastUpload {
                    series[
                        Series(label: "efgs_country_last_upload_age_seconds", dimensions: ["country", country.country])
                    ] = Double(max(0, nowMillis - last)) / 1000
                }
                if let last = country.lastDownload {
                    series[
                        Series(
                            label: "efgs_country_last_download_age_seconds", dimensions: ["country", country.country])
                    ] = Double(max(0, nowMillis - last)) / 1000
                }
            }
        } else {
            complete = false
        }
        // the usual cadence over the last 14 days, which EFGSCountrySilent compares the last upload's age with
        if let gaps = try? await services.store.longestUploadGaps(sinceMillis: nowMillis - 14 * 86_400_000) {
            for (country, millis) in gaps {
                series[Series(label: "efgs_country_upload_gap_seconds", dimensions: ["country", country])] =
                    Double(millis) / 1000
            }
        } else {
            complete = false
        }
        if let backlog = try? await services.store.callbackBacklog() {
            for subscription in backlog {
                let dimensions = ["country", subscription.country, "callback_id", subscription.callbackId]
                series[Series(label: "efgs_callback_subscription_tasks_pending", dimensions: dimensions)] =
                    Double(subscription.pending)
                series[Series(label: "efgs_callback_subscription_tasks_failing", dimensions: dimensions)] =
                    Double(subscription.failing)
            }
        } else {
            complete = false
        }
        for (key, value) in series { key.gauge.record(value) }
        let gone = recorded.withLock { recorded in
            guard complete else {
                recorded.formUnion(series.keys)
                return Set<Series>()
            }
            let gone = recorded.subtracting(series.keys)
            recorded = Set(series.keys)
            return gone
        }
        for key in gone { key.gauge.destroy() }
    }
}
