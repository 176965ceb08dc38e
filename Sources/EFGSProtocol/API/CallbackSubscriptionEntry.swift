// SPDX-License-Identifier: EUPL-1.2

import Foundation

/// One callback subscription as `GET /diagnosiskeys/callback` lists it (PROTOCOL.md §5.6).
public struct CallbackSubscriptionEntry: Codable, Sendable, Equatable {
    /// The subscriber's identifier (1–32 of `[A-Za-z0-9._-]`).
    public var callbackId: String
    /// The HTTPS URL the gateway notifies.
    public var url: String

    /// A subscription entry.
    public init(callbackId: String, url: String) {
        self.callbackId = callbackId
        self.url = url
    }

    /// The entry as the gateway writes it: `{"callbackId":…,"url":…}`.
    public var jsonText: String {
        "{\"callbackId\":\(JSONText.quoted(callbackId)),\"url\":\(JSONText.quoted(url))}"
    }

    /// The exact bytes of the list answer: a JSON array of entries.
    public static func encoded(_ entries: [CallbackSubscriptionEntry]) -> [UInt8] {
        Array(JSONText.array(entries.map(\.jsonText)).utf8)
    }

    /// Reads the list answer.
    public static func decodeList(_ bytes: [UInt8]) throws -> [CallbackSubscriptionEntry] {
        try JSONDecoder().decode([CallbackSubscriptionEntry].self, from: Data(bytes))
    }
}
