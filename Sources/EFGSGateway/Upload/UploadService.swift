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
        // the tag's reservation is looked up while this thread builds the canonical records (a round trip to the
        // database against about 1 ms of CPU for 5000 keys); a reserved tag is still refused before any other check
        async let reserved = store.isUploadTagReserved(country: caller.country, tag: upload.batchTag)
        let records = canonicalRecords(upload.keys)
        if try await reserved {
            throw Self.refusal(409, "BatchTag already exists.", "batchtag already exists", tagged)
        }
        // The keys are sealed on the other core while the signature is checked on this one (``sealing(_:records:)``);
        // nothing sealed is stored unless the checks pass, and a refusal stops the sealing.
        let sealing = sealing(upload.keys, records: records)
        do {
            let signer = try await signatures.verify(
                upload.batchSignature, stream: BatchStream.bytes(ofRecords: records), caller: caller,
                batchTag: upload.batchTag, keys: upload.keys, log: log)
            guard upload.keys.allSatisfy({ $0.origin == caller.country }) else {
                throw Self.refusal(
                    400, "One or more keys are not originated from uploader country", "invalid uploader country",
                    tagged)
            }
            return try await persist(upload, keys: sealing.keys, caller: caller, signer: signer, log: log)
        } catch {
            sealing.cancel()
            throw error
        }
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
        try sealedKeys(keys[...], records: records[...])
    }

    /// ``sealedKeys(_:records:)`` of a part of the upload; each key's position is its index in `keys`.
    func sealedKeys(_ keys: ArraySlice<DiagnosisKey>, records: ArraySlice<[UInt8]>) throws -> [StoredKey] {
        let macs = records.map(cipher.dedupMAC(record:))
        let sealed = try cipher.seal(payloads: keys.map { $0.protobufBytes() }, macs: macs)
        return zip(keys.indices, zip(macs, sealed)).map { position, value in
            StoredKey(position: position, dedupMAC: value.0, sealedPayload: value.1)
        }
    }

    /// The keys of an upload being sealed (``sealing(_:records:)``).
    struct Sealing: Sendable {
        /// The chunks, each ready when its task has finished.
        let keys: UploadKeys
        let tasks: [Task<[StoredKey], any Error>]

        /// Stops the tasks that are still sealing (the upload was refused).
        func cancel() {
            for task in tasks { task.cancel() }
        }
    }

    /// ``sealedKeys(_:records:)`` in chunks of ``keysPerChunk``, one after the other, each in a task of its own that
    /// waits for the one before it: one core seals while the other checks the signature and then runs the store,
    /// which inserts each chunk as soon as it is sealed.
    ///
    /// Until 2026-12-04 every chunk's task started at once: on two cores the five tasks of a 5000-key upload took
    /// both from the signature check, which then took 6–10 ms instead of 2.5 (and the store, which waits for it,
    /// stood idle), while the store still consumed the chunks slower than one core seals them (about 2.4 ms per
    /// 1000 keys against 5–6 ms to insert them).
    func sealing(_ keys: [DiagnosisKey], records: [[UInt8]]) -> Sealing {
        let service = self
        var tasks: [Task<[StoredKey], any Error>] = []
        for start in stride(from: 0, to: keys.count, by: Self.keysPerChunk) {
            let range = start..<min(start + Self.keysPerChunk, keys.count)
            let previous = tasks.last
            tasks.append(
                Task {
                    _ = try await previous?.value
                    var sealed: [StoredKey] = []
                    sealed.reserveCapacity(range.count)
                    for first in stride(from: range.lowerBound, to: range.upperBound, by: Self.keysPerTurn) {
                        try Task.checkCancellation()
                        let turn = first..<min(first + Self.keysPerTurn, range.upperBound)
                        sealed += try service.sealedKeys(keys[turn], records: records[turn])
                        await Task.yield()
                    }
                    return sealed
                })
        }
        let chunks = tasks
        let keys = UploadKeys(count: keys.count, chunkCount: chunks.count) { index in try await chunks[index].value }
        return Sealing(keys: keys, tasks: chunks)
    }

    /// Keys per chunk of ``sealing(_:records:)``.
    static let keysPerChunk = 1000
    /// Keys sealed before a sealing task lets the tasks waiting for the cooperative pool run (about a millisecond):
    /// without it, the store's transaction waited for every chunk to be sealed before it could begin.
    static let keysPerTurn = 200

    /// Checks 17–18: the batch, its keys and the tag reservation in one transaction (§7.2).
    func persist(
        _ upload: Upload, keys: UploadKeys, caller: AuthenticatedCountry, signer: CertificateRow, log: EventScope
    ) async throws -> Outcome {
        let keyCount = upload.keys.count
        let record = UploadBatchRecord(
            country: caller.country, uploadTag: upload.batchTag, acceptedAt: UTCTimestamp.millis(clock()),
            keyCount: keyCount, format: upload.format, batchSignature: upload.batchSignature,
            authThumbprint: caller.thumbprint, authPEM: caller.row.pem,
            authOperatorSignature: caller.row.operatorSignature, signerThumbprint: signer.thumbprint,
            signerPEM: signer.pem, signerOperatorSignature: signer.operatorSignature)
        let log = log.component("UploadController")
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
            // The keys are durable now: the count of unbatched keys (the early trigger of the batching run, §7.3) runs
            // behind the 201 instead of before it, and a failing count (the database went away a moment ago) is
            // ignored — it must not turn the 201 into a 500, after which the country's retry would get 409 for its own
            // batch. The scheduled batching run takes the keys in any case.
            let (store, docLimit, onDocLimitReached) = (self.store, self.docLimit, self.onDocLimitReached)
            Task {
                if let unbatched = try? await store.unbatchedKeyCount(), unbatched >= docLimit { onDocLimitReached() }
            }
            return .stored(batchTag: upload.batchTag)
        }
    }

    /// A refusal logged by class UploadController.
    static func refusal(_ status: Int, _ message: String, _ event: String, _ attributes: [(String, String)]) -> APIError
    {
        APIError(status, message, event: .init("UploadController", .error, event, attributes))
    }
}
