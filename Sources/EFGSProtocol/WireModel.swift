// SPDX-License-Identifier: EUPL-1.2

import Foundation
import SwiftProtobuf

/// One Temporary Exposure Key as exchanged on the wire (PROTOCOL.md §2.1, `eu.interop.DiagnosisKey`).
public typealias DiagnosisKey = Eu_Interop_DiagnosisKey
/// A batch of keys (`eu.interop.DiagnosisKeyBatch`).
public typealias DiagnosisKeyBatch = Eu_Interop_DiagnosisKeyBatch
/// The report type enum; unknown numbers are kept as `.UNRECOGNIZED(n)` so validation can reject them.
public typealias ReportType = Eu_Interop_ReportType

extension DiagnosisKeyBatch {
    /// Parses a protobuf upload body (proto3; unknown fields skipped, zero-length = empty batch).
    /// Unknown fields are dropped so re-encoding is the standard deterministic form.
    public static func parseProtobuf(_ bytes: [UInt8]) throws -> DiagnosisKeyBatch {
        var batch = try DiagnosisKeyBatch(serializedBytes: bytes)
        batch.unknownFields = UnknownStorage()
        for i in batch.keys.indices { batch.keys[i].unknownFields = UnknownStorage() }
        return batch
    }

    /// The number of keys (field 1 entries) in a protobuf batch, read from the top-level framing alone — no key is
    /// decoded, nothing is allocated — so a body of millions of empty keys is refused before it is parsed
    /// (issue 12). Nil when the framing is broken; ``parseProtobuf(_:)`` then reports the error.
    public static func keyCount(protobuf bytes: [UInt8]) -> Int? {
        var i = 0
        var count = 0
        func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while i < bytes.count, shift < 64 {
                let byte = bytes[i]
                i += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            return nil
        }
        while i < bytes.count {
            guard let tag = varint(), tag >> 3 != 0 else { return nil }
            switch tag & 7 {
            case 0:
                guard varint() != nil else { return nil }
            case 1:
                i += 8
            case 2:
                guard let length = varint(), length <= UInt64(bytes.count - i) else { return nil }
                i += Int(length)
                if tag >> 3 == 1 { count += 1 }
            case 5:
                i += 4
            default:
                return nil  // groups and reserved wire types
            }
            guard i <= bytes.count else { return nil }
        }
        return count
    }

    /// Standard deterministic protobuf encoding (an empty batch is 0 bytes).
    public func protobufBytes() -> [UInt8] {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        return (try? self.serializedBytes(options: options)) ?? []
    }

    /// The same bytes as ``protobufBytes()`` of a batch whose keys have the encodings `encodedKeys` (each a key's
    /// ``DiagnosisKey/protobufBytes()``): `keys` is field 1, so the batch is each key as tag `0x0A`, varint
    /// length, bytes. Lets downloads serve stored payloads without decoding and re-encoding every key.
    public static func protobufBytes(encodedKeys: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(encodedKeys.reduce(0) { $0 + $1.count + 3 })
        for key in encodedKeys {
            out.append(0x0A)
            var length = UInt(key.count)
            while length >= 0x80 {
                out.append(UInt8(truncatingIfNeeded: length) | 0x80)
                length >>= 7
            }
            out.append(UInt8(length))
            out += key
        }
        return out
    }
}

extension DiagnosisKey {
    /// Standard deterministic protobuf encoding of a single key (the stored payload of §7.1).
    public func protobufBytes() -> [UInt8] {
        (try? self.serializedBytes()) ?? []
    }

    /// Decodes a stored payload.
    public static func fromProtobuf(_ bytes: [UInt8]) throws -> DiagnosisKey {
        var key = try DiagnosisKey(serializedBytes: bytes)
        key.unknownFields = UnknownStorage()
        return key
    }
}

extension ReportType {
    /// The proto enum name, or nil for numbers outside the enum.
    public var protoName: String? {
        switch self {
        case .unknown: return "UNKNOWN"
        case .confirmedTest: return "CONFIRMED_TEST"
        case .confirmedClinicalDiagnosis: return "CONFIRMED_CLINICAL_DIAGNOSIS"
        case .selfReport: return "SELF_REPORT"
        case .recursive: return "RECURSIVE"
        case .revoked: return "REVOKED"
        case .UNRECOGNIZED: return nil
        }
    }

    /// Looks up an exact enum name (case-sensitive).
    public init?(protoName: String) {
        switch protoName {
        case "UNKNOWN": self = .unknown
        case "CONFIRMED_TEST": self = .confirmedTest
        case "CONFIRMED_CLINICAL_DIAGNOSIS": self = .confirmedClinicalDiagnosis
        case "SELF_REPORT": self = .selfReport
        case "RECURSIVE": self = .recursive
        case "REVOKED": self = .revoked
        default: return nil
        }
    }
}
