//! The one store implementation: every query of [`Store`], written once over a [`Dialect`].
//!
//! The statements are shared (`sql.rs`); what differs between SQLite and PostgreSQL is the handful of
//! constants and the migrator a [`Dialect`] gives, and how each opens its pool (`sqlite.rs`,
//! `postgres.rs`). A call runs in its own transaction (writes), on a pooled connection (reads), or in
//! the caller's [`StoreTx`].

use super::sql;
use super::types::*;
use super::{forget, lease_until, Backend, ForgetReport, Store, StoreError, StoreTx, TxControl};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::migrate::{Migrate, Migrator};
use sqlx::pool::PoolConnection;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Pool, Type};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard};

/// What one database engine says differently; everything else is shared SQL.
pub trait Dialect:
    Database<Connection: Migrate, QueryResult: RowsAffected, Arguments: IntoArguments<Self>>
{
    const BACKEND: Backend;
    /// Starts a write transaction (SQLite takes the write lock at once: `BEGIN IMMEDIATE`).
    const BEGIN_WRITE: &'static str;
    /// Claims due outbox rows (`$1` owner, `$2` lease end, `$3` now, `$4` limit) and returns them.
    const CLAIM_OUTBOX: &'static str;
    /// One boolean: whether sqlx's migrations table exists yet.
    const HAS_MIGRATIONS_TABLE: &'static str;
    /// This engine's embedded migrations.
    fn migrator() -> &'static Migrator;
}

/// How many rows a statement changed, whichever engine ran it.
pub trait RowsAffected {
    fn rows_affected(&self) -> u64;
}

impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

const SCHEMA_VERSION: &str = "SELECT MAX(version) FROM _sqlx_migrations WHERE success";

/// A query returning one column, with its arguments bound.
type Scalar<'q, DB, O> = sqlx::query::QueryScalar<'q, DB, O, <DB as Database>::Arguments>;

type SharedTx<DB> = Arc<Mutex<Option<sqlx::Transaction<'static, DB>>>>;

/// The [`Store`] over one database engine ([`super::SqliteStore`], [`super::PgStore`]). Cloning
/// shares the pool.
pub struct SqlStore<DB: Dialect> {
    pub(super) pool: Pool<DB>,
    /// Set on the store a [`StoreTx`] wraps: every call then runs in that transaction.
    pub(super) tx: Option<SharedTx<DB>>,
}

impl<DB: Dialect> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        SqlStore {
            pool: self.pool.clone(),
            tx: self.tx.clone(),
        }
    }
}

/// Where one call runs: its own write transaction, a plain pooled connection (reads), or the
/// caller's [`StoreTx`].
enum Work<'a, DB: Database> {
    Own(sqlx::Transaction<'static, DB>),
    Conn(PoolConnection<DB>),
    Shared(MutexGuard<'a, Option<sqlx::Transaction<'static, DB>>>),
}

impl<DB: Database> Work<'_, DB> {
    fn conn(&mut self) -> &mut DB::Connection {
        match self {
            Work::Own(tx) => tx,
            Work::Conn(conn) => conn,
            Work::Shared(guard) => guard
                .as_mut()
                .expect("a finished transaction is rejected before a Work is made"),
        }
    }

    /// Commits the call's own transaction; inside a `StoreTx` the caller commits.
    async fn done(self) -> Result<(), StoreError> {
        if let Work::Own(tx) = self {
            tx.commit().await?;
        }
        Ok(())
    }
}

const FINISHED: StoreError =
    StoreError::Transaction("the transaction was already committed or rolled back");

impl<DB: Dialect> SqlStore<DB> {
    /// The underlying pool, for tests and tools that need raw access.
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    async fn write(&self) -> Result<Work<'_, DB>, StoreError> {
        match &self.tx {
            Some(shared) => Self::shared(shared).await,
            None => Ok(Work::Own(self.pool.begin_with(DB::BEGIN_WRITE).await?)),
        }
    }

    async fn read(&self) -> Result<Work<'_, DB>, StoreError> {
        match &self.tx {
            Some(shared) => Self::shared(shared).await,
            None => Ok(Work::Conn(self.pool.acquire().await?)),
        }
    }

    async fn shared(shared: &SharedTx<DB>) -> Result<Work<'_, DB>, StoreError> {
        let guard = shared.lock().await;
        if guard.is_none() {
            return Err(FINISHED);
        }
        Ok(Work::Shared(guard))
    }
}

/// Commits or rolls back the transaction a [`StoreTx`] holds.
struct SharedTxControl<DB: Database>(SharedTx<DB>);

#[async_trait]
impl<DB: Database> TxControl for SharedTxControl<DB> {
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let tx = self.0.lock().await.take().ok_or(FINISHED)?;
        tx.commit().await?;
        Ok(())
    }

    async fn rollback(self: Box<Self>) -> Result<(), StoreError> {
        let tx = self.0.lock().await.take().ok_or(FINISHED)?;
        tx.rollback().await?;
        Ok(())
    }
}

fn role_keys(rows: Vec<(PersonId, String)>) -> Result<BTreeSet<(PersonId, Role)>, StoreError> {
    rows.into_iter()
        .map(|(person, role)| {
            let role = role
                .parse::<Role>()
                .map_err(|e| StoreError::Database(sqlx::Error::Decode(Box::new(e))))?;
            Ok((person, role))
        })
        .collect()
}

