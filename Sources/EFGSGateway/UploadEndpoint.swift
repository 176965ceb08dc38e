import EFGSCrypto
import EFGSProtocol
import EFGSStore
import Foundation
import Metrics

extension Gateway {
    /// POST /diagnosiskeys/upload — the checks of PROTOCOL.md §5.3, in order.
    func upload(_ req: APIRequest, scope: EventScope) async throws -> APIResponse {
        let negotiation = scope.component("ContentNegotiation")
        // 1: media type
        let format: WireFormat, mediaType: MediaType
        switch negotiator.uploadFormat(contentType: req.header("Content-Type")) {
        case .failure(let f):
            negotiation.error(f.event ?? f.message, ["requestedMediaType": req.header("Content-Type") ?? ""])
            return .error(f.status, f.message)
        case .success(let r): (format, mediaType) = r
        }
        // 2: authentication
        let caller: AuthenticatedCountry
        switch try await authenticate(req, scope) {
        case .failure(let r): return r
        case .success(let c): caller = c
        }
        let log = scope.component("UploadController")
        // 3–5: headers
        guard let batchTag = req.header("batchTag") else { return .error(400, "Required header 'batchTag' is not present.") }
        guard UploadTag.isValid(batchTag) else { return .error(400, "Invalid batchTag header") }
        guard let batchSignature = req.header("batchSignature") else { return .error(400, "Required header 'batchSignature' is not present.") }
        // 6–8: version
        if let f = negotiator.checkUploadVersion(mediaType, format: format) {
            negotiation.error(f.event ?? f.message, ["requestedVersion": mediaType.version ?? ""])
            return .error(f.status, f.message)
        }
        // 9: size
        guard let body = try await req.readBody(config.maxBodyBytes) else { return .error(413, "Request body too large") }
        // 10: parse
        let keys: [DiagnosisKey]
        do {
            keys = format == .protobuf ? try DiagnosisKeyBatch.parseProtobuf(body).keys : try DiagnosisKeyJSONDecoder.decode(body)
        } catch let e as UploadBodyError {
            return .error(400, e.message)
        } catch {
            return .error(400, "Failed to read request")
        }
        // 11: per-key validation
        if let failure = KeyValidator(now: clock()).firstFailure(in: keys) {
            log.error("diagnosis key validation failed", ["batchTag": batchTag, "keyIndex": String(failure.index), "field": failure.field])
            return .error(400, failure.message)
        }
        // 12, 13: count
        guard !keys.isEmpty else { return .error(400, "Validation of diagnosis key failed: The batch contains no diagnosis keys.") }
        guard keys.count <= config.maxKeys else {
            log.error("too many diagnosis keys", ["batchTag": batchTag, "numKeys": String(keys.count), "maxKeys": String(config.maxKeys)])
            return .error(413, "Too many diagnosis keys")
        }
        // 14: tag reservation (re-checked inside the storing transaction)
        if try await store.isUploadTagReserved(country: caller.country, tag: batchTag) {
            log.error("batchtag already exists", ["batchTag": batchTag, "numKeys": String(keys.count)])
            return .error(409, "BatchTag already exists.")
        }
        // 15: signature (§6)
        let records = keys.map(CanonicalRecord.bytes(of:))
        let signer: CertificateRow
        switch try await verifySignature(batchSignature, stream: BatchStream.bytes(ofRecords: records), caller: caller,
                                         batchTag: batchTag, keys: keys, scope: scope) {
        case .success(let row): signer = row
        case .failure(let refusal):
            Counter(label: "efgs_signature_failures_total", dimensions: [("reason", refusal.event)]).increment()
            return .error(400, "Invalid signature")
        }
        // 16: origin
        guard keys.allSatisfy({ $0.origin == caller.country }) else {
            log.error("invalid uploader country", ["batchTag": batchTag, "numKeys": String(keys.count)])
            return .error(400, "One or more keys are not originated from uploader country")
        }
        // 17, 18: store atomically
        let stored = try storedKeys(keys, records: records)
        let now = UTCTimestamp.millis(clock())
        let record = UploadBatchRecord(
            country: caller.country, uploadTag: batchTag, acceptedAt: now, keyCount: keys.count, format: format,
            batchSignature: batchSignature, authThumbprint: caller.thumbprint, authPEM: caller.row.pem,
            authOperatorSignature: caller.row.operatorSignature, signerThumbprint: signer.thumbprint, signerPEM: signer.pem,
            signerOperatorSignature: signer.operatorSignature)
        switch try await store.storeUpload(record, keys: stored) {
        case .tagExists:
            log.error("batchtag already exists", ["batchTag": batchTag, "numKeys": String(keys.count)])
            return .error(409, "BatchTag already exists.")
        case .duplicates(let dup):
            let conflicts = dup.sorted()
            let others = (0..<keys.count).filter { !dup.contains($0) }
            log.error("error inserting keys", ["insertedKeyCount": "0", "conflictKeysCount": String(conflicts.count), "failedKeysCount": "0"])
            let list = { (a: [Int]) in a.map(String.init).joined(separator: ",") }
            return .json(207, "{\"500\":[],\"201\":[\(list(others))],\"409\":[\(list(conflicts))]}")
        case .stored:
            log.info("successfull batch upload", ["batchTag": batchTag, "numKeys": String(keys.count), "country": caller.country])
            Counter(label: "efgs_uploads_total", dimensions: [("country", caller.country)]).increment()
            Counter(label: "efgs_uploaded_keys_total", dimensions: [("country", caller.country)]).increment(by: keys.count)
            if try await store.unbatchedKeyCount() >= config.docLimit { onDocLimitReached() }
            return APIResponse(status: 201, headers: [("batchTag", batchTag), ("Content-Length", "0")])
        }
    }

