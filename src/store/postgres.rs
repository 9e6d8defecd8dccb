//! The PostgreSQL store: for several replicas sharing one database.
//!
//! Replicas coordinate only through the database: the outbox claim skips rows another replica
//! holds locked (`FOR UPDATE SKIP LOCKED`), and unique keys (round slot, ask, nudge, outbox
//! idempotency key, inbound event key) make every race end in exactly one row. The queries are
//! [`SqlStore`]'s; this file says how PostgreSQL connects and what it says differently.

use super::sql::claim_outbox;
use super::sql_store::{Dialect, SqlStore};
use super::{redact_url, Backend, StoreError};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::{Connection, Postgres};
use std::str::FromStr;
use std::time::Duration;

/// The PostgreSQL implementation of [`super::Store`]. Cloning shares the pool.
pub type PgStore = SqlStore<Postgres>;

/// How long opening the store and waiting for a pooled connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

impl Dialect for Postgres {
    const BACKEND: Backend = Backend::Postgres;
    const BEGIN_WRITE: &'static str = "BEGIN";
    /// Rows locked by a concurrent claimer are skipped rather than waited for, and the row filter is
    /// re-checked under the lock, so no row is handed out twice.
    const CLAIM_OUTBOX: &'static str = claim_outbox!(" FOR UPDATE SKIP LOCKED");
    const HAS_MIGRATIONS_TABLE: &'static str = "SELECT to_regclass('_sqlx_migrations') IS NOT NULL";

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }
}

impl PgStore {
    /// Connects to `url`, failing within a few seconds (naming the URL, password redacted) when the
    /// server cannot be reached.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let connect_error = |source| StoreError::Connect {
            url: redact_url(url),
            source,
        };
        let options = PgConnectOptions::from_str(url).map_err(connect_error)?;
        // One direct connection first: the pool would report only "pool timed out", hiding
        // "connection refused" or "password authentication failed".
        let probe = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options))
            .await
            .map_err(|_| {
                connect_error(sqlx::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
                )))
            })?
            .map_err(connect_error)?;
        probe.close().await.map_err(connect_error)?;
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(connect_error)?;
        Ok(SqlStore { pool, tx: None })
    }
}
