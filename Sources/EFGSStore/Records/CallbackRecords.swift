// SPDX-License-Identifier: EUPL-1.2

/// A callback subscription (§5.6).
public struct CallbackSubscription: Sendable, Equatable {
    /// Row id; nil until the subscription is stored.
    public var id: Int64?
    /// The subscribing country.
    public var country: String
    /// The country's name for the subscription, unique per country.
    public var callbackId: String
    /// The HTTPS URL notified of each new download batch (§7.5 URL rules).
    public var url: String
    /// Creation time, epoch milliseconds.
    public var createdAt: Int64
}

/// A claimed callback task with what its delivery needs (§7.5).
public struct CallbackTask: Sendable, Equatable {
    /// The task's row id.
    public var id: Int64
    /// Row id of the task's subscription.
    public var subscriptionId: Int64
    /// The subscription's country.
    public var country: String
    /// The subscription's callback id.
    public var callbackId: String
    /// The subscription's URL.
    public var url: String
    /// The download batch the task announces (the `batchTag` parameter).
    public var batchTag: String
    /// Creation time of the download batch, epoch milliseconds (its UTC date is the `date` parameter).
    public var batchCreatedAt: Int64
    /// Failed attempts so far.
    public var retries: Int
}

/// The callback tasks waiting for one subscription (docs/metrics.md).
public struct CallbackBacklog: Sendable, Equatable {
    /// The subscribing country.
    public var country: String
    /// The subscription's `callbackId` (§5.6).
    public var callbackId: String
    /// Tasks not yet delivered or dropped.
    public var pending: Int
    /// Those of them that failed at least once.
    public var failing: Int

    /// The backlog of `country`'s subscription `callbackId`.
    public init(country: String, callbackId: String, pending: Int, failing: Int) {
        self.country = country
        self.callbackId = callbackId
        self.pending = pending
        self.failing = failing
    }
}
