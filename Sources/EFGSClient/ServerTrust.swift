// SPDX-License-Identifier: EUPL-1.2

/// Which certificates the client accepts from the gateway's TLS endpoint (https URLs only).
public enum ServerTrust: Sendable {
    /// The system's trust roots and the URL's host name.
    case systemRoots
    /// Only these CA or self-signed certificates (PEM), and the URL's host name.
    case certificates(pem: String)
    /// No verification (tests only).
    case noVerification
}
