// SPDX-License-Identifier: EUPL-1.2

/// The gateway's data-access interface (PROTOCOL.md §7.1): every role of the store in one existential, so a
/// component can be handed `any GatewayStore`. SQLite (default) and PostgreSQL implementations sit behind it
/// (``SQLGatewayStore``).
///
/// A component that needs one concern only can depend on its role instead: ``StoreLifecycle``,
/// ``CertificateStore`` (§7.6), ``UploadStore`` (§5.3, §7.1, §7.2), ``BatchStore`` (§7.3), ``DownloadStore``
/// (§5.4, §5.5), ``CallbackStore`` (§5.6, §7.5), ``JobLockStore`` (§7.8), ``StatisticsStore`` (§7.7) and ``ReportStore`` (§7.7 read back).
public protocol GatewayStore:
    StoreLifecycle, CertificateStore, UploadStore, BatchStore, DownloadStore, CallbackStore, JobLockStore,
    StatisticsStore, StorageKeyCheckStore, OperatorEventStore, BatchQuarantineStore, ReportStore
{}
