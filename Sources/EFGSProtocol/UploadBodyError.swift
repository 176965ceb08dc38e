/// Why a JSON upload body was refused (PROTOCOL.md §2.3).
public enum UploadBodyError: Error, Equatable {
    /// 400 `Failed to read request`.
    case unreadable(String)
    /// 400 `Invalid Base64 in JSON object`.
    case invalidBase64

    /// The 400 message.
    public var message: String {
        switch self {
        case .unreadable: return "Failed to read request"
        case .invalidBase64: return "Invalid Base64 in JSON object"
        }
    }
}
