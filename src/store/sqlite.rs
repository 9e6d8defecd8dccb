//! The SQLite store: the embedded default, one file next to the binary.
//!
//! Writes take the database write lock up front (`BEGIN IMMEDIATE`), so a transaction never fails
//! half-way on a lock upgrade; WAL mode lets reads go on meanwhile. Timestamps are stored as
//! RFC 3339 UTC text, which sorts in time order, so comparisons such as `not_before <= now` work
//! on the text. The queries are [`SqlStore`]'s; this file says how SQLite opens and what it says
//! differently.

use super::sql::claim_outbox;
use super::sql_store::{Dialect, SqlStore};
use super::{redact_url, Backend, StoreError};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::Sqlite;
use std::str::FromStr;
use std::time::Duration;

/// The SQLite implementation of [`super::Store`]. Cloning shares the pool.
pub type SqliteStore = SqlStore<Sqlite>;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

const HAS_MIGRATIONS_TABLE: &str = "SELECT EXISTS (SELECT 1 FROM sqlite_master \
     WHERE type = 'table' AND name = '_sqlx_migrations')";

impl Dialect for Sqlite {
    const BACKEND: Backend = Backend::Sqlite;
    /// Takes the write lock at once: a deferred transaction that reads and then writes can fail with
    /// SQLITE_BUSY when another writer committed in between, and the busy timeout cannot help it.
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    /// Run inside `BEGIN IMMEDIATE`, so claimers are serialized and no row is handed out twice.
    const CLAIM_OUTBOX: &'static str = claim_outbox!("");
    const HAS_MIGRATIONS_TABLE: &'static str = HAS_MIGRATIONS_TABLE;

    fn migrator() -> &'static Migrator {
        &MIGRATOR
    }
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` with WAL, foreign keys, a busy timeout
    /// and `synchronous = NORMAL`. `sqlite::memory:` gets a single connection, because an
    /// in-memory database lives only as long as its connections (there, an open [`super::StoreTx`]
    /// makes every other call wait until it ends).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let connect_error = |source| StoreError::Connect {
            url: redact_url(url),
            source,
        };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(connect_error)?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .synchronous(SqliteSynchronous::Normal);
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let pool = if in_memory {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await
        } else {
            SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options.journal_mode(SqliteJournalMode::Wal))
                .await
        }
        .map_err(connect_error)?;
        Ok(SqlStore { pool, tx: None })
    }
}
