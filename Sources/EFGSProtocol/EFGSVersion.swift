// SPDX-License-Identifier: EUPL-1.2

/// The software version of this implementation (`efgs --version`, the gateway's `Server` header, `/readyz`, the
/// `Gateway listening` event, readiness reports). Not to be confused with the protocol's wire versions
/// (``ProtocolVersion``).
///
/// The one place the version is written: bump it with each user-visible change, together with a CHANGELOG.md
/// section of the same number (`tools/release.sh` refuses a version the CHANGELOG does not name). The git commit of a
/// build is not known here: `tools/release.sh` embeds it in the `efgs` binary, which passes it on.
public enum EFGSVersion {
    /// The release number (Semantic Versioning).
    public static let current = "0.5.0"
    /// The `Server` header value and the report's software name.
    public static var serverName: String { "efgs-swift/\(current)" }
}
