// SPDX-License-Identifier: EUPL-1.2

/// The media types a national backend sends (PROTOCOL.md §5.1, §5.3, §5.4): the one place clients, tools and
/// tests take them from.
extension WireFormat {
    /// The `Content-Type` of an upload body: `application/protobuf; version=1.0` or
    /// `application/json; version=1.0`.
    public func requestContentType(version: ProtocolVersion = .init(major: 1, minor: 0)) -> String {
        switch self {
        case .protobuf: return "\(MediaType.protobuf); version=\(version)"
        case .json: return "\(MediaType.json); version=\(version)"
        }
    }

    /// The `Accept` of a download asking for this format, in the same form.
    public func acceptHeader(version: ProtocolVersion = .init(major: 1, minor: 0)) -> String {
        requestContentType(version: version)
    }

    /// The keys of a download or upload body in this format (§2). A body of more than `maxKeys` keys throws
    /// ``UploadBodyError/tooManyKeys(limit:)`` before its keys are parsed, so a body of millions of empty keys
    /// costs neither memory nor CPU (a gateway then answers 413 whatever else the body holds).
    public func decodeKeys(_ body: [UInt8], maxKeys: Int = .max) throws -> [DiagnosisKey] {
        switch self {
        case .protobuf:
            if let count = DiagnosisKeyBatch.keyCount(protobuf: body), count > maxKeys {
                throw UploadBodyError.tooManyKeys(limit: maxKeys)
            }
            return try DiagnosisKeyBatch.parseProtobuf(body).keys
        case .json: return try DiagnosisKeyJSONDecoder.decode(body, maxKeys: maxKeys)
        }
    }

    /// A body of `keys` in this format (§2): protobuf `DiagnosisKeyBatch` or the exact JSON form.
    public func encodeKeys(_ keys: [DiagnosisKey]) -> [UInt8] {
        switch self {
        case .protobuf:
            var batch = DiagnosisKeyBatch()
            batch.keys = keys
            return batch.protobufBytes()
        case .json: return DiagnosisKeyJSONEncoder.encode(keys)
        }
    }

    /// The `Accept` value audit and callback administration requests send (§5.5, §5.6).
    public static let jsonAccept = MediaType.json
}
