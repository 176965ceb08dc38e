// SPDX-License-Identifier: EUPL-1.2

/// Versioned schema migrations (PROTOCOL.md §7.1). Applied in order by `efgs migrate` and at start; each version
/// runs in its own transaction and is recorded in `schema_migrations`. Never edit a released version: add one.
enum Migrations {
    static func all(_ d: SQLStoreDialect) -> [(version: Int, statements: [String])] {
        [
            (
                1,
                [
                    """
                    CREATE TABLE certificates (
                      id \(d.autoIncrementPrimaryKey),
                      created_at BIGINT NOT NULL,
                      thumbprint VARCHAR(64) NOT NULL,
                      country VARCHAR(2) NOT NULL,
                      type VARCHAR(16) NOT NULL,
                      revoked INTEGER NOT NULL DEFAULT 0,
                      host VARCHAR(255),
                      pem TEXT NOT NULL,
                      operator_signature TEXT NOT NULL,
                      UNIQUE (thumbprint, type)
                    )
                    """,
                    """
                    CREATE TABLE upload_batches (
                      id \(d.autoIncrementPrimaryKey),
                      country VARCHAR(2) NOT NULL,
                      upload_tag VARCHAR(64) NOT NULL,
                      accepted_at BIGINT NOT NULL,
                      key_count INTEGER NOT NULL,
                      format VARCHAR(16) NOT NULL,
                      batch_signature TEXT NOT NULL,
                      auth_thumbprint VARCHAR(64) NOT NULL,
                      auth_pem TEXT NOT NULL,
                      auth_operator_signature TEXT NOT NULL,
                      signer_thumbprint VARCHAR(64) NOT NULL,
                      signer_pem TEXT NOT NULL,
                      signer_operator_signature TEXT NOT NULL,
                      download_batch_tag VARCHAR(20)
                    )
                    """,
                    "CREATE INDEX upload_batches_unbatched ON upload_batches (download_batch_tag, id)",
                    "CREATE INDEX upload_batches_accepted ON upload_batches (accepted_at)",
                    """
                    CREATE TABLE diagnosis_keys (
                      id \(d.autoIncrementPrimaryKey),
                      upload_batch_id BIGINT NOT NULL REFERENCES upload_batches (id) ON DELETE CASCADE,
                      position INTEGER NOT NULL,
                      dedup_mac \(d.blob) NOT NULL UNIQUE,
                      payload \(d.blob) NOT NULL
                    )
                    """,
                    "CREATE INDEX diagnosis_keys_batch ON diagnosis_keys (upload_batch_id, position)",
                    """
                    CREATE TABLE upload_tags (
                      country VARCHAR(2) NOT NULL,
                      tag VARCHAR(64) NOT NULL,
                      reserved_at BIGINT NOT NULL,
                      PRIMARY KEY (country, tag)
                    )
                    """,
                    """
                    CREATE TABLE download_batches (
                      seq \(d.autoIncrementPrimaryKey),
                      tag VARCHAR(20) NOT NULL UNIQUE,
                      tag_day BIGINT NOT NULL,
                      tag_number INTEGER NOT NULL,
                      created_at BIGINT NOT NULL,
                      next_tag VARCHAR(20),
                      key_count INTEGER NOT NULL,
                      format VARCHAR(16) NOT NULL,
                      UNIQUE (tag_day, tag_number)
                    )
                    """,
                    "CREATE INDEX download_batches_created ON download_batches (created_at)",
                    """
                    CREATE TABLE callback_subscriptions (
                      id \(d.autoIncrementPrimaryKey),
                      country VARCHAR(2) NOT NULL,
                      callback_id VARCHAR(32) NOT NULL,
                      url VARCHAR(256) NOT NULL,
                      created_at BIGINT NOT NULL,
                      UNIQUE (country, callback_id)
                    )
                    """,
                    """
                    CREATE TABLE callback_tasks (
                      id \(d.autoIncrementPrimaryKey),
                      subscription_id BIGINT NOT NULL REFERENCES callback_subscriptions (id) ON DELETE CASCADE,
                      batch_tag VARCHAR(20) NOT NULL,
                      batch_created_at BIGINT NOT NULL,
                      created_at BIGINT NOT NULL,
                      retries INTEGER NOT NULL DEFAULT 0,
                      last_try BIGINT,
                      locked_at BIGINT,
                      predecessor_id BIGINT
                    )
                    """,
                    "CREATE INDEX callback_tasks_subscription ON callback_tasks (subscription_id, id)",
                    """
                    CREATE TABLE statistics_uploads (
                      id \(d.autoIncrementPrimaryKey),
                      time BIGINT NOT NULL, country VARCHAR(2) NOT NULL, upload_tag VARCHAR(64) NOT NULL,
                      key_count INTEGER NOT NULL
                    )
                    """,
                    """
                    CREATE TABLE statistics_downloads (
                      id \(d.autoIncrementPrimaryKey),
                      time BIGINT NOT NULL, country VARCHAR(2) NOT NULL, batch_tag VARCHAR(20) NOT NULL,
                      key_count INTEGER NOT NULL
                    )
                    """,
                    """
                    CREATE TABLE statistics_cleanups (
                      id \(d.autoIncrementPrimaryKey),
                      time BIGINT NOT NULL, cutoff BIGINT NOT NULL, keys_deleted INTEGER NOT NULL,
                      keys_before INTEGER NOT NULL, keys_after INTEGER NOT NULL
                    )
                    """,
                    """
                    CREATE TABLE job_locks (
                      name VARCHAR(64) PRIMARY KEY,
                      holder VARCHAR(128) NOT NULL,
                      lease_until BIGINT NOT NULL
                    )
                    """,
                ]
            ),
            (
                2,
                [
                    """
                    CREATE TABLE storage_key_checks (
                      key_id VARCHAR(32) PRIMARY KEY,
                      check_value \(d.blob) NOT NULL,
                      recorded_at BIGINT NOT NULL
                    )
                    """,
                    """
                    CREATE TABLE operator_events (
                      id \(d.autoIncrementPrimaryKey),
                      at BIGINT NOT NULL,
                      command VARCHAR(64) NOT NULL,
                      operator VARCHAR(128) NOT NULL,
                      ticket VARCHAR(128),
                      country VARCHAR(2),
                      subject TEXT NOT NULL,
                      outcome TEXT NOT NULL
                    )
                    """,
                    "CREATE INDEX operator_events_at ON operator_events (at)",
                    "ALTER TABLE download_batches ADD COLUMN quarantined_at BIGINT",
                    "ALTER TABLE download_batches ADD COLUMN quarantine_reason TEXT",
                ]
            ),
            (
                3,
                [
                    // bumped whenever key retention deletes upload batches of the download batch: a gateway that
                    // keeps a batch's download response (the download cache) knows it from the row it reads anyway
                    "ALTER TABLE download_batches ADD COLUMN content_version INTEGER NOT NULL DEFAULT 0"
                ]
            ),
            (
                4,
                [
                    // the operator's reports and the health gauges read the statistics by time and by country
                    "CREATE INDEX statistics_uploads_time ON statistics_uploads (time)",
                    "CREATE INDEX statistics_uploads_country_time ON statistics_uploads (country, time)",
                    "CREATE INDEX statistics_downloads_time ON statistics_downloads (time)",
                    "CREATE INDEX statistics_downloads_country_time ON statistics_downloads (country, time)",
                    // what a retention run kept: the acceptance time of the oldest upload batch left (retention
                    // report); NULL for runs recorded before this migration and when nothing was left
                    "ALTER TABLE statistics_cleanups ADD COLUMN oldest_kept BIGINT",
                ]
            ),
        ]
    }
}
