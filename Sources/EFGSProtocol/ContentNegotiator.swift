// SPDX-License-Identifier: EUPL-1.2

/// Content negotiation of PROTOCOL.md §5.1, §5.3, §5.4, §5.5.
public struct ContentNegotiator: Sendable {
    /// The protobuf protocol version the gateway speaks.
    public let protobufVersion: ProtocolVersion
    /// The JSON protocol version the gateway speaks.
    public let jsonVersion: ProtocolVersion
    /// The answers of ``downloadFormat(accept:)`` to the `Accept` spellings clients send on every download
    /// (``WireFormat/acceptHeader(version:)`` and its form without the space), computed once by the full
    /// negotiation: a download with one of them skips parsing the header (a few percent of the gateway's CPU on
    /// authenticated requests answered without the database, `perf`).
    let usualAccepts: [String: WireFormat]

    /// A negotiator for the configured versions (both 1.0 by default).
    public init(
        protobufVersion: ProtocolVersion = .init(major: 1, minor: 0),
        jsonVersion: ProtocolVersion = .init(major: 1, minor: 0)
    ) {
        let parsing = Self(protobufVersion: protobufVersion, jsonVersion: jsonVersion, usualAccepts: [:])
        var usual: [String: WireFormat] = [:]
        for format in [WireFormat.protobuf, .json] {
            let version = parsing.configuredVersion(format)
            let essence = format == .protobuf ? MediaType.protobuf : MediaType.json
            for accept in [format.acceptHeader(version: version), "\(essence);version=\(version)"] {
                if case .success(let negotiated) = parsing.negotiate(accept: accept) { usual[accept] = negotiated }
            }
        }
        self.init(protobufVersion: protobufVersion, jsonVersion: jsonVersion, usualAccepts: usual)
    }

    private init(protobufVersion: ProtocolVersion, jsonVersion: ProtocolVersion, usualAccepts: [String: WireFormat]) {
        self.protobufVersion = protobufVersion
        self.jsonVersion = jsonVersion
        self.usualAccepts = usualAccepts
    }

    /// The configured version of `format`.
    func configuredVersion(_ format: WireFormat) -> ProtocolVersion {
        format == .protobuf ? protobufVersion : jsonVersion
    }

    /// The wire format of a media type essence, or nil.
    static func format(of essence: String) -> WireFormat? {
        switch essence {
        case MediaType.protobuf: return .protobuf
        case MediaType.json: return .json
        default: return nil
        }
    }

    /// Upload check 1 (before authentication): the body's format, or 415.
    public func uploadFormat(contentType: String?) -> Result<(WireFormat, MediaType), NegotiationFailure> {
        guard let mt = MediaType.parseContentType(contentType), let format = Self.format(of: mt.essence) else {
            return .failure(
                .init(
                    status: 415, message: "Content-Type is not compatible",
                    event: "Accepted Content-Type is not compatible"))
        }
        return .success((format, mt))
    }

    /// Upload checks 6–8 (after authentication and the header checks): the version parameter.
    public func checkUploadVersion(_ mt: MediaType, format: WireFormat) -> NegotiationFailure? {
        guard let v = mt.version else {
            return .init(
                status: 400, message: "Version parameter of Content-Type is required!",
                event: "Version parameter of Accepted Content-Type is required")
        }
        do {
            let parsed = try ProtocolVersion(parsing: v)
            if parsed != configuredVersion(format) {
                return .init(
                    status: 406, message: "Protocol version is not compatible!",
                    event: "Serialization: Protocol version is not compatible")
            }
            return nil
        } catch let e as ProtocolVersion.ParseError {
            return .init(status: 400, message: e.message, event: "Serialization: Protocol version is not compatible")
        } catch {
            return .init(status: 400, message: ProtocolVersion.ParseError.notANumber.message, event: nil)
        }
    }

    /// Download negotiation (§5.4): the first acceptable entry wins; otherwise the first relevant entry decides
    /// the message.
    public func downloadFormat(accept: String?) -> Result<WireFormat, NegotiationFailure> {
        // ASCII only: Swift compares strings by canonical equivalence, and U+037E (Greek question mark) is
        // equivalent to `;`, which the full negotiation does not take for a separator
        if let accept, accept.utf8.allSatisfy({ $0 < 0x80 }), let format = usualAccepts[accept] {
            return .success(format)
        }
        return negotiate(accept: accept)
    }

    /// ``downloadFormat(accept:)`` by parsing the header.
    func negotiate(accept: String?) -> Result<WireFormat, NegotiationFailure> {
        let raw = accept?.trimmingSpaces ?? ""
        if raw.isEmpty {
            return .failure(.init(status: 406, message: "Accept must be set!", event: "Accept must be set"))
        }
        let entries = MediaType.parseAccept(String(raw)).filter { !$0.isExcluded }
        for e in entries {
            if let f = Self.format(of: e.essence), let v = e.version,
                let parsed = try? ProtocolVersion(parsing: v), parsed == configuredVersion(f)
            {
                return .success(f)
            }
        }
        let decider = entries.first {
            Self.format(of: $0.essence) != nil || $0.essence == "*/*" || $0.essence == "application/*"
        }
        guard let d = decider else {
            return .failure(
                .init(
                    status: 406, message: "Content-Type is not compatible",
                    event: "Accepted Content-Type is not compatible"))
        }
        if Self.format(of: d.essence) == nil || d.version == nil {
            return .failure(
                .init(
                    status: 406, message: "Version parameter of Content-Type is required!",
                    event: "Version parameter of Accepted Content-Type is required"))
        }
        return .failure(
            .init(
                status: 406, message: "Protocol version is not compatible!",
                event: "Serialization: Protocol version is not compatible"))
    }

    /// Audit and callback administration (§5.5, §5.6): absent, or an entry `application/json`, `application/*`
    /// or `*/*`.
    public func acceptsJSON(accept: String?) -> NegotiationFailure? {
        let raw = accept?.trimmingSpaces ?? ""
        if raw.isEmpty { return nil }
        let ok = MediaType.parseAccept(String(raw)).contains {
            !$0.isExcluded && ($0.essence == MediaType.json || $0.essence == "application/*" || $0.essence == "*/*")
        }
        return ok
            ? nil
            : .init(
                status: 406, message: "Content-Type is not compatible",
                event: "Accepted Content-Type is not compatible")
    }
}
