// SPDX-License-Identifier: EUPL-1.2

import EFGSCrypto
import EFGSProtocol
import EFGSStore
import Foundation
import Metrics

/// Accepting an upload batch (PROTOCOL.md §5.3 checks 11–18, §6.4, §7.1, §7.2): per-key validation, the key
/// count, the tag reservation, the batch signature and its signer, the keys' origin, then the batch stored
/// atomically. Every refusal is an ``APIError`` with the spec's message and its §7.9 event.
public struct UploadService: Sendable {
    /// An upload after parsing (§5.3 checks 1–10 passed).
    public struct Upload: Sendable {
        /// The `batchTag` header (§5.3, an upload tag).
        public var batchTag: String
        /// The `batchSignature` header: a detached CMS signature, Base64 (§6).
        public var batchSignature: String
        /// The body's format.
        public var format: WireFormat
        /// The keys in request order.
        public var keys: [DiagnosisKey]

        /// An upload of `keys`.
        public init(batchTag: String, batchSignature: String, format: WireFormat, keys: [DiagnosisKey]) {
            self.batchTag = batchTag
            self.batchSignature = batchSignature
            self.format = format
            self.keys = keys
        }
    }

    /// The outcome of an accepted request.
    public enum Outcome: Sendable, Equatable {
        /// 201: the batch and every key are stored.
        case stored(batchTag: String)
        /// 207: nothing is stored; some keys are stored already or repeat within the request (§7.2).
        case duplicates(UploadMultiStatus)
    }

    let store: any UploadStore & BatchStore
    let cipher: StorageCipher
    let signatures: SignatureCheck
    let settings: ProtocolSettings
    let docLimit: Int
    let clock: @Sendable () -> Date
    /// Called after an upload made the unbatched key count reach `batching.docLimit` (early batching, §7.3).
    let onDocLimitReached: @Sendable () -> Void

    /// An upload service storing into `store`.
    public init(
        store: any UploadStore & BatchStore, cipher: StorageCipher, signatures: SignatureCheck,
        settings: ProtocolSettings,
        docLimit: Int, clock: @escaping @Sendable () -> Date, onDocLimitReached: @escaping @Sendable () -> Void
    ) {
        self.store = store
        self.cipher = cipher
        self.signatures = signatures
        self.settings = settings
        self.docLimit = docLimit
        self.clock = clock
        self.onDocLimitReached = onDocLimitReached
    }

    /// Checks 11–18 of §5.3 for `caller`, in order.
    public func accept(_ upload: Upload, from caller: AuthenticatedCountry, log: EventScope) async throws -> Outcome {
        let tagged: [(String, String)] = [("batchTag", upload.batchTag), ("numKeys", String(upload.keys.count))]
        try validate(upload)
        if try await store.isUploadTagReserved(country: caller.country, tag: upload.batchTag) {
            throw Self.refusal(409, "BatchTag already exists.", "batchtag already exists", tagged)
        }
        let records = canonicalRecords(upload.keys)
        let signer = try await signatures.verify(
            upload.batchSignature, stream: BatchStream.bytes(ofRecords: records), caller: caller,
            batchTag: upload.batchTag, keys: upload.keys, log: log)
        guard upload.keys.allSatisfy({ $0.origin == caller.country }) else {
            throw Self.refusal(
                400, "One or more keys are not originated from uploader country", "invalid uploader country", tagged)
        }
        return try await persist(upload, records: records, caller: caller, signer: signer, log: log)
    }

    /// Checks 11–13: every key valid (§3.2), at least one key, at most `upload.maxKeys`.
    public func validate(_ upload: Upload) throws {
        if let failure = KeyValidator(now: clock()).firstFailure(in: upload.keys) {
            throw Self.refusal(
                400, failure.message, "diagnosis key validation failed",
                [("batchTag", upload.batchTag), ("keyIndex", String(failure.index)), ("field", failure.field)])
        }
        guard !upload.keys.isEmpty else {
            throw APIError(400, "Validation of diagnosis key failed: The batch contains no diagnosis keys.")
        }
        guard upload.keys.count <= settings.maxKeys else {
            throw Self.tooManyKeys(
                batchTag: upload.batchTag, numKeys: String(upload.keys.count), maxKeys: settings.maxKeys)
        }
    }