    /// The stored form of accepted keys (§7.1): dedup MAC of each canonical record, protobuf payload sealed with
    /// the MAC as AAD, request position kept.
    public func storedKeys(_ keys: [DiagnosisKey], records: [[UInt8]]) throws -> [StoredKey] {
        let macs = records.map(cipher.dedupMAC(record:))
        let sealed = try cipher.seal(payloads: keys.map { $0.protobufBytes() }, macs: macs)
        return keys.indices.map { StoredKey(position: $0, dedupMAC: macs[$0], sealedPayload: sealed[$0]) }
    }

    /// Verifies the CMS and the signer's registration (§6.4); logs the precise reason on failure.
    func verifySignature(_ signature: String, stream: [UInt8], caller: AuthenticatedCountry, batchTag: String,
                         keys: [DiagnosisKey], scope: EventScope) async throws -> Result<CertificateRow, SignatureRefusal> {
        let log = scope.component("SignatureVerifier")
        let verified: VerifiedBatchSignature
        do {
            verified = try verifier.verify(batchSignature: signature, stream: stream, now: clock())
        } catch let e as BatchSignatureError {
            switch e {
            case .signerCount(let n):
                return .failure(SignatureRefusal(event: "no signer information", log: log, attributes: ["signerCount": String(n)]))
            case .noSignerCertificate:
                return .failure(SignatureRefusal(event: "no signer certificate", log: log, attributes: ["reason": e.description]))
            case .malformed(let r):
                return .failure(SignatureRefusal(event: "error verifying batch signature", log: log, attributes: ["reason": String(r.prefix(300))]))
            case .legacySha1Rejected(let d, let s):
                return .failure(SignatureRefusal(event: "legacy SHA-1 signature rejected", log: log,
                                                 attributes: ["certThumbprint": "", "digestAlgorithm": d, "signatureAlgorithm": s]))
            case .signingTimeOutsideValidity(let t):
                return .failure(SignatureRefusal(event: "signing time outside certificate validity", log: log, attributes: ["certThumbprint": "", "signingTime": t]))
            case .wrongSignature:
                return .failure(SignatureRefusal(event: "wrong signature", log: log, attributes: ["certThumbprint": ""]))
            case .certificateNotValidNow(let nb, let na):
                return .failure(SignatureRefusal(event: "signing certificate expired", log: log,
                                                 attributes: ["certNotBefore": UTCTimestamp.format(nb), "certNotAfter": UTCTimestamp.format(na)]))
            }
        }
        let tp = verified.signer.thumbprint
        let countries = verified.signer.countries
        guard countries.count == 1, let signerCountry = countries.first else {
            return .failure(SignatureRefusal(event: "error verifying batch signature", log: log, attributes: ["reason": "signer subject has \(countries.count) C attributes"]))
        }
        let rows = try await store.certificates(thumbprint: tp, type: .signing).filter { $0.country == signerCountry }
        guard !rows.isEmpty else {
            return .failure(SignatureRefusal(event: "unknown signing certificate", log: log, attributes: ["certThumbprint": tp]))
        }
        guard let row = try await certificates.verifiedRow(thumbprint: tp, country: signerCountry, type: .signing, log: scope) else {
            return .failure(SignatureRefusal(event: "invalid signing certificate signature", log: log, attributes: ["certThumbprint": tp]))
        }
        guard !row.revoked else {
            return .failure(SignatureRefusal(event: "certificate is revoked", log: log, attributes: ["certThumbprint": tp]))
        }
        guard signerCountry == caller.country else {
            return .failure(SignatureRefusal(event: "different origins", log: log, attributes: [
                "certThumbprint": tp, "certCountry": signerCountry, "batchCountries": Set(keys.map(\.origin)).sorted().joined(separator: ",")]))
        }
        if verified.usedLegacySha1 {
            log.warn("legacy SHA-1 signature accepted", ["certThumbprint": tp, "digestAlgorithm": verified.digestAlgorithm, "signatureAlgorithm": verified.signatureAlgorithm])
        }
        log.info("verified batch signature", ["batchTag": batchTag, "numKeys": String(keys.count), "certThumbprint": tp])
        return .success(row)
    }
}

/// A refused batch signature (§6): logs its §7.9 SignatureVerifier event once; the event is also the reason label of
/// `efgs_signature_failures_total`.
struct SignatureRefusal: Error {
    let event: String
    init(event: String, log: EventScope, attributes: KeyValuePairs<String, String>) {
        self.event = event
        log.error(event, attributes)
    }
}
