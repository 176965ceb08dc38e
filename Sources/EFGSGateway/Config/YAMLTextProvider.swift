// SPDX-License-Identifier: EUPL-1.2

import Configuration

/// A configuration provider over YAML text already in memory: swift-configuration's `YAMLSnapshot` parsed once,
/// never reloaded (the library's `FileProvider` reads a file path itself, so the text the unknown-key check read
/// and the text it parses could differ).
///
/// Watching yields the one snapshot and value, with the library's `watchSnapshotFromSnapshot` and
/// `watchValueFromValue`.
struct YAMLTextProvider: ConfigProvider, CustomStringConvertible {
    let yaml: YAMLSnapshot

    /// Parses `text`; `name` is the provider's name in swift-configuration's messages (the file path).
    init(text: [UInt8], name: String) throws {
        yaml = try YAMLSnapshot(data: text.span.bytes, providerName: name, parsingOptions: .default)
    }

    var providerName: String { yaml.providerName }

    var description: String { "YAMLTextProvider[\(providerName)]" }

    func value(forKey key: AbsoluteConfigKey, type: ConfigType) throws -> LookupResult {
        try yaml.value(forKey: key, type: type)
    }

    func fetchValue(forKey key: AbsoluteConfigKey, type: ConfigType) async throws -> LookupResult {
        try value(forKey: key, type: type)
    }

    nonisolated(nonsending) func watchValue<Return: ~Copyable>(
        forKey key: AbsoluteConfigKey, type: ConfigType,
        updatesHandler:
            nonisolated(nonsending) (_ updates: ConfigUpdatesAsyncSequence<Result<LookupResult, any Error>, Never>)
            async throws -> Return
    ) async throws -> Return {
        try await watchValueFromValue(forKey: key, type: type, updatesHandler: updatesHandler)
    }

    func snapshot() -> any ConfigSnapshot { yaml }

    nonisolated(nonsending) func watchSnapshot<Return: ~Copyable>(
        updatesHandler:
            nonisolated(nonsending) (_ updates: ConfigUpdatesAsyncSequence<any ConfigSnapshot, Never>) async throws
            -> Return
    ) async throws -> Return {
        try await watchSnapshotFromSnapshot(updatesHandler: updatesHandler)
    }
}