/// The statements that are more than one query, on one connection inside the caller's transaction.
impl<DB: Dialect> SqlStore<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'r> &'r str: ColumnIndex<DB::Row>,
    usize: ColumnIndex<DB::Row>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> DateTime<Utc>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> Option<String>: Encode<'q, DB>,
    for<'q> Option<i64>: Encode<'q, DB>,
    for<'q> Option<DateTime<Utc>>: Encode<'q, DB>,
    for<'q> Option<TeamId>: Encode<'q, DB>,
    for<'q> Option<RoundId>: Encode<'q, DB>,
    for<'q> Option<AskId>: Encode<'q, DB>,
    for<'q> Option<PromptId>: Encode<'q, DB>,
{
    /// "Insert … ON CONFLICT DO NOTHING RETURNING id, else select the id": the new row's id, or the id of
    /// the row already holding the natural key (`existing` selects it by that key).
    async fn insert_or_fetch<Id>(
        conn: &mut DB::Connection,
        insert: Scalar<'_, DB, Id>,
        existing: Scalar<'_, DB, Id>,
    ) -> Result<Inserted<Id>, StoreError>
    where
        Id: Send + Unpin,
        (Id,): Send + Unpin + for<'r> FromRow<'r, DB::Row>,
    {
        if let Some(id) = insert.fetch_optional(&mut *conn).await? {
            return Ok(Inserted::New(id));
        }
        Ok(Inserted::Existing(existing.fetch_one(&mut *conn).await?))
    }

    /// A person by their platform id, created on first sight.
    async fn upsert_person_in(
        conn: &mut DB::Connection,
        platform: Platform,
        workspace_id: &str,
        platform_user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Inserted<PersonId>, StoreError> {
        let insert = sqlx::query_scalar(sql::INSERT_PERSON)
            .bind(platform.as_str())
            .bind(workspace_id)
            .bind(platform_user_id)
            .bind(now);
        let existing = sqlx::query_scalar(sql::PERSON_ID_BY_PLATFORM_ID)
            .bind(platform.as_str())
            .bind(workspace_id)
            .bind(platform_user_id);
        Self::insert_or_fetch(conn, insert, existing).await
    }

    /// [`Store::forget_person`] on one connection (inside the caller's transaction); the rules are in `forget.rs`.
    async fn forget_in(
        conn: &mut DB::Connection,
        id: PersonId,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<ForgetReport, StoreError> {
        let person: Person = sqlx::query_as(sql::PERSON_BY_ID)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "person",
                id: id.0.to_string(),
            })?;
        let counts: (i64, i64, i64, i64, i64, i64, i64, i64, i64) =
            sqlx::query_as(sql::FORGET_COUNTS)
                .bind(id)
                .fetch_one(&mut *conn)
                .await?;
        let mut report = ForgetReport {
            roles: counts.0,
            asks: counts.1,
            drafts: counts.2,
            versions: counts.3,
            reviews: counts.4,
            posts: counts.5,
            nudges: counts.6,
            shares: counts.7,
            edits_credited_to_authors: counts.8,
            ..ForgetReport::default()
        };
        let texts: Vec<String> = sqlx::query_scalar(sql::FORGET_TEXTS)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
        let mut owned = forget::Owned::default();
        let things: Vec<(String, i64)> = sqlx::query_as(sql::FORGET_OWNED)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
        for (kind, thing) in things {
            owned.add(kind, thing);
        }
        let keys: Vec<(i64, String)> = sqlx::query_as(sql::OUTBOX_KEYS)
            .fetch_all(&mut *conn)
            .await?;
        for (row, key) in keys {
            if owned.caused(&key) {
                let done = sqlx::query(sql::DELETE_OUTBOX_ROW)
                    .bind(row)
                    .execute(&mut *conn)
                    .await?;
                report.outbox_deleted += done.rows_affected() as i64;
            }
        }
        let done = sqlx::query(sql::FORGET_OUTBOX_TO)
            .bind(person.platform.as_str())
            .bind(&person.workspace_id)
            .bind(forget::addressed_to(&person))
            .execute(&mut *conn)
            .await?;
        report.outbox_deleted += done.rows_affected() as i64;
        for needle in forget::needles(&person, &texts) {
            let done = sqlx::query(sql::REDACT_OUTBOX)
                .bind(&needle)
                .bind(forget::REDACTED_PAYLOAD)
                .bind(person.platform.as_str())
                .bind(&person.workspace_id)
                .execute(&mut *conn)
                .await?;
            report.outbox_redacted += done.rows_affected() as i64;
            let done = sqlx::query(sql::ANONYMISE_AUDIT_CONTAINING)
                .bind(&needle)
                .bind(person.platform.as_str())
                .bind(&person.workspace_id)
                .execute(&mut *conn)
                .await?;
            report.audit_anonymised += done.rows_affected() as i64;
        }
        for name in forget::audit_names(&person) {
            let done = sqlx::query(sql::ANONYMISE_AUDIT_BY_NAME)
                .bind(&name)
                .bind(person.platform.as_str())
                .bind(&person.workspace_id)
                .execute(&mut *conn)
                .await?;
            report.audit_anonymised += done.rows_affected() as i64;
        }
        sqlx::query(sql::CREDIT_EDITS_TO_AUTHORS)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        let teams: Vec<Team> = sqlx::query_as(sql::TEAMS_IN_WORKSPACE)
            .bind(person.platform.as_str())
            .bind(&person.workspace_id)
            .fetch_all(&mut *conn)
            .await?;
        for team in teams {
            if let Some(settings) =
                forget::settings_without(&team.settings_json, &person.platform_user_id)
            {
                sqlx::query(sql::SET_TEAM_SETTINGS_JSON)
                    .bind(team.id)
                    .bind(settings)
                    .execute(&mut *conn)
                    .await?;
                if team.source == TeamSource::Config {
                    report.config_teams.push(team.name);
                }
            }
        }
        sqlx::query(sql::DELETE_PERSON)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        let entry = forget::forgotten_entry(&report, actor, now);
        sqlx::query_scalar::<_, AuditId>(sql::INSERT_AUDIT)
            .bind(entry.at)
            .bind(entry.team_id)
            .bind(&entry.actor)
            .bind(&entry.action)
            .bind(&entry.subject)
            .bind(&entry.detail_json)
            .fetch_one(&mut *conn)
            .await?;
        Ok(report)
    }
}