    /// Check 13's refusal: 413 `Too many diagnosis keys`, logged with the count (or `more than N` when the body's
    /// keys were counted without being parsed).
    static func tooManyKeys(batchTag: String, numKeys: String, maxKeys: Int) -> APIError {
        refusal(
            413, "Too many diagnosis keys", "too many diagnosis keys",
            [("batchTag", batchTag), ("numKeys", numKeys), ("maxKeys", String(maxKeys))])
    }

    /// The canonical record of each key (§3.1), in request order.
    public func canonicalRecords(_ keys: [DiagnosisKey]) -> [[UInt8]] {
        keys.map(CanonicalRecord.bytes(of:))
    }

    /// The stored form of accepted keys (§7.1): dedup MAC of each canonical record, protobuf payload sealed with
    /// the MAC as AAD, request position kept.
    public func sealedKeys(_ keys: [DiagnosisKey], records: [[UInt8]]) throws -> [StoredKey] {
        let macs = records.map(cipher.dedupMAC(record:))
        let sealed = try cipher.seal(payloads: keys.map { $0.protobufBytes() }, macs: macs)
        return keys.indices.map { StoredKey(position: $0, dedupMAC: macs[$0], sealedPayload: sealed[$0]) }
    }

    /// ``sealedKeys(_:records:)`` of a large batch in two halves at once, each on a thread of the cooperative pool:
    /// with one upload under way the second core would otherwise idle through the MAC and the seal of every key.
    func sealedKeysInParallel(_ keys: [DiagnosisKey], records: [[UInt8]]) async throws -> [StoredKey] {
        guard keys.count >= 2 * Self.keysPerSealingTask else { return try sealedKeys(keys, records: records) }
        let middle = keys.count / 2
        async let firstHalf = sealedKeys(Array(keys[..<middle]), records: Array(records[..<middle]))
        let secondHalf = try sealedKeys(Array(keys[middle...]), records: Array(records[middle...]))
        return try await firstHalf
            + secondHalf.map { key in
                var key = key
                key.position += middle
                return key
            }
    }

    /// The fewest keys worth a task of their own.
    static let keysPerSealingTask = 500

    /// Checks 17–18: the batch, its keys and the tag reservation in one transaction (§7.2).
    func persist(
        _ upload: Upload, records: [[UInt8]], caller: AuthenticatedCountry, signer: CertificateRow, log: EventScope
    ) async throws -> Outcome {
        let keyCount = upload.keys.count
        let record = UploadBatchRecord(
            country: caller.country, uploadTag: upload.batchTag, acceptedAt: UTCTimestamp.millis(clock()),
            keyCount: keyCount, format: upload.format, batchSignature: upload.batchSignature,
            authThumbprint: caller.thumbprint, authPEM: caller.row.pem,
            authOperatorSignature: caller.row.operatorSignature, signerThumbprint: signer.thumbprint,
            signerPEM: signer.pem, signerOperatorSignature: signer.operatorSignature)
        let log = log.component("UploadController")
        let keys = try await sealedKeysInParallel(upload.keys, records: records)
        switch try await store.storeUpload(record, keys: keys) {
        case .tagExists:
            throw Self.refusal(
                409, "BatchTag already exists.", "batchtag already exists",
                [("batchTag", upload.batchTag), ("numKeys", String(keyCount))])
        case .duplicates(let positions):
            let status = UploadMultiStatus(keyCount: keyCount, conflicts: positions)
            log.error(
                "error inserting keys",
                ["insertedKeyCount": "0", "conflictKeysCount": String(status.conflicts.count), "failedKeysCount": "0"])
            return .duplicates(status)
        case .stored:
            log.info(
                "successfull batch upload",
                ["batchTag": upload.batchTag, "numKeys": String(keyCount), "country": caller.country])
            Counter(label: "efgs_uploads_total", dimensions: [("country", caller.country)]).increment()
            Counter(label: "efgs_uploaded_keys_total", dimensions: [("country", caller.country)])
                .increment(by: keyCount)
            if try await store.unbatchedKeyCount() >= docLimit { onDocLimitReached() }
            return .stored(batchTag: upload.batchTag)
        }
    }

    /// A refusal logged by class UploadController.
    static func refusal(_ status: Int, _ message: String, _ event: String, _ attributes: [(String, String)]) -> APIError
    {
        APIError(status, message, event: .init("UploadController", .error, event, attributes))
    }
}
