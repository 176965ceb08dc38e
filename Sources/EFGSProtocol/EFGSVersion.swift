// SPDX-License-Identifier: EUPL-1.2

/// The software version of this implementation (`efgs --version`, the gateway's `Server` header, readiness
/// reports). Not to be confused with the protocol's wire versions (``ProtocolVersion``).
public enum EFGSVersion {
    /// The release number.
    public static let current = "0.5.0"
    /// The `Server` header value and the report's software name.
    public static var serverName: String { "efgs-swift/\(current)" }
}