#[async_trait]
impl<DB: Dialect> Store for SqlStore<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'r> &'r str: ColumnIndex<DB::Row>,
    usize: ColumnIndex<DB::Row>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> DateTime<Utc>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB>,
    for<'q> Option<String>: Encode<'q, DB>,
    for<'q> Option<i64>: Encode<'q, DB>,
    for<'q> Option<DateTime<Utc>>: Encode<'q, DB>,
    for<'q> Option<TeamId>: Encode<'q, DB>,
    for<'q> Option<RoundId>: Encode<'q, DB>,
    for<'q> Option<AskId>: Encode<'q, DB>,
    for<'q> Option<PromptId>: Encode<'q, DB>,
{
    fn backend(&self) -> Backend {
        DB::BACKEND
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        if self.tx.is_some() {
            return Err(StoreError::Transaction(
                "migrate runs outside a transaction",
            ));
        }
        DB::migrator().run(&self.pool).await?;
        Ok(())
    }

    async fn schema_version(&self) -> Result<Option<i64>, StoreError> {
        let mut w = self.read().await?;
        let has_table: bool = sqlx::query_scalar(DB::HAS_MIGRATIONS_TABLE)
            .fetch_one(w.conn())
            .await?;
        let version = if !has_table {
            None
        } else {
            sqlx::query_scalar(SCHEMA_VERSION)
                .fetch_one(w.conn())
                .await?
        };
        w.done().await?;
        Ok(version)
    }

    async fn begin(&self) -> Result<StoreTx, StoreError> {
        if self.tx.is_some() {
            return Err(StoreError::Transaction("transactions do not nest"));
        }
        let tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let shared: SharedTx<DB> = Arc::new(Mutex::new(Some(tx)));
        let inner = SqlStore {
            pool: self.pool.clone(),
            tx: Some(shared.clone()),
        };
        Ok(StoreTx::new(
            Box::new(inner),
            Box::new(SharedTxControl(shared)),
        ))
    }

    async fn close(&self) {
        if self.tx.is_none() {
            self.pool.close().await;
        }
    }

    // ---- teams and people ----

    async fn sync_teams(
        &self,
        teams: &[TeamSpec],
        now: DateTime<Utc>,
    ) -> Result<SyncReport, StoreError> {
        let mut w = self.write().await?;
        let mut report = SyncReport::default();
        for spec in teams {
            let created: Option<TeamId> = sqlx::query_scalar(sql::INSERT_TEAM)
                .bind(&spec.name)
                .bind(spec.platform.as_str())
                .bind(&spec.workspace_id)
                .bind(&spec.settings_json)
                .bind(TeamSource::Config.as_str())
                .bind(now)
                .fetch_optional(w.conn())
                .await?;
            let team_id = match created {
                Some(id) => {
                    report.teams_created += 1;
                    id
                }
                None => {
                    let team: Team = sqlx::query_as(sql::TEAM_COLUMNS_BY_NAME)
                        .bind(&spec.name)
                        .fetch_one(w.conn())
                        .await?;
                    if team.source == TeamSource::Command {
                        report.skipped_command_teams.push(spec.name.clone());
                        continue;
                    }
                    if team.platform != spec.platform
                        || team.workspace_id != spec.workspace_id
                        || team.settings_json != spec.settings_json
                    {
                        sqlx::query(sql::UPDATE_CONFIG_TEAM)
                            .bind(team.id)
                            .bind(spec.platform.as_str())
                            .bind(&spec.workspace_id)
                            .bind(&spec.settings_json)
                            .bind(now)
                            .execute(w.conn())
                            .await?;
                        report.teams_updated += 1;
                    }
                    team.id
                }
            };

            let mut wanted = BTreeSet::new();
            for person in &spec.people {
                let id = Self::upsert_person_in(
                    w.conn(),
                    spec.platform,
                    &spec.workspace_id,
                    &person.platform_user_id,
                    now,
                )
                .await?;
                if id.is_new() {
                    report.people_added += 1;
                }
                for role in &person.roles {
                    wanted.insert((id.id(), *role));
                }
            }
            let rows: Vec<(PersonId, String)> = sqlx::query_as(sql::TEAM_ROLE_KEYS)
                .bind(team_id)
                .fetch_all(w.conn())
                .await?;
            let current = role_keys(rows)?;
            for (person, role) in wanted.difference(&current) {
                sqlx::query(sql::INSERT_TEAM_ROLE)
                    .bind(team_id)
                    .bind(*person)
                    .bind(role.as_str())
                    .execute(w.conn())
                    .await?;
                report.roles_added += 1;
            }
            for (person, role) in current.difference(&wanted) {
                sqlx::query(sql::DELETE_TEAM_ROLE)
                    .bind(team_id)
                    .bind(*person)
                    .bind(role.as_str())
                    .execute(w.conn())
                    .await?;
                report.roles_removed += 1;
            }
            if !wanted.is_subset(&current) || !current.is_subset(&wanted) {
                sqlx::query(sql::FORGET_TEAM_NEXT_DUE)
                    .bind(team_id)
                    .execute(w.conn())
                    .await?;
            }
        }
        w.done().await?;
        Ok(report)
    }

    async fn create_command_team(
        &self,
        team: &NewTeam,
        now: DateTime<Utc>,
    ) -> Result<Option<TeamId>, StoreError> {
        let mut w = self.write().await?;
        let id = sqlx::query_scalar(sql::INSERT_TEAM)
            .bind(&team.name)
            .bind(team.platform.as_str())
            .bind(&team.workspace_id)
            .bind(&team.settings_json)
            .bind(TeamSource::Command.as_str())
            .bind(now)
            .fetch_optional(w.conn())
            .await?;
        w.done().await?;
        Ok(id)
    }

    async fn update_team_settings(
        &self,
        team: TeamId,
        settings_json: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut w = self.write().await?;
        let done = sqlx::query(sql::UPDATE_COMMAND_TEAM_SETTINGS)
            .bind(team)
            .bind(settings_json)
            .bind(now)
            .execute(w.conn())
            .await?;
        w.done().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn team(&self, id: TeamId) -> Result<Option<Team>, StoreError> {
        let mut w = self.read().await?;
        let team = sqlx::query_as(sql::TEAM_BY_ID)
            .bind(id)
            .fetch_optional(w.conn())
            .await?;
        w.done().await?;
        Ok(team)
    }

    async fn team_by_name(&self, name: &str) -> Result<Option<Team>, StoreError> {
        let mut w = self.read().await?;
        let team = sqlx::query_as(sql::TEAM_COLUMNS_BY_NAME)
            .bind(name)
            .fetch_optional(w.conn())
            .await?;
        w.done().await?;
        Ok(team)
    }

    async fn teams(&self) -> Result<Vec<Team>, StoreError> {
        let mut w = self.read().await?;
        let teams = sqlx::query_as(sql::TEAMS).fetch_all(w.conn()).await?;
        w.done().await?;
        Ok(teams)
    }

    async fn due_teams(&self, now: DateTime<Utc>) -> Result<Vec<Team>, StoreError> {
        let mut w = self.read().await?;
        let teams = sqlx::query_as(sql::DUE_TEAMS)
            .bind(now)
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        Ok(teams)
    }

    async fn next_clock_work(
        &self,
        since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<ClockWork, StoreError> {
        let mut w = self.read().await?;
        let (replanned, due_now): (bool, bool) = sqlx::query_as(sql::CLOCK_WORK_DUE)
            .bind(now)
            .bind(since.unwrap_or(DateTime::UNIX_EPOCH))
            .fetch_one(w.conn())
            .await?;
        let next: Option<DateTime<Utc>> = sqlx::query_scalar(sql::NEXT_CLOCK_WORK)
            .bind(now)
            .fetch_one(w.conn())
            .await?;
        w.done().await?;
        Ok(ClockWork {
            replanned,
            due_now,
            next,
        })
    }

    async fn claim_due_team(
        &self,
        team: TeamId,
        now: DateTime<Utc>,
    ) -> Result<Option<Team>, StoreError> {
        let mut w = self.write().await?;
        let team = sqlx::query_as(sql::CLAIM_DUE_TEAM)
            .bind(team)
            .bind(now)
            .fetch_optional(w.conn())
            .await?;
        w.done().await?;
        Ok(team)
    }

    async fn set_team_next_due(
        &self,
        team: TeamId,
        claimed_at: DateTime<Utc>,
        next: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        let mut w = self.write().await?;
        let done = sqlx::query(sql::SET_TEAM_NEXT_DUE)
            .bind(team)
            .bind(claimed_at)
            .bind(next)
            .execute(w.conn())
            .await?;
        w.done().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn team_people(&self, team: TeamId) -> Result<Vec<(Person, Role)>, StoreError> {
        let mut w = self.read().await?;
        let rows: Vec<PersonWithRole> = sqlx::query_as(sql::TEAM_PEOPLE)
            .bind(team)
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        Ok(rows.into_iter().map(|r| (r.person, r.role)).collect())
    }

    async fn upsert_person(
        &self,
        platform: Platform,
        workspace_id: &str,
        platform_user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Inserted<PersonId>, StoreError> {
        let mut w = self.write().await?;
        let id =
            Self::upsert_person_in(w.conn(), platform, workspace_id, platform_user_id, now).await?;
        w.done().await?;
        Ok(id)
    }

    async fn person(&self, id: PersonId) -> Result<Option<Person>, StoreError> {
        let mut w = self.read().await?;
        let person = sqlx::query_as(sql::PERSON_BY_ID)
            .bind(id)
            .fetch_optional(w.conn())
            .await?;
        w.done().await?;
        Ok(person)
    }

    async fn person_by_platform_id(
        &self,
        platform: Platform,
        workspace_id: &str,
        platform_user_id: &str,
    ) -> Result<Option<Person>, StoreError> {
        let mut w = self.read().await?;
        let person = sqlx::query_as(sql::PERSON_BY_PLATFORM_ID)
            .bind(platform.as_str())
            .bind(workspace_id)
            .bind(platform_user_id)
            .fetch_optional(w.conn())
            .await?;
        w.done().await?;
        Ok(person)
    }

    async fn people_by_platform_user_id(
        &self,
        platform_user_id: &str,
    ) -> Result<Vec<Person>, StoreError> {
        let mut w = self.read().await?;
        let people = sqlx::query_as(sql::PEOPLE_BY_PLATFORM_USER_ID)
            .bind(platform_user_id)
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        Ok(people)
    }

    async fn forget_person(
        &self,
        id: PersonId,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<ForgetReport, StoreError> {
        let mut w = self.write().await?;
        let report = Self::forget_in(w.conn(), id, actor, now).await?;
        w.done().await?;
        Ok(report)
    }

    async fn teams_of_person(&self, person: PersonId) -> Result<Vec<(Team, Role)>, StoreError> {
        let mut w = self.read().await?;
        let rows: Vec<TeamWithRole> = sqlx::query_as(sql::TEAMS_OF_PERSON)
            .bind(person)
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        Ok(rows.into_iter().map(|r| (r.team, r.role)).collect())
    }

    async fn set_person_display_name(
        &self,
        id: PersonId,
        name: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        sqlx::query(sql::SET_PERSON_DISPLAY_NAME)
            .bind(id)
            .bind(name)
            .execute(w.conn())
            .await?;
        w.done().await
    }

    async fn set_person_muted(&self, id: PersonId, muted: bool) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        sqlx::query(sql::SET_PERSON_MUTED)
            .bind(id)
            .bind(muted)
            .execute(w.conn())
            .await?;
        w.done().await
    }

    async fn set_person_paused_until(
        &self,
        id: PersonId,
        until: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        sqlx::query(sql::SET_PERSON_PAUSED_UNTIL)
            .bind(id)
            .bind(until)
            .execute(w.conn())
            .await?;
        w.done().await
    }

    async fn set_person_out_of_office(&self, id: PersonId, out: bool) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        sqlx::query(sql::SET_PERSON_OUT_OF_OFFICE)
            .bind(id)
            .bind(out)
            .execute(w.conn())
            .await?;
        w.done().await
    }

    async fn set_person_time_zone(
        &self,
        id: PersonId,
        zone: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        sqlx::query(sql::SET_PERSON_TIME_ZONE)
            .bind(id)
            .bind(zone)
            .execute(w.conn())
            .await?;
        sqlx::query(sql::FORGET_NEXT_DUE_OF_PERSON_TEAMS)
            .bind(id)
            .execute(w.conn())
            .await?;
        w.done().await
    }

    async fn set_person_dms_closed(&self, id: PersonId, closed: bool) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        sqlx::query(sql::SET_PERSON_DMS_CLOSED)
            .bind(id)
            .bind(closed)
            .execute(w.conn())
            .await?;
        w.done().await
    }

    async fn set_person_mastodon_instance(
        &self,
        id: PersonId,
        host: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        sqlx::query(sql::SET_PERSON_MASTODON_INSTANCE)
            .bind(id)
            .bind(host)
            .execute(w.conn())
            .await?;
        w.done().await
    }

    async fn set_person_dm_channel(
        &self,
        id: PersonId,
        channel: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        sqlx::query(sql::SET_PERSON_DM_CHANNEL)
            .bind(id)
            .bind(channel)
            .execute(w.conn())
            .await?;
        w.done().await
    }

    async fn grant_role(
        &self,
        team: TeamId,
        person: PersonId,
        role: Role,
    ) -> Result<bool, StoreError> {
        let mut w = self.write().await?;
        let done = sqlx::query(sql::INSERT_TEAM_ROLE)
            .bind(team)
            .bind(person)
            .bind(role.as_str())
            .execute(w.conn())
            .await?;
        if done.rows_affected() == 1 {
            sqlx::query(sql::FORGET_TEAM_NEXT_DUE)
                .bind(team)
                .execute(w.conn())
                .await?;
        }
        w.done().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn revoke_role(
        &self,
        team: TeamId,
        person: PersonId,
        role: Role,
    ) -> Result<bool, StoreError> {
        let mut w = self.write().await?;
        let done = sqlx::query(sql::DELETE_TEAM_ROLE)
            .bind(team)
            .bind(person)
            .bind(role.as_str())
            .execute(w.conn())
            .await?;
        if done.rows_affected() == 1 {
            sqlx::query(sql::FORGET_TEAM_NEXT_DUE)
                .bind(team)
                .execute(w.conn())
                .await?;
        }
        w.done().await?;
        Ok(done.rows_affected() == 1)
    }

    // ---- rounds and asks ----

    async fn open_round(
        &self,
        team: TeamId,
        scheduled_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<RoundOpened, StoreError> {
        let mut w = self.write().await?;
        let created: Option<RoundId> = sqlx::query_scalar(sql::INSERT_ROUND)
            .bind(team)
            .bind(scheduled_at)
            .bind(RoundStatus::Open.as_str())
            .bind(now)
            .fetch_optional(w.conn())
            .await?;
        let opened = match created {
            Some(id) => RoundOpened::Created(id),
            None => {
                let round: Round = sqlx::query_as(sql::ROUND_AT_SLOT)
                    .bind(team)
                    .bind(scheduled_at)
                    .fetch_one(w.conn())
                    .await?;
                match round.status {
                    RoundStatus::Open => RoundOpened::AlreadyOpen(round.id),
                    status => RoundOpened::AlreadyDone(round.id, status),
                }
            }
        };
        w.done().await?;
        Ok(opened)
    }

    async fn record_missed_round(
        &self,
        team: TeamId,
        scheduled_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Inserted<RoundId>, StoreError> {
        let mut w = self.write().await?;
        let insert = sqlx::query_scalar(sql::INSERT_ROUND)
            .bind(team)
            .bind(scheduled_at)
            .bind(RoundStatus::Missed.as_str())
            .bind(now);
        let existing = sqlx::query_scalar(sql::ROUND_ID_AT_SLOT)
            .bind(team)
            .bind(scheduled_at);
        let result = Self::insert_or_fetch(w.conn(), insert, existing).await?;
        w.done().await?;
        Ok(result)
    }

    async fn close_round(&self, round: RoundId, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut w = self.write().await?;
        let done = sqlx::query(sql::CLOSE_ROUND)
            .bind(round)
            .bind(now)
            .execute(w.conn())
            .await?;
        w.done().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn round(&self, id: RoundId) -> Result<Option<Round>, StoreError> {
        let mut w = self.read().await?;
        let round = sqlx::query_as(sql::ROUND_BY_ID)
            .bind(id)
            .fetch_optional(w.conn())
            .await?;
        w.done().await?;
        Ok(round)
    }

    async fn last_round_slot(&self, team: TeamId) -> Result<Option<DateTime<Utc>>, StoreError> {
        let mut w = self.read().await?;
        let slot = sqlx::query_scalar(sql::LAST_ROUND_SLOT)
            .bind(team)
            .fetch_one(w.conn())
            .await?;
        w.done().await?;
        Ok(slot)
    }

    async fn open_rounds(&self, team: TeamId) -> Result<Vec<Round>, StoreError> {
        let mut w = self.read().await?;
        let rounds = sqlx::query_as(sql::OPEN_ROUNDS_OF_TEAM)
            .bind(team)
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        Ok(rounds)
    }

    async fn create_ask(
        &self,
        round: RoundId,
        person: PersonId,
        prompt: Option<PromptId>,
        now: DateTime<Utc>,
    ) -> Result<Inserted<AskId>, StoreError> {
        let mut w = self.write().await?;
        let insert = sqlx::query_scalar(sql::INSERT_ASK)
            .bind(round)
            .bind(person)
            .bind(prompt)
            .bind(now);
        let existing = sqlx::query_scalar(sql::ASK_ID_BY_KEY)
            .bind(round)
            .bind(person);
        let result = Self::insert_or_fetch(w.conn(), insert, existing).await?;
        w.done().await?;
        Ok(result)
    }

    async fn ask(&self, id: AskId) -> Result<Option<Ask>, StoreError> {
        let mut w = self.read().await?;
        let ask = sqlx::query_as(sql::ASK_BY_ID)
            .bind(id)
            .fetch_optional(w.conn())
            .await?;
        w.done().await?;
        Ok(ask)
    }

    async fn asks(&self, round: RoundId) -> Result<Vec<Ask>, StoreError> {
        let mut w = self.read().await?;
        let asks = sqlx::query_as(sql::ASKS_OF_ROUND)
            .bind(round)
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        Ok(asks)
    }

    async fn open_asks_of(&self, person: PersonId) -> Result<Vec<Ask>, StoreError> {
        let mut w = self.read().await?;
        let asks = sqlx::query_as(sql::OPEN_ASKS_OF_PERSON)
            .bind(person)
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        Ok(asks)
    }

    async fn asks_due_for_reminder(&self, now: DateTime<Utc>) -> Result<Vec<Ask>, StoreError> {
        let mut w = self.read().await?;
        let asks = sqlx::query_as(sql::ASKS_DUE_FOR_REMINDER)
            .bind(now)
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        Ok(asks)
    }

    async fn set_ask_status(
        &self,
        ask: AskId,
        status: AskStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        sqlx::query(sql::SET_ASK_STATUS)
            .bind(ask)
            .bind(status.as_str())
            .bind(now)
            .execute(w.conn())
            .await?;
        w.done().await
    }

    async fn record_ask_reminder(
        &self,
        ask: AskId,
        next_remind_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        sqlx::query(sql::RECORD_ASK_REMINDER)
            .bind(ask)
            .bind(next_remind_at)
            .bind(now)
            .execute(w.conn())
            .await?;
        sqlx::query(sql::LOG_ASK_REMINDER)
            .bind(ask)
            .bind(now)
            .execute(w.conn())
            .await?;
        w.done().await
    }

    async fn snooze_ask(
        &self,
        ask: AskId,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        sqlx::query(sql::SNOOZE_ASK)
            .bind(ask)
            .bind(until)
            .bind(now)
            .execute(w.conn())
            .await?;
        w.done().await
    }

    async fn set_ask_remind_at(
        &self,
        ask: AskId,
        remind_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        sqlx::query(sql::SET_ASK_REMIND_AT)
            .bind(ask)
            .bind(remind_at)
            .bind(now)
            .execute(w.conn())
            .await?;
        w.done().await
    }

    // ---- prompts ----

    async fn upsert_prompts(
        &self,
        pack: &str,
        prompts: &[PromptSpec],
    ) -> Result<usize, StoreError> {
        let mut w = self.write().await?;
        for prompt in prompts {
            let tags = serde_json::to_string(&prompt.tags).expect("a list of strings serializes");
            sqlx::query(sql::UPSERT_PROMPT)
                .bind(pack)
                .bind(&prompt.key)
                .bind(&prompt.text)
                .bind(tags)
                .execute(w.conn())
                .await?;
        }
        w.done().await?;
        Ok(prompts.len())
    }

    async fn record_prompt_seen(
        &self,
        person: PersonId,
        prompt: PromptId,
        team: TeamId,
        round: Option<RoundId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        sqlx::query(sql::RECORD_PROMPT_SEEN)
            .bind(person)
            .bind(prompt)
            .bind(team)
            .bind(round)
            .bind(now)
            .execute(w.conn())
            .await?;
        w.done().await
    }

    async fn prompt(&self, id: PromptId) -> Result<Option<Prompt>, StoreError> {
        let mut w = self.read().await?;
        let row: Option<PromptRow> = sqlx::query_as(sql::PROMPT_BY_ID)
            .bind(id)
            .fetch_optional(w.conn())
            .await?;
        w.done().await?;
        Ok(row.map(Prompt::from))
    }

    async fn unseen_prompts(
        &self,
        pack: &str,
        person: PersonId,
        team: TeamId,
    ) -> Result<Vec<Prompt>, StoreError> {
        let mut w = self.read().await?;
        let rows: Vec<PromptRow> = sqlx::query_as(sql::UNSEEN_PROMPTS)
            .bind(pack)
            .bind(person)
            .bind(team)
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        Ok(rows.into_iter().map(Prompt::from).collect())
    }

    async fn reset_prompt_views(
        &self,
        pack: &str,
        person: PersonId,
        team: TeamId,
    ) -> Result<u64, StoreError> {
        let mut w = self.write().await?;
        let done = sqlx::query(sql::RESET_PROMPT_VIEWS)
            .bind(pack)
            .bind(person)
            .bind(team)
            .execute(w.conn())
            .await?;
        w.done().await?;
        Ok(done.rows_affected())
    }

    // ---- drafts and reviews ----

    async fn create_draft(
        &self,
        team: TeamId,
        author: PersonId,
        ask: Option<AskId>,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<DraftId, StoreError> {
        let mut w = self.write().await?;
        let id: DraftId = sqlx::query_scalar(sql::INSERT_DRAFT)
            .bind(team)
            .bind(author)
            .bind(ask)
            .bind(now)
            .fetch_one(w.conn())
            .await?;
        sqlx::query(sql::INSERT_DRAFT_VERSION)
            .bind(id)
            .bind(1_i64)
            .bind(body)
            .bind(author)
            .bind(now)
            .execute(w.conn())
            .await?;
        w.done().await?;
        Ok(id)
    }

    async fn add_draft_version(
        &self,
        draft: DraftId,
        editor: PersonId,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let mut w = self.write().await?;
        let version: Option<i64> = sqlx::query_scalar(sql::BUMP_DRAFT_VERSION)
            .bind(draft)
            .bind(now)
            .fetch_optional(w.conn())
            .await?;
        let version = version.ok_or_else(|| StoreError::NotFound {
            what: "draft",
            id: draft.to_string(),
        })?;
        sqlx::query(sql::INSERT_DRAFT_VERSION)
            .bind(draft)
            .bind(version)
            .bind(body)
            .bind(editor)
            .bind(now)
            .execute(w.conn())
            .await?;
        w.done().await?;
        Ok(version)
    }

    async fn draft(&self, id: DraftId) -> Result<Option<Draft>, StoreError> {
        let mut w = self.read().await?;
        let draft = sqlx::query_as(sql::DRAFT_BY_ID)
            .bind(id)
            .fetch_optional(w.conn())
            .await?;
        w.done().await?;
        Ok(draft)
    }

    async fn replace_latest_version_body(
        &self,
        draft: DraftId,
        body: &str,
        editor: PersonId,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let mut w = self.write().await?;
        let version: Option<i64> = sqlx::query_scalar(sql::TOUCH_DRAFT)
            .bind(draft)
            .bind(now)
            .fetch_optional(w.conn())
            .await?;
        let version = version.ok_or_else(|| StoreError::NotFound {
            what: "draft",
            id: draft.to_string(),
        })?;
        sqlx::query(sql::REPLACE_DRAFT_VERSION_BODY)
            .bind(draft)
            .bind(version)
            .bind(body)
            .bind(editor)
            .execute(w.conn())
            .await?;
        w.done().await?;
        Ok(version)
    }

    async fn drafts_of(
        &self,
        author: PersonId,
        statuses: &[DraftStatus],
    ) -> Result<Vec<Draft>, StoreError> {
        if statuses.is_empty() {
            return Ok(Vec::new());
        }
        let mut w = self.read().await?;
        let mut query = sqlx::query_as(sql::DRAFTS_OF_AUTHOR).bind(author);
        for status in sql::draft_status_slots(statuses) {
            query = query.bind(status);
        }
        let drafts = query.fetch_all(w.conn()).await?;
        w.done().await?;
        Ok(drafts)
    }

    async fn drafts_of_team(&self, team: TeamId) -> Result<Vec<Draft>, StoreError> {
        let mut w = self.read().await?;
        let drafts = sqlx::query_as(sql::DRAFTS_OF_TEAM)
            .bind(team)
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        Ok(drafts)
    }

    async fn posts_of_team(&self, team: TeamId) -> Result<Vec<Post>, StoreError> {
        let mut w = self.read().await?;
        let posts = sqlx::query_as(sql::POSTS_OF_TEAM)
            .bind(team)
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        Ok(posts)
    }

    async fn drafts_in_review(&self, team: TeamId) -> Result<Vec<Draft>, StoreError> {
        let mut w = self.read().await?;
        let drafts = sqlx::query_as(sql::DRAFTS_IN_REVIEW)
            .bind(team)
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        Ok(drafts)
    }

    async fn draft_versions(&self, draft: DraftId) -> Result<Vec<DraftVersion>, StoreError> {
        let mut w = self.read().await?;
        let versions = sqlx::query_as(sql::DRAFT_VERSIONS)
            .bind(draft)
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        Ok(versions)
    }

    async fn set_draft_status(
        &self,
        draft: DraftId,
        status: DraftStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        sqlx::query(sql::SET_DRAFT_STATUS)
            .bind(draft)
            .bind(status.as_str())
            .bind(now)
            .execute(w.conn())
            .await?;
        w.done().await
    }

    async fn record_review(
        &self,
        review: &NewReview,
        now: DateTime<Utc>,
    ) -> Result<ReviewId, StoreError> {
        let mut w = self.write().await?;
        let id = sqlx::query_scalar(sql::INSERT_REVIEW)
            .bind(review.draft_id)
            .bind(review.version)
            .bind(review.reviewer_id)
            .bind(review.decision.as_str())
            .bind(review.comment.as_deref())
            .bind(now)
            .fetch_one(w.conn())
            .await?;
        w.done().await?;
        Ok(id)
    }

    async fn reviews(&self, draft: DraftId) -> Result<Vec<Review>, StoreError> {
        let mut w = self.read().await?;
        let reviews = sqlx::query_as(sql::REVIEWS_OF_DRAFT)
            .bind(draft)
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        Ok(reviews)
    }

    // ---- posts, nudges, shares ----

    async fn create_post(
        &self,
        post: &NewPost,
        now: DateTime<Utc>,
    ) -> Result<Inserted<PostId>, StoreError> {
        let mut w = self.write().await?;
        let created: Option<PostId> = sqlx::query_scalar(sql::INSERT_POST)
            .bind(post.draft_id)
            .bind(post.version)
            .bind(post.status.as_str())
            .bind(post.publish_at)
            .bind(now)
            .fetch_optional(w.conn())
            .await?;
        let result = match created {
            Some(id) => Inserted::New(id),
            None => {
                let existing: Option<PostId> = sqlx::query_scalar(sql::POST_ID_BY_DRAFT)
                    .bind(post.draft_id)
                    .fetch_optional(w.conn())
                    .await?;
                Inserted::Existing(existing.ok_or_else(|| StoreError::NotFound {
                    what: "draft version",
                    id: format!("{}v{}", post.draft_id, post.version),
                })?)
            }
        };
        w.done().await?;
        Ok(result)
    }

    async fn post(&self, id: PostId) -> Result<Option<Post>, StoreError> {
        let mut w = self.read().await?;
        let post = sqlx::query_as(sql::POST_BY_ID)
            .bind(id)
            .fetch_optional(w.conn())
            .await?;
        w.done().await?;
        Ok(post)
    }

    async fn post_of_draft(&self, draft: DraftId) -> Result<Option<Post>, StoreError> {
        let mut w = self.read().await?;
        let post = sqlx::query_as(sql::POST_OF_DRAFT)
            .bind(draft)
            .fetch_optional(w.conn())
            .await?;
        w.done().await?;
        Ok(post)
    }

    async fn posts_of_author(
        &self,
        author: PersonId,
        status: PostStatus,
    ) -> Result<Vec<Post>, StoreError> {
        let mut w = self.read().await?;
        let posts = sqlx::query_as(sql::POSTS_OF_AUTHOR)
            .bind(author)
            .bind(status.as_str())
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        Ok(posts)
    }

    async fn posts_due(&self, now: DateTime<Utc>) -> Result<Vec<Post>, StoreError> {
        let mut w = self.read().await?;
        let posts = sqlx::query_as(sql::POSTS_DUE)
            .bind(now)
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        Ok(posts)
    }

    async fn published_posts(
        &self,
        team: TeamId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Post>, StoreError> {
        let mut w = self.read().await?;
        let posts = sqlx::query_as(sql::PUBLISHED_POSTS_OF_TEAM)
            .bind(team)
            .bind(from)
            .bind(to)
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        Ok(posts)
    }

    async fn set_post_canonical_link(
        &self,
        post: PostId,
        url: &str,
        network: Network,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        sqlx::query(sql::SET_POST_CANONICAL_LINK)
            .bind(post)
            .bind(url)
            .bind(network.as_str())
            .bind(now)
            .execute(w.conn())
            .await?;
        w.done().await
    }

    async fn set_post_status(
        &self,
        post: PostId,
        status: PostStatus,
        publish_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        sqlx::query(sql::SET_POST_STATUS)
            .bind(post)
            .bind(status.as_str())
            .bind(publish_at)
            .bind(now)
            .execute(w.conn())
            .await?;
        w.done().await
    }

    async fn mark_post_published(
        &self,
        post: PostId,
        channel_message_ref: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        sqlx::query(sql::MARK_POST_PUBLISHED)
            .bind(post)
            .bind(channel_message_ref)
            .bind(now)
            .execute(w.conn())
            .await?;
        w.done().await
    }

    async fn create_nudge(
        &self,
        post: PostId,
        person: PersonId,
        due_at: DateTime<Utc>,
    ) -> Result<Inserted<NudgeId>, StoreError> {
        let mut w = self.write().await?;
        let insert = sqlx::query_scalar(sql::INSERT_NUDGE)
            .bind(post)
            .bind(person)
            .bind(due_at);
        let existing = sqlx::query_scalar(sql::NUDGE_ID_BY_KEY)
            .bind(post)
            .bind(person);
        let result = Self::insert_or_fetch(w.conn(), insert, existing).await?;
        w.done().await?;
        Ok(result)
    }

    async fn nudges(&self, post: PostId) -> Result<Vec<Nudge>, StoreError> {
        let mut w = self.read().await?;
        let nudges = sqlx::query_as(sql::NUDGES_OF_POST)
            .bind(post)
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        Ok(nudges)
    }

    async fn nudge(&self, id: NudgeId) -> Result<Option<Nudge>, StoreError> {
        let mut w = self.read().await?;
        let nudge = sqlx::query_as(sql::NUDGE_BY_ID)
            .bind(id)
            .fetch_optional(w.conn())
            .await?;
        w.done().await?;
        Ok(nudge)
    }

    async fn nudge_of(&self, post: PostId, person: PersonId) -> Result<Option<Nudge>, StoreError> {
        let mut w = self.read().await?;
        let nudge = sqlx::query_as(sql::NUDGE_BY_KEY)
            .bind(post)
            .bind(person)
            .fetch_optional(w.conn())
            .await?;
        w.done().await?;
        Ok(nudge)
    }

    async fn nudges_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Nudge>, StoreError> {
        let mut w = self.read().await?;
        let nudges = sqlx::query_as(sql::NUDGES_DUE)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        Ok(nudges)
    }

    async fn set_nudge_due(
        &self,
        nudge: NudgeId,
        due_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut w = self.write().await?;
        let done = sqlx::query(sql::SET_NUDGE_DUE)
            .bind(nudge)
            .bind(due_at)
            .execute(w.conn())
            .await?;
        w.done().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn nudges_in_status(
        &self,
        team: Option<TeamId>,
        status: NudgeStatus,
    ) -> Result<Vec<Nudge>, StoreError> {
        let mut w = self.read().await?;
        let nudges = match team {
            Some(team) => {
                sqlx::query_as(sql::NUDGES_OF_TEAM_IN_STATUS)
                    .bind(team)
                    .bind(status.as_str())
                    .fetch_all(w.conn())
                    .await?
            }
            None => {
                sqlx::query_as(sql::NUDGES_IN_STATUS)
                    .bind(status.as_str())
                    .fetch_all(w.conn())
                    .await?
            }
        };
        w.done().await?;
        Ok(nudges)
    }

    async fn ignored_nudge_streak(&self, person: PersonId) -> Result<i64, StoreError> {
        let mut w = self.read().await?;
        let streak = sqlx::query_scalar(sql::IGNORED_NUDGE_STREAK)
            .bind(person)
            .fetch_one(w.conn())
            .await?;
        w.done().await?;
        Ok(streak)
    }

    async fn last_nudge_sent(&self, person: PersonId) -> Result<Option<DateTime<Utc>>, StoreError> {
        let mut w = self.read().await?;
        let last: Option<DateTime<Utc>> = sqlx::query_scalar(sql::LAST_NUDGE_SENT)
            .bind(person)
            .fetch_one(w.conn())
            .await?;
        w.done().await?;
        Ok(last)
    }

    async fn touches_since(
        &self,
        person: PersonId,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let mut w = self.read().await?;
        let touches = sqlx::query_scalar(sql::TOUCHES_SINCE)
            .bind(person)
            .bind(since)
            .fetch_one(w.conn())
            .await?;
        w.done().await?;
        Ok(touches)
    }

    async fn set_nudge_status(
        &self,
        nudge: NudgeId,
        status: NudgeStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut w = self.write().await?;
        sqlx::query(sql::SET_NUDGE_STATUS)
            .bind(nudge)
            .bind(status.as_str())
            .bind(now)
            .execute(w.conn())
            .await?;
        w.done().await
    }

    async fn record_share(
        &self,
        post: PostId,
        person: PersonId,
        network: Network,
        url: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut w = self.write().await?;
        let inserted = sqlx::query(sql::INSERT_SHARE)
            .bind(post)
            .bind(person)
            .bind(network.as_str())
            .bind(url)
            .bind(now)
            .execute(w.conn())
            .await?
            .rows_affected()
            == 1;
        if !inserted && url.is_some() {
            sqlx::query(sql::FILL_SHARE_URL)
                .bind(post)
                .bind(person)
                .bind(network.as_str())
                .bind(url)
                .execute(w.conn())
                .await?;
        }
        w.done().await?;
        Ok(inserted)
    }

    async fn shares(&self, post: PostId) -> Result<Vec<ShareConfirmation>, StoreError> {
        let mut w = self.read().await?;
        let shares = sqlx::query_as(sql::SHARES_OF_POST)
            .bind(post)
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        Ok(shares)
    }

    async fn shares_of_team(
        &self,
        team: TeamId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ShareConfirmation>, StoreError> {
        let mut w = self.read().await?;
        let shares = sqlx::query_as(sql::SHARES_OF_TEAM)
            .bind(team)
            .bind(from)
            .bind(to)
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        Ok(shares)
    }

    // ---- outbox ----

    async fn enqueue(
        &self,
        message: &NewOutboxMessage,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut w = self.write().await?;
        let done = sqlx::query(sql::ENQUEUE)
            .bind(&message.idempotency_key)
            .bind(message.platform.as_str())
            .bind(&message.workspace_id)
            .bind(message.lane.as_str())
            .bind(&message.payload_json)
            .bind(message.not_before)
            .bind(now)
            .execute(w.conn())
            .await?;
        w.done().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn next_outbox_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let mut w = self.read().await?;
        let next: Option<DateTime<Utc>> = sqlx::query_scalar(sql::NEXT_OUTBOX_DUE)
            .fetch_one(w.conn())
            .await?;
        w.done().await?;
        Ok(next)
    }

    async fn claim_outbox(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let mut w = self.write().await?;
        let mut claimed: Vec<OutboxMessage> = sqlx::query_as(DB::CLAIM_OUTBOX)
            .bind(owner)
            .bind(lease_until(now, lease))
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        // RETURNING does not promise the subquery's order.
        claimed.sort_by_key(|m| (m.lane != Lane::Interactive, m.id));
        Ok(claimed)
    }

    async fn mark_sent(
        &self,
        id: OutboxId,
        owner: &str,
        now: DateTime<Utc>,
        platform_ref: Option<&str>,
    ) -> Result<bool, StoreError> {
        let mut w = self.write().await?;
        let done = sqlx::query(sql::MARK_SENT)
            .bind(id)
            .bind(owner)
            .bind(now)
            .bind(platform_ref)
            .execute(w.conn())
            .await?;
        if done.rows_affected() == 1 {
            sqlx::query(sql::DELETE_ERASED_OUTBOX)
                .bind(id)
                .execute(w.conn())
                .await?;
        }
        w.done().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn retry_later(
        &self,
        id: OutboxId,
        owner: &str,
        not_before: DateTime<Utc>,
        error: &str,
        release: Release,
    ) -> Result<bool, StoreError> {
        let mut w = self.write().await?;
        let done = sqlx::query(sql::RETRY_LATER)
            .bind(id)
            .bind(owner)
            .bind(not_before)
            .bind(error)
            .bind(i64::from(release == Release::Deferred))
            .execute(w.conn())
            .await?;
        w.done().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn mark_failed(
        &self,
        id: OutboxId,
        owner: &str,
        error: &str,
    ) -> Result<bool, StoreError> {
        let mut w = self.write().await?;
        let done = sqlx::query(sql::MARK_FAILED)
            .bind(id)
            .bind(owner)
            .bind(error)
            .execute(w.conn())
            .await?;
        if done.rows_affected() == 1 {
            sqlx::query(sql::DELETE_ERASED_OUTBOX)
                .bind(id)
                .execute(w.conn())
                .await?;
        }
        w.done().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn outbox_message(&self, id: OutboxId) -> Result<Option<OutboxMessage>, StoreError> {
        let mut w = self.read().await?;
        let message = sqlx::query_as(sql::OUTBOX_BY_ID)
            .bind(id)
            .fetch_optional(w.conn())
            .await?;
        w.done().await?;
        Ok(message)
    }

    async fn outbox_by_key(&self, key: &str) -> Result<Option<OutboxMessage>, StoreError> {
        let mut w = self.read().await?;
        let message = sqlx::query_as(sql::OUTBOX_BY_KEY)
            .bind(key)
            .fetch_optional(w.conn())
            .await?;
        w.done().await?;
        Ok(message)
    }

    async fn outbox_depth(&self) -> Result<OutboxDepth, StoreError> {
        let mut w = self.read().await?;
        let rows: Vec<(String, i64)> = sqlx::query_as(sql::OUTBOX_DEPTH)
            .fetch_all(w.conn())
            .await?;
        w.done().await?;
        let mut depth = OutboxDepth::default();
        for (lane, count) in rows {
            match lane.parse::<Lane>() {
                Ok(Lane::Interactive) => depth.interactive = count,
                Ok(Lane::Bulk) => depth.bulk = count,
                Err(e) => return Err(StoreError::Database(sqlx::Error::Decode(Box::new(e)))),
            }
        }
        Ok(depth)
    }

    // ---- inbound dedupe and audit ----

    async fn record_inbound(
        &self,
        key: &str,
        platform: Platform,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut w = self.write().await?;
        let done = sqlx::query(sql::RECORD_INBOUND)
            .bind(platform.as_str())
            .bind(key)
            .bind(now)
            .execute(w.conn())
            .await?;
        w.done().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn prune_inbound(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut w = self.write().await?;
        let done = sqlx::query(sql::PRUNE_INBOUND)
            .bind(before)
            .execute(w.conn())
            .await?;
        w.done().await?;
        Ok(done.rows_affected())
    }

    async fn audit(&self, entry: &AuditEntry) -> Result<AuditId, StoreError> {
        let mut w = self.write().await?;
        let id = sqlx::query_scalar(sql::INSERT_AUDIT)
            .bind(entry.at)
            .bind(entry.team_id)
            .bind(&entry.actor)
            .bind(&entry.action)
            .bind(&entry.subject)
            .bind(&entry.detail_json)
            .fetch_one(w.conn())
            .await?;
        w.done().await?;
        Ok(id)
    }

    async fn audit_log(
        &self,
        team: Option<TeamId>,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let mut w = self.read().await?;
        let records = match team {
            Some(team) => {
                sqlx::query_as(sql::AUDIT_LOG_OF_TEAM)
                    .bind(team)
                    .bind(i64::from(limit))
                    .fetch_all(w.conn())
                    .await?
            }
            None => {
                sqlx::query_as(sql::AUDIT_LOG_ALL)
                    .bind(i64::from(limit))
                    .fetch_all(w.conn())
                    .await?
            }
        };
        w.done().await?;
        Ok(records)
    }
}
