// SPDX-License-Identifier: EUPL-1.2

/// Why an operator's certificate or country command was refused (`efgs cert import`, `cert revoke`,
/// `country disconnect`), before anything was written. Shaped like swift-certificates' `CertificateError`: a
/// stable ``Code`` to match on and a reason for people.
public struct CertificateAdministrationError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kinds of refusal; stable across releases.
    public enum Code: String, Sendable {
        /// The certificate fails the onboarding review (version, country, key, signature algorithm, expiry).
        case onboardingReview
        /// The row's operator signature does not verify under the trust anchor, or does not match the row (§7.6).
        case integrity
        /// A row with the same thumbprint and type exists already.
        case duplicate
        /// An argument is not usable (type, host, country code).
        case invalidArgument
        /// The change would do nothing (a country with nothing active).
        case nothingActive
    }

    /// The kind of refusal.
    public var code: Code
    /// What was refused and why, in the words the CLI prints.
    public var reason: String

    /// A refusal of kind `code`.
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// The reason.
    public var description: String { reason }

    /// A country code that is not ISO 3166-1 alpha-2 upper case.
    public static func invalidCountry(_ country: String) -> Self {
        .init(.invalidArgument, "country '\(country)' must be two upper-case letters (ISO 3166-1 alpha-2), e.g. DE")
    }
}
