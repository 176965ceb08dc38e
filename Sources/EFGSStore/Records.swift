import EFGSProtocol
import Foundation

/// Certificate types of the certificate table (PROTOCOL.md §1, §7.6).
public enum CertificateType: String, Codable, Sendable, CaseIterable {
    case authentication = "AUTHENTICATION"
    case signing = "SIGNING"
    case callback = "CALLBACK"
}

/// A certificate-table row (§7.6).
public struct CertificateRow: Codable, Sendable, Equatable {
    public var id: Int64?
    public var createdAt: Int64
    public var thumbprint: String
    public var country: String
    public var type: CertificateType
    public var revoked: Bool
    public var host: String?
    public var pem: String
    public var operatorSignature: String

    public init(id: Int64? = nil, createdAt: Int64, thumbprint: String, country: String, type: CertificateType,
                revoked: Bool = false, host: String? = nil, pem: String, operatorSignature: String) {
        self.id = id; self.createdAt = createdAt; self.thumbprint = thumbprint; self.country = country; self.type = type
        self.revoked = revoked; self.host = host; self.pem = pem; self.operatorSignature = operatorSignature
    }
}

/// An accepted upload batch (§7.1), with the snapshots the audit serves.
public struct UploadBatchRecord: Sendable, Equatable {
    public var id: Int64?
    public var country: String
    public var uploadTag: String
    /// Acceptance time, epoch milliseconds.
    public var acceptedAt: Int64
    public var keyCount: Int
    public var format: WireFormat
    public var batchSignature: String
    public var authThumbprint: String
    public var authPEM: String
    public var authOperatorSignature: String
    public var signerThumbprint: String
    public var signerPEM: String
    public var signerOperatorSignature: String
    public var downloadBatchTag: String?

    public init(id: Int64? = nil, country: String, uploadTag: String, acceptedAt: Int64, keyCount: Int, format: WireFormat,
                batchSignature: String, authThumbprint: String, authPEM: String, authOperatorSignature: String,
                signerThumbprint: String, signerPEM: String, signerOperatorSignature: String, downloadBatchTag: String? = nil) {
        self.id = id; self.country = country; self.uploadTag = uploadTag; self.acceptedAt = acceptedAt; self.keyCount = keyCount
        self.format = format; self.batchSignature = batchSignature; self.authThumbprint = authThumbprint; self.authPEM = authPEM
        self.authOperatorSignature = authOperatorSignature; self.signerThumbprint = signerThumbprint; self.signerPEM = signerPEM
        self.signerOperatorSignature = signerOperatorSignature; self.downloadBatchTag = downloadBatchTag
    }
}

/// One stored key: its dedup MAC and its encrypted payload (§7.1).
public struct StoredKey: Sendable, Equatable {
    public var position: Int
    public var dedupMAC: [UInt8]
    public var sealedPayload: [UInt8]
    public init(position: Int, dedupMAC: [UInt8], sealedPayload: [UInt8]) {
        self.position = position; self.dedupMAC = dedupMAC; self.sealedPayload = sealedPayload
    }
}

/// The result of trying to store an upload (§5.3 checks 14, 17, 18).
public enum UploadStoreOutcome: Sendable, Equatable {
    case stored(uploadBatchId: Int64)
    case tagExists
    /// Request positions whose canonical record is already stored or occurs earlier in the request.
    case duplicates(Set<Int>)
}

/// A download batch (§7.3).
public struct DownloadBatchRecord: Sendable, Equatable {
    public var tag: String
    public var createdAt: Int64
    public var nextTag: String?
    public var keyCount: Int
    public var format: WireFormat
}

/// A callback subscription (§5.6).
public struct CallbackSubscription: Sendable, Equatable {
    public var id: Int64?
    public var country: String
    public var callbackId: String
    public var url: String
    public var createdAt: Int64
}

/// A claimed callback task with what its delivery needs (§7.5).
public struct CallbackTask: Sendable, Equatable {
    public var id: Int64
    public var subscriptionId: Int64
    public var country: String
    public var callbackId: String
    public var url: String
    public var batchTag: String
    /// Creation time of the download batch, epoch milliseconds (its UTC date is the `date` parameter).
    public var batchCreatedAt: Int64
    /// Failed attempts so far.
    public var retries: Int
}

/// The figures of one retention run (§7.7).
public struct CleanupResult: Sendable, Equatable {
    public var cutoff: Int64
    public var keysDeleted: Int
    public var keysBefore: Int
    public var keysAfter: Int
}

/// Per-country activity, for operators.
public struct CountryActivity: Sendable, Equatable {
    public var country: String
    public var lastUpload: Int64?
    public var lastDownload: Int64?
}
