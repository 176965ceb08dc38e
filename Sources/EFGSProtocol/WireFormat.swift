// SPDX-License-Identifier: EUPL-1.2

/// The protocol's two wire formats (PROTOCOL.md §2.1 protobuf, §2.2/§2.3 JSON). The raw value is the name used in
/// configuration, on the command line and in storage.
public enum WireFormat: String, Sendable {
    /// `application/protobuf`.
    case protobuf
    /// `application/json`.
    case json

    /// The exact `Content-Type` of a 200 download (§5.4): no space before `version`.
    public func contentType(version: ProtocolVersion) -> String {
        switch self {
        case .protobuf: return "application/protobuf;version=\(version)"
        case .json: return "application/json;version=\(version)"
        }
    }
}
