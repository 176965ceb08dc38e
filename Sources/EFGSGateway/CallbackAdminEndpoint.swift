import EFGSCrypto
import EFGSProtocol
import EFGSStore
import Foundation
import X509

extension Gateway {
    /// GET /diagnosiskeys/callback (§5.6).
    func listCallbacks(_ req: APIRequest, scope: EventScope) async throws -> APIResponse {
        switch try await callbackPrelude(req, scope) {
        case .failure(let r): return r
        case .success(let caller):
            let subs = try await store.callbackSubscriptions(country: caller.country)
            scope.component("CallbackService").info("Requested all callback subscriptions.", ["callbackId": "", "country": caller.country])
            let s = DiagnosisKeyJSONEncoder.jsonString
            return .json(200, "[" + subs.map { "{\"callbackId\":\(s($0.callbackId)),\"url\":\(s($0.url))}" }.joined(separator: ",") + "]")
        }
    }

    /// PUT /diagnosiskeys/callback/{callbackId}?url=… (§5.6, §7.5).
    func putCallback(_ req: APIRequest, id: String, scope: EventScope) async throws -> APIResponse {
        let caller: AuthenticatedCountry
        switch try await callbackPrelude(req, scope) {
        case .failure(let r): return r
        case .success(let c): caller = c
        }
        let log = scope.component("CallbackService")
        guard Self.isValidCallbackId(id) else {
            log.error("Callback URL violates URL rules", ["url": req.queryParameter("url") ?? ""])
            return .error(400, "Callback ID is invalid")
        }
        guard let url = req.queryParameter("url") else { return .error(400, "Required parameter 'url' is not present.") }
        let policy = CallbackURLPolicy(allowLoopback: config.callbackAllowLoopback)
        let host: String
        switch policy.vet(url) {
        case .success(let v): host = v.host
        case .failure(let violation):
            switch violation {
            case .syntax: log.error("Could not parse URL", ["url": url])
            case .notHTTPS: log.error("Callback URL must use https", ["url": url])
            case .hasQuery: log.error("URL must not contain any parameters", ["url": url])
            case .rules: log.error("Callback URL violates URL rules", ["url": url])
            case .unresolvable(let host): log.error("Could not resolve host for callback", ["url": url, "hostname": host, "address": ""])
            case .privateAddress(let host, let a):
                log.error("IP Address of callback host is from private IP range.", ["url": url, "hostname": host, "address": IPAddressBytes.format(a)])
            }
            return .error(400, "Callback URL is invalid")
        }
        guard try await hasCallbackCertificate(country: caller.country, host: host, scope: scope) else {
            log.warn("No callback certificate registered for country", ["callbackId": id, "country": caller.country])
            return .error(400, "No callback certificate registered for this host")
        }
        log.info("Start saving callback subscription.", ["callbackId": id, "country": caller.country])
        try await store.upsertCallbackSubscription(country: caller.country, callbackId: id, url: url, now: UTCTimestamp.millis(clock()))
        return APIResponse(status: 200)
    }

    /// DELETE /diagnosiskeys/callback/{callbackId} (§5.6).
    func deleteCallback(_ req: APIRequest, id: String, scope: EventScope) async throws -> APIResponse {
        switch try await callbackPrelude(req, scope) {
        case .failure(let r): return r
        case .success(let caller):
            guard try await store.deleteCallbackSubscription(country: caller.country, callbackId: id) else {
                return .error(404, "Could not find any callback subscription for the given callbackId.")
            }
            scope.component("CallbackService").info("Deleting all CallbackTaskEntities for subscription.", ["callbackId": id, "country": caller.country])
            return APIResponse(status: 200)
        }
    }

    func callbackPrelude(_ req: APIRequest, _ scope: EventScope) async throws -> Result<AuthenticatedCountry, APIResponse> {
        if let f = negotiator.acceptsJSON(accept: req.accept) {
            scope.component("ContentNegotiation").error(f.event ?? f.message, ["requestedMediaType": req.accept ?? ""])
            return .failure(.error(f.status, f.message))
        }
        return try await authenticate(req, scope)
    }

    static func isValidCallbackId(_ id: String) -> Bool {
        let u = id.utf8
        return (1...32).contains(u.count) && u.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2E || c == 0x5F || c == 0x2D
        }
    }

    /// A candidate CALLBACK row of the country (``CertificateDirectory/callbackRows(country:host:log:)``) whose
    /// certificate names the host (SAN or CN).
    func hasCallbackCertificate(country: String, host: String, scope: EventScope) async throws -> Bool {
        try await certificates.callbackRows(country: country, host: host, log: scope)
            .contains { HostnameMatch.certificate($0.facts.certificate, matches: host) }
    }
}

/// RFC 6125 host matching: SAN dNSName with a left-most-label wildcard, SAN iPAddress, or (no SAN, and only where
/// allowed) CN. Subscription checks (§5.6) allow the CN; deliveries (§7.5) do not.
enum HostnameMatch {
    static func certificate(_ cert: Certificate, matches host: String, commonNameFallback: Bool = true) -> Bool {
        let host = host.lowercased()
        var names: [String] = []
        var ips: [[UInt8]] = []
        if let san = try? cert.extensions.subjectAlternativeNames {
            for n in san {
                switch n {
                case .dnsName(let d): names.append(d.lowercased())
                case .ipAddress(let ip): ips.append(Array(ip.bytes))
                default: break
                }
            }
        }
        if let ip = IPAddressBytes.parse(host) { return ips.contains(ip) }
        if names.isEmpty && ips.isEmpty && commonNameFallback {
            names = cert.subject.flatMap { $0 }.filter { $0.type == .RDNAttributeType.commonName }.compactMap { String($0.value)?.lowercased() }
        }
        return names.contains { pattern in
            if pattern == host { return true }
            guard pattern.hasPrefix("*."), let dot = host.firstIndex(of: ".") else { return false }
            return String(host[dot...]) == String(pattern.dropFirst())
        }
    }
}
