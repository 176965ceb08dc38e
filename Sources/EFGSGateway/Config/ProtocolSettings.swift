// SPDX-License-Identifier: EUPL-1.2

import EFGSProtocol

/// `content.*`, `upload.*`, `signature.*` and `download.*` (PROTOCOL.md §5, §6, §9): what the API accepts.
public struct ProtocolSettings: Sendable {
    /// `content.protobufVersion`: the protobuf wire version (`major.minor`).
    public var protobufVersion = ProtocolVersion(major: 1, minor: 0)
    /// `content.jsonVersion`: the JSON wire version.
    public var jsonVersion = ProtocolVersion(major: 1, minor: 0)
    /// `upload.maxKeys`: the most keys one upload may carry (413 above).
    public var maxKeys = 5000
    /// `upload.maxBodyBytes`: the largest upload body (413 above).
    public var maxBodyBytes = 16 * 1024 * 1024
    /// `signature.allowLegacySha1`: accept SHA-1 batch signatures (§6.3), with a warning per upload.
    public var allowLegacySha1 = false
    /// `download.maxAgeDays`: how many days back downloads and audits may ask (410 beyond).
    public var downloadMaxAgeDays = 2
    /// `download.cacheMegabytes`: the most memory (MiB) the download cache holds in response bodies; 0 turns it off.
    public var downloadCacheMegabytes = 256

    /// The defaults of §9.
    public init() {}

    init(content: SettingsReader, upload: SettingsReader, signature: SettingsReader, download: SettingsReader) throws {
        protobufVersion = try content.version("protobufVersion")
        jsonVersion = try content.version("jsonVersion")
        maxKeys = try upload.int("maxKeys", default: maxKeys, in: 1...1_000_000)
        maxBodyBytes = try upload.int("maxBodyBytes", default: maxBodyBytes, in: 1...1_073_741_824)
        allowLegacySha1 = try signature.bool("allowLegacySha1", default: false)
        downloadMaxAgeDays = try download.int("maxAgeDays", default: downloadMaxAgeDays, in: 0...365)
        downloadCacheMegabytes = try download.int("cacheMegabytes", default: downloadCacheMegabytes, in: 0...65_536)
    }

    /// The configured version of `format`.
    public func version(of format: WireFormat) -> ProtocolVersion {
        format == .protobuf ? protobufVersion : jsonVersion
    }
}
