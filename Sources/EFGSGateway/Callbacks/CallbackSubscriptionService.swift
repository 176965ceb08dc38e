// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSStore
import Foundation

/// Callback subscriptions (PROTOCOL.md §5.6, §7.5): list, subscribe (the URL rules and a registered CALLBACK
/// certificate naming the host) and unsubscribe, for the authenticated country. Refusals are ``APIError``s logged by
/// class CallbackService.
public struct CallbackSubscriptionService: Sendable {
    let store: any CallbackStore
    let certificates: CertificateDirectory
    let policy: CallbackURLPolicy
    /// `callback.maxSubscriptionsPerCountry`.
    let maxSubscriptions: Int
    let clock: @Sendable () -> Date

    /// A service over `store` vetting URLs with `policy`, holding at most `maxSubscriptions` per country.
    public init(
        store: any CallbackStore, certificates: CertificateDirectory, policy: CallbackURLPolicy,
        maxSubscriptions: Int = CallbackSettings().maxSubscriptionsPerCountry, clock: @escaping @Sendable () -> Date
    ) {
        self.store = store
        self.certificates = certificates
        self.policy = policy
        self.maxSubscriptions = maxSubscriptions
        self.clock = clock
    }

    /// The caller's subscriptions.
    public func list(for caller: AuthenticatedCountry, log: EventScope) async throws -> [CallbackSubscriptionEntry] {
        let subscriptions = try await store.callbackSubscriptions(country: caller.country)
        log.component("CallbackService").info(
            "Requested all callback subscriptions.", ["callbackId": "", "country": caller.country])
        return subscriptions.map { CallbackSubscriptionEntry(callbackId: $0.callbackId, url: $0.url) }
    }

    /// Creates or replaces the caller's subscription `id` with `url` (nil: the parameter is missing).
    public func subscribe(
        id: String, url: String?, for caller: AuthenticatedCountry, log: EventScope
    ) async throws {
        let log = log.component("CallbackService")
        guard Self.isValidCallbackId(id) else {
            throw Self.refusal("Callback ID is invalid", "Callback URL violates URL rules", [("url", url ?? "")])
        }
        guard let url else { throw APIError(400, "Required parameter 'url' is not present.") }
        let host: String
        switch await policy.vet(url) {
        case .success(let vetted): host = vetted.host
        case .failure(let violation): throw Self.refusal(violation, url: url)
        }
        let candidates = try await certificates.callbackRows(country: caller.country, host: host, log: log)
        guard candidates.contains(where: { HostnameMatch.certificate($0.facts.certificate, matches: host) }) else {
            throw APIError(
                400, "No callback certificate registered for this host",
                event: .init(
                    "CallbackService", .warn, "No callback certificate registered for country",
                    [("callbackId", id), ("country", caller.country)]))
        }
        let existing = try await store.callbackSubscriptions(country: caller.country)
        guard existing.count < maxSubscriptions || existing.contains(where: { $0.callbackId == id }) else {
            throw APIError(
                400, "Too many callback subscriptions",
                event: .init(
                    "CallbackService", .warn, "Callback subscription limit reached",
                    [
                        ("callbackId", id), ("country", caller.country),
                        ("maxSubscriptionsPerCountry", String(maxSubscriptions)),
                    ]))
        }
        log.info("Start saving callback subscription.", ["callbackId": id, "country": caller.country])
        try await store.upsertCallbackSubscription(
            country: caller.country, callbackId: id, url: url, now: UTCTimestamp.millis(clock()))
    }

    /// Deletes the caller's subscription `id` and its pending tasks; 404 when it does not exist.
    public func unsubscribe(id: String, for caller: AuthenticatedCountry, log: EventScope) async throws {
        // an ID that PUT refuses cannot exist, and is never sent to the store (`%00` on PostgreSQL)
        guard Self.isValidCallbackId(id),
            try await store.deleteCallbackSubscription(country: caller.country, callbackId: id)
        else {
            throw APIError(404, "Could not find any callback subscription for the given callbackId.")
        }
        log.component("CallbackService").info(
            "Deleting all CallbackTaskEntities for subscription.", ["callbackId": id, "country": caller.country])
    }

    /// A callback ID: 1–32 of `[A-Za-z0-9._-]` (§5.6).
    static func isValidCallbackId(_ id: String) -> Bool {
        let bytes = id.utf8
        return (1...32).contains(bytes.count)
            && bytes.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    return true
                default:
                    return false
                }
            }
    }

    /// 400 `Callback URL is invalid` with the event of the violated rule (§7.9).
    static func refusal(_ violation: CallbackURLPolicy.Violation, url: String) -> APIError {
        let message = "Callback URL is invalid"
        switch violation {
        case .syntax(let reason):
            return refusal(message, "Could not parse URL", [("url", url), ("reason", reason)])
        case .notHTTPS:
            return refusal(message, "Callback URL must use https", [("url", url)])
        case .hasQuery:
            return refusal(message, "URL must not contain any parameters", [("url", url)])
        case .rules(let reason):
            return refusal(message, "Callback URL violates URL rules", [("url", url), ("reason", reason)])
        case .unresolvable(let host):
            return refusal(
                message, "Could not resolve host for callback", [("url", url), ("hostname", host), ("address", "")])
        case .privateAddress(let host, let address):
            return refusal(
                message, "IP Address of callback host is from private IP range.",
                [("url", url), ("hostname", host), ("address", IPAddressBytes.format(address))])
        }
    }

    static func refusal(_ message: String, _ event: String, _ attributes: [(String, String)]) -> APIError {
        APIError(400, message, event: .init("CallbackService", .error, event, attributes))
    }
}
