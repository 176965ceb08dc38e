/// The version of this implementation (`efgs --version`, the gateway's `Server` header, readiness reports).
public enum EFGSVersion {
    public static let current = "0.5.0"
    /// The `Server` header value and the report's software name.
    public static var serverName: String { "efgs-swift/\(current)" }
}
