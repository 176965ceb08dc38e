// SPDX-License-Identifier: EUPL-1.2

/// Why a JSON upload body was refused (PROTOCOL.md §2.3).
public enum UploadBodyError: Error, Equatable {
    /// 400 `Failed to read request`.
    case unreadable(String)
    /// 400 `Invalid Base64 in JSON object`.
    case invalidBase64
    /// More keys than the limit; found before the keys are parsed (413 `Too many diagnosis keys`, §5.3 check 13).
    case tooManyKeys(limit: Int)

    /// The 400 message.
    public var message: String {
        switch self {
        case .unreadable: return "Failed to read request"
        case .invalidBase64: return "Invalid Base64 in JSON object"
        case .tooManyKeys: return "Too many diagnosis keys"
        }
    }
}
