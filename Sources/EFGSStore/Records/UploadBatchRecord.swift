// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol

/// An accepted upload batch (§7.1), with the snapshots the audit serves (§7.4).
public struct UploadBatchRecord: Sendable, Equatable {
    /// Row id, in acceptance order; nil until the batch is stored.
    public var id: Int64?
    /// The uploading country (of the authentication certificate).
    public var country: String
    /// The `batchTag` header of the upload (§5.3), reserved per country (§7.2).
    public var uploadTag: String
    /// Acceptance time, epoch milliseconds.
    public var acceptedAt: Int64
    /// Number of keys in the batch.
    public var keyCount: Int
    /// The format version the batch was uploaded in; a download batch holds one format only (§7.3).
    public var format: WireFormat
    /// The `batchSignature` header exactly as uploaded.
    public var batchSignature: String
    /// Thumbprint of the uploader's AUTHENTICATION certificate.
    public var authThumbprint: String
    /// Snapshot of the AUTHENTICATION certificate's canonical PEM at upload.
    public var authPEM: String
    /// Snapshot of the AUTHENTICATION row's operator signature at upload.
    public var authOperatorSignature: String
    /// Thumbprint of the SIGNING certificate that signed the batch.
    public var signerThumbprint: String
    /// Snapshot of the SIGNING certificate's canonical PEM at upload.
    public var signerPEM: String
    /// Snapshot of the SIGNING row's operator signature at upload.
    public var signerOperatorSignature: String
    /// The download batch the upload batch was assigned to; nil while unbatched.
    public var downloadBatchTag: String?

    /// A record of an accepted upload; `id` is assigned by the store, and `downloadBatchTag` by batching (§7.3).
    public init(
        id: Int64? = nil, country: String, uploadTag: String, acceptedAt: Int64, keyCount: Int, format: WireFormat,
        batchSignature: String, authThumbprint: String, authPEM: String, authOperatorSignature: String,
        signerThumbprint: String, signerPEM: String, signerOperatorSignature: String, downloadBatchTag: String? = nil
    ) {
        self.id = id
        self.country = country
        self.uploadTag = uploadTag
        self.acceptedAt = acceptedAt
        self.keyCount = keyCount
        self.format = format
        self.batchSignature = batchSignature
        self.authThumbprint = authThumbprint
        self.authPEM = authPEM
        self.authOperatorSignature = authOperatorSignature
        self.signerThumbprint = signerThumbprint
        self.signerPEM = signerPEM
        self.signerOperatorSignature = signerOperatorSignature
        self.downloadBatchTag = downloadBatchTag
    }
}

/// One stored key: its dedup MAC and its encrypted payload (§7.1).
public struct StoredKey: Sendable, Equatable {
    /// The key's position in its upload request, from 0.
    public var position: Int
    /// HMAC-SHA256 of the key's canonical record under the dedup key; unique across all stored keys.
    public var dedupMAC: [UInt8]
    /// The key's protobuf encoding, sealed with the active storage key (§7.1 stored form).
    public var sealedPayload: [UInt8]

    /// A key row ready to insert.
    public init(position: Int, dedupMAC: [UInt8], sealedPayload: [UInt8]) {
        self.position = position
        self.dedupMAC = dedupMAC
        self.sealedPayload = sealedPayload
    }
}

/// The result of trying to store an upload (§5.3 checks 14, 17, 18).
public enum UploadStoreOutcome: Sendable, Equatable {
    /// Stored, with the new upload batch's id (201).
    case stored(uploadBatchId: Int64)
    /// The country already reserved the upload tag (409); nothing stored.
    case tagExists
    /// Request positions whose canonical record is already stored or occurs earlier in the request (207); nothing
    /// stored.
    case duplicates(Set<Int>)
}
