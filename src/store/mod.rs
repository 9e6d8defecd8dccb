//! Persistence: one `Store` interface over SQLite (the embedded default) and PostgreSQL (for scale).
//!
//! Only this module speaks SQL. Every method that stamps time takes `now`, so the engine and the
//! tests own the clock. Writes run in their own transaction unless called on a [`StoreTx`] from
//! [`Store::begin`], which is how the engine commits a state change together with the outbox rows
//! it causes (nothing lost, nothing doubled).

mod forget;
mod postgres;
mod sql;
mod sql_store;
mod sqlite;
mod types;

pub use forget::{ForgetReport, ERASE_AFTER_SEND, FORGOTTEN};
pub use postgres::PgStore;
pub use sql_store::{Dialect, SqlStore};
pub use sqlite::SqliteStore;
pub use types::*;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL '{url}': use sqlite:PATH, sqlite://PATH, sqlite::memory:, postgres://… or postgresql://…")]
    UnsupportedUrl { url: String },
    /// The URL in the message has its password replaced by `***`.
    #[error("cannot open database {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("migrating the database failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A row the call depends on does not exist (e.g. a post for a draft version that was never written).
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    /// The call is not allowed inside a transaction (`migrate`, a nested `begin`), or the
    /// transaction was already committed or rolled back.
    #[error("{0}")]
    Transaction(&'static str),
}

impl StoreError {
    /// True when a foreign key, unique or check constraint rejected the write: a caller's mistake
    /// (unknown team, duplicate, bad state word), not a broken database.
    pub fn is_constraint_violation(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(e)) => {
                !matches!(e.kind(), sqlx::error::ErrorKind::Other)
            }
            _ => false,
        }
    }
}

/// Which implementation a store is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The newest migration this binary carries: a database at a lower [`Store::schema_version`] needs
    /// `amplifier migrate`.
    pub fn latest_schema_version(self) -> i64 {
        let migrator = match self {
            Backend::Sqlite => <sqlx::Sqlite as Dialect>::migrator(),
            Backend::Postgres => <sqlx::Postgres as Dialect>::migrator(),
        };
        migrator.iter().map(|m| m.version).max().unwrap_or(0)
    }
}

/// A transaction: every [`Store`] method called through it (via `Deref`) runs inside it, and
/// nothing is visible to others until [`StoreTx::commit`]. Dropping it without commit rolls back.
///
/// On SQLite it holds the write lock from the start (`BEGIN IMMEDIATE`), so keep it short.
/// A call that fails inside it may leave part of its own writes behind (PostgreSQL even refuses
/// every later statement), so after any error roll back (or drop) the transaction.
pub struct StoreTx {
    store: Box<dyn Store>,
    control: Box<dyn TxControl>,
}

/// How a backend ends its transaction; the transaction itself is shared with the inner store.
#[async_trait]
pub(crate) trait TxControl: Send + Sync {
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
    async fn rollback(self: Box<Self>) -> Result<(), StoreError>;
}

impl StoreTx {
    pub(crate) fn new(store: Box<dyn Store>, control: Box<dyn TxControl>) -> Self {
        StoreTx { store, control }
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        self.control.commit().await
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        self.control.rollback().await
    }
}

impl Deref for StoreTx {
    type Target = dyn Store;
    fn deref(&self) -> &Self::Target {
        &*self.store
    }
}

/// Everything the engine, the scheduler and the delivery workers persist, in the product's words.
#[async_trait]
pub trait Store: Send + Sync {
    fn backend(&self) -> Backend;

    // ---- lifecycle ----

    /// Applies the embedded migrations; running it again is a no-op.
    async fn migrate(&self) -> Result<(), StoreError>;
    /// The latest applied migration, or `None` on a database never migrated.
    async fn schema_version(&self) -> Result<Option<i64>, StoreError>;
    /// Starts a transaction; see [`StoreTx`].
    async fn begin(&self) -> Result<StoreTx, StoreError>;
    /// Closes the connection pool (waits for checked-out connections to come back).
    async fn close(&self);

    // ---- teams and people ----

    /// Makes the config teams in the database match the config file: teams upserted by name,
    /// people upserted by (platform, workspace, user id), each config team's roles exactly those
    /// given. Command-created teams are never touched; config teams absent from the file are left
    /// as they are (their history stays).
    async fn sync_teams(
        &self,
        teams: &[TeamSpec],
        now: DateTime<Utc>,
    ) -> Result<SyncReport, StoreError>;
    /// Creates a team from a command (`/amplify team create`); `None` if the name is taken.
    async fn create_command_team(
        &self,
        team: &NewTeam,
        now: DateTime<Utc>,
    ) -> Result<Option<TeamId>, StoreError>;
    async fn team(&self, id: TeamId) -> Result<Option<Team>, StoreError>;
    /// Replaces a command team's settings (`/amplify team set …`); false for a config team, which changes in the file.
    async fn update_team_settings(
        &self,
        team: TeamId,
        settings_json: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    async fn team_by_name(&self, name: &str) -> Result<Option<Team>, StoreError>;
    async fn teams(&self) -> Result<Vec<Team>, StoreError>;
    /// The teams whose clock work (a prompt slot, a digest) is due at `now`, or whose next due instant is not
    /// known yet; ordered by name. One query, whatever the number of teams.
    async fn due_teams(&self, now: DateTime<Utc>) -> Result<Vec<Team>, StoreError>;
    /// When the clock work is next due: `replanned` if a team's next instant is not known, `due_now` if
    /// something came due after `since` and by `now` (`None`: any time before), and the earliest instant after
    /// `now` the store knows of (a team's slot, an ask reminder, a publish slot, a pending nudge). Two small
    /// indexed queries; the runner sleeps until then.
    async fn next_clock_work(
        &self,
        since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<ClockWork, StoreError>;
    /// A tick takes a due team: marks it due at `now` (so it stays due if the tick fails) and returns it as
    /// stored now; `None` if it is gone.
    async fn claim_due_team(
        &self,
        team: TeamId,
        now: DateTime<Utc>,
    ) -> Result<Option<Team>, StoreError>;
    /// Records when the team's clock work is next due (`None`: unknown, looked at again at every tick), unless
    /// its plan changed since [`Store::claim_due_team`] at `claimed_at` (changing the team's settings or roles,
    /// or a member's zone, forgets the instant); false then, and the next tick looks again.
    async fn set_team_next_due(
        &self,
        team: TeamId,
        claimed_at: DateTime<Utc>,
        next: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError>;
    /// Everyone with a role in the team; a person with two roles appears once per role.
    async fn team_people(&self, team: TeamId) -> Result<Vec<(Person, Role)>, StoreError>;
    /// Finds or creates the person behind a platform user id.
    async fn upsert_person(
        &self,
        platform: Platform,
        workspace_id: &str,
        platform_user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Inserted<PersonId>, StoreError>;
    async fn person(&self, id: PersonId) -> Result<Option<Person>, StoreError>;
    /// The person behind a platform user id, without creating one: an event from someone the bot
    /// never met must not add a row.
    async fn person_by_platform_id(
        &self,
        platform: Platform,
        workspace_id: &str,
        platform_user_id: &str,
    ) -> Result<Option<Person>, StoreError>;
    /// Everyone with this platform user id, on any platform and workspace (`amplifier forget --person ID`).
    async fn people_by_platform_user_id(
        &self,
        platform_user_id: &str,
    ) -> Result<Vec<Person>, StoreError>;
    /// Deletes the person's personal data and keeps only counts (what goes and what stays: `forget.rs`), all
    /// in one transaction (the caller's [`StoreTx`], or its own), audited as `person.forgotten` by `actor`
    /// (`self`, `cli`) with nothing that names them. `NotFound` for an unknown person.
    async fn forget_person(
        &self,
        person: PersonId,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<ForgetReport, StoreError>;
    /// Every role the person holds, in any team (a DM command names no team); by team name.
    async fn teams_of_person(&self, person: PersonId) -> Result<Vec<(Team, Role)>, StoreError>;
    async fn set_person_display_name(
        &self,
        id: PersonId,
        name: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Muted people get no nudges (`/amplify mute`).
    async fn set_person_muted(&self, id: PersonId, muted: bool) -> Result<(), StoreError>;
    /// `/amplify pause until DATE`; `None` resumes.
    async fn set_person_paused_until(
        &self,
        id: PersonId,
        until: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;
    /// From the platform status (🌴, "OOO").
    async fn set_person_out_of_office(&self, id: PersonId, out: bool) -> Result<(), StoreError>;
    /// `/amplify timezone ZONE` (validated by the caller); `None` falls back to the team's zone.
    async fn set_person_time_zone(
        &self,
        id: PersonId,
        zone: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Recorded by delivery when the platform refuses a DM to the person; cleared when they write to the bot.
    async fn set_person_dms_closed(&self, id: PersonId, closed: bool) -> Result<(), StoreError>;
    /// `/amplify mastodon HOST` (validated by the caller); `None` forgets it.
    async fn set_person_mastodon_instance(
        &self,
        id: PersonId,
        host: Option<&str>,
    ) -> Result<(), StoreError>;
    async fn set_person_dm_channel(
        &self,
        id: PersonId,
        channel: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Gives a role (commands); false if the person already had it.
    async fn grant_role(
        &self,
        team: TeamId,
        person: PersonId,
        role: Role,
    ) -> Result<bool, StoreError>;
    /// Takes a role away (commands); false if the person did not have it.
    async fn revoke_role(
        &self,
        team: TeamId,
        person: PersonId,
        role: Role,
    ) -> Result<bool, StoreError>;

    // ---- rounds and asks ----

    /// Opens the team's round for one scheduled instant. Exactly one caller ever gets `Created`
    /// for a slot, however many restarts, catch-ups or replicas race for it.
    async fn open_round(
        &self,
        team: TeamId,
        scheduled_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<RoundOpened, StoreError>;
    /// Records a slot that passed while nobody was running, so it is neither prompted late nor
    /// considered again by catch-up.
    async fn record_missed_round(
        &self,
        team: TeamId,
        scheduled_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Inserted<RoundId>, StoreError>;
    /// Closes an open round (its asks expire when the next round starts); false if not open.
    async fn close_round(&self, round: RoundId, now: DateTime<Utc>) -> Result<bool, StoreError>;
    async fn round(&self, id: RoundId) -> Result<Option<Round>, StoreError>;
    /// The latest slot the team has a round for, opened or missed: where catch-up starts.
    async fn last_round_slot(&self, team: TeamId) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// The team's open rounds, oldest slot first (normally one; more after a crash between
    /// opening a round and closing the previous one).
    async fn open_rounds(&self, team: TeamId) -> Result<Vec<Round>, StoreError>;
    /// One ask per leader per round.
    async fn create_ask(
        &self,
        round: RoundId,
        person: PersonId,
        prompt: Option<PromptId>,
        now: DateTime<Utc>,
    ) -> Result<Inserted<AskId>, StoreError>;
    async fn ask(&self, id: AskId) -> Result<Option<Ask>, StoreError>;
    async fn asks(&self, round: RoundId) -> Result<Vec<Ask>, StoreError>;
    /// The leader's open asks, newest first: a reply in DM answers the newest one.
    async fn open_asks_of(&self, person: PersonId) -> Result<Vec<Ask>, StoreError>;
    /// Open asks whose reminder is due (`remind_at <= now`), oldest due first.
    async fn asks_due_for_reminder(&self, now: DateTime<Utc>) -> Result<Vec<Ask>, StoreError>;
    async fn set_ask_status(
        &self,
        ask: AskId,
        status: AskStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Counts a reminder sent and sets when the next one is due (`None`: no more).
    async fn record_ask_reminder(
        &self,
        ask: AskId,
        next_remind_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Moves the next reminder without counting one ("remind me tomorrow"; `None`: no more).
    /// "Remind me tomorrow": the next reminder at `until`, on the person's own request.
    async fn snooze_ask(
        &self,
        ask: AskId,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn set_ask_remind_at(
        &self,
        ask: AskId,
        remind_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    // ---- prompts ----

    /// Adds or rewords a pack's prompts by key; returns how many were written.
    async fn upsert_prompts(&self, pack: &str, prompts: &[PromptSpec])
        -> Result<usize, StoreError>;
    /// Marks that a leader was asked this prompt in this team.
    async fn record_prompt_seen(
        &self,
        person: PersonId,
        prompt: PromptId,
        team: TeamId,
        round: Option<RoundId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn prompt(&self, id: PromptId) -> Result<Option<Prompt>, StoreError>;
    /// The pack's prompts this leader has not seen in this team, by key.
    async fn unseen_prompts(
        &self,
        pack: &str,
        person: PersonId,
        team: TeamId,
    ) -> Result<Vec<Prompt>, StoreError>;
    /// Forgets which of the pack's prompts the leader saw (when all are used up); returns how many marks went.
    async fn reset_prompt_views(
        &self,
        pack: &str,
        person: PersonId,
        team: TeamId,
    ) -> Result<u64, StoreError>;

    // ---- drafts and reviews ----

    /// Creates a draft in status `editing` with version 1 written by its author.
    async fn create_draft(
        &self,
        team: TeamId,
        author: PersonId,
        ask: Option<AskId>,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<DraftId, StoreError>;
    /// Adds the next version (the author's rewrite or an approver's edit); returns its number.
    async fn add_draft_version(
        &self,
        draft: DraftId,
        editor: PersonId,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError>;
    async fn draft(&self, id: DraftId) -> Result<Option<Draft>, StoreError>;
    /// Rewrites the body of the draft's current version in place and returns its number: while a
    /// leader is still typing v1 over several messages, those are one version, not many. Every
    /// later edit is a new version ([`Store::add_draft_version`]); the store does not check the
    /// draft's status, the caller does. `NotFound` for an unknown draft.
    async fn replace_latest_version_body(
        &self,
        draft: DraftId,
        body: &str,
        editor: PersonId,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError>;
    /// The author's drafts in any of `statuses`, newest first (none for an empty list).
    async fn drafts_of(
        &self,
        author: PersonId,
        statuses: &[DraftStatus],
    ) -> Result<Vec<Draft>, StoreError>;
    /// The team's drafts waiting for an approver, oldest first.
    /// Every draft of the team, oldest first (export).
    async fn drafts_of_team(&self, team: TeamId) -> Result<Vec<Draft>, StoreError>;
    /// Every post of the team in any state, oldest first (export).
    async fn posts_of_team(&self, team: TeamId) -> Result<Vec<Post>, StoreError>;
    async fn drafts_in_review(&self, team: TeamId) -> Result<Vec<Draft>, StoreError>;
    /// All versions, oldest first.
    async fn draft_versions(&self, draft: DraftId) -> Result<Vec<DraftVersion>, StoreError>;
    async fn set_draft_status(
        &self,
        draft: DraftId,
        status: DraftStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Records who decided what about which version, and when.
    async fn record_review(
        &self,
        review: &NewReview,
        now: DateTime<Utc>,
    ) -> Result<ReviewId, StoreError>;
    /// The draft's review log, oldest first.
    async fn reviews(&self, draft: DraftId) -> Result<Vec<Review>, StoreError>;

    // ---- posts, nudges, shares ----

    /// Turns an approved draft version into a post (one per draft).
    async fn create_post(
        &self,
        post: &NewPost,
        now: DateTime<Utc>,
    ) -> Result<Inserted<PostId>, StoreError>;
    async fn post(&self, id: PostId) -> Result<Option<Post>, StoreError>;
    async fn post_of_draft(&self, draft: DraftId) -> Result<Option<Post>, StoreError>;
    /// The author's posts in one status, newest first (e.g. those awaiting the leader's link).
    async fn posts_of_author(
        &self,
        author: PersonId,
        status: PostStatus,
    ) -> Result<Vec<Post>, StoreError>;
    /// Scheduled posts whose slot came (`publish_at <= now`), oldest slot first.
    async fn posts_due(&self, now: DateTime<Utc>) -> Result<Vec<Post>, StoreError>;
    /// The team's posts that reached the share channel in `[from, to)`, oldest first, whatever
    /// their status now (a post withdrawn later is still listed, with status `withdrawn`).
    async fn published_posts(
        &self,
        team: TeamId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Post>, StoreError>;
    /// Keeps the link of the leader's own post (checked against the network's domain by the caller).
    async fn set_post_canonical_link(
        &self,
        post: PostId,
        url: &str,
        network: Network,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Moves a post along (`scheduled`, `withdrawn`); `publish_at` is kept when `None`.
    async fn set_post_status(
        &self,
        post: PostId,
        status: PostStatus,
        publish_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The post is in the share channel as `channel_message_ref`.
    async fn mark_post_published(
        &self,
        post: PostId,
        channel_message_ref: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// One nudge per member per post.
    async fn create_nudge(
        &self,
        post: PostId,
        person: PersonId,
        due_at: DateTime<Utc>,
    ) -> Result<Inserted<NudgeId>, StoreError>;
    async fn nudges(&self, post: PostId) -> Result<Vec<Nudge>, StoreError>;
    async fn nudge(&self, id: NudgeId) -> Result<Option<Nudge>, StoreError>;
    /// The member's nudge for a post (a share click names the post, not the nudge).
    async fn nudge_of(&self, post: PostId, person: PersonId) -> Result<Option<Nudge>, StoreError>;
    /// Up to `limit` pending nudges due by `now`, oldest due first.
    async fn nudges_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Nudge>, StoreError>;
    /// Re-plans a pending nudge (quiet hours, the weekly cap) without sending it. False when the
    /// nudge is no longer pending (already sent, done or cancelled) or does not exist.
    async fn set_nudge_due(
        &self,
        nudge: NudgeId,
        due_at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Nudges in one status, of one team's posts or (`None`) of every team; oldest due first.
    async fn nudges_in_status(
        &self,
        team: Option<TeamId>,
        status: NudgeStatus,
    ) -> Result<Vec<Nudge>, StoreError>;
    /// How many of the person's latest sent nudges in a row (newest backwards, any status since)
    /// brought no share of their post by that person, stopping at the first that did: the engine
    /// backs off members who stopped responding. A nudge still waiting for its share counts.
    async fn ignored_nudge_streak(&self, person: PersonId) -> Result<i64, StoreError>;
    /// When the person's newest nudge was sent (`None`: never nudged). A backed-off member rests from then.
    async fn last_nudge_sent(&self, person: PersonId) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// How many prompts the person got since `since` (inclusive): asks created for them, ask
    /// reminders, nudges sent and nudge reminders, each counted once. The weekly cap's meter.
    async fn touches_since(
        &self,
        person: PersonId,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError>;
    async fn set_nudge_status(
        &self,
        nudge: NudgeId,
        status: NudgeStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Records that a member shared the post on a network. True the first time; a repeated click
    /// is no error and no second row (it may add the link a first confirmation lacked).
    async fn record_share(
        &self,
        post: PostId,
        person: PersonId,
        network: Network,
        url: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    async fn shares(&self, post: PostId) -> Result<Vec<ShareConfirmation>, StoreError>;
    /// Confirmations of the team's posts made in `[from, to)`, oldest first: the digest's counts
    /// and the engine's share streaks come from these.
    async fn shares_of_team(
        &self,
        team: TeamId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ShareConfirmation>, StoreError>;

    // ---- outbox ----

    /// Queues a message; false (and nothing written) if its idempotency key is already queued or sent.
    async fn enqueue(
        &self,
        message: &NewOutboxMessage,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// The earliest `not_before` of a pending row no worker holds (`None`: the outbox is empty). One indexed
    /// query: delivery sleeps until then, whoever released the row.
    async fn next_outbox_due(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// Claims up to `limit` due messages for `owner` until `now + lease`: pending, `not_before ≤ now`,
    /// unclaimed or with an expired claim; interactive lane first, then oldest first. Each claim
    /// counts an attempt. Two claimers never get the same row.
    async fn claim_outbox(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError>;
    /// Delivered. False if `owner` no longer holds the claim (its lease expired and another worker
    /// took the row): the caller changes nothing. A row keyed [`ERASE_AFTER_SEND`]`…` is deleted instead
    /// of kept (here and in [`Store::mark_failed`]).
    async fn mark_sent(
        &self,
        id: OutboxId,
        owner: &str,
        now: DateTime<Utc>,
        platform_ref: Option<&str>,
    ) -> Result<bool, StoreError>;
    /// Not delivered this time (a failed send, or a deferral: see [`Release`]); due again at `not_before`.
    /// Owner-checked.
    async fn retry_later(
        &self,
        id: OutboxId,
        owner: &str,
        not_before: DateTime<Utc>,
        error: &str,
        release: Release,
    ) -> Result<bool, StoreError>;
    /// Never deliverable (e.g. the channel is gone). Owner-checked.
    async fn mark_failed(&self, id: OutboxId, owner: &str, error: &str)
        -> Result<bool, StoreError>;
    async fn outbox_message(&self, id: OutboxId) -> Result<Option<OutboxMessage>, StoreError>;
    /// The message queued under a key, e.g. to find the platform's reference of an earlier
    /// message and update it (the live share count).
    async fn outbox_by_key(&self, key: &str) -> Result<Option<OutboxMessage>, StoreError>;
    /// Pending messages per lane.
    async fn outbox_depth(&self) -> Result<OutboxDepth, StoreError>;

    // ---- inbound dedupe and audit ----

    /// True the first time an inbound event key is seen on a platform, false on a redelivery.
    async fn record_inbound(
        &self,
        key: &str,
        platform: Platform,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Forgets inbound keys received before `before` (platforms stop redelivering after minutes).
    async fn prune_inbound(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
    async fn audit(&self, entry: &AuditEntry) -> Result<AuditId, StoreError>;
    /// Newest first; `None` lists every team's entries and those of no team.
    async fn audit_log(
        &self,
        team: Option<TeamId>,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StoreError>;
}

/// Opens the store the URL names: `sqlite:PATH`, `sqlite://PATH`, `sqlite::memory:`, or
/// `postgres://…` / `postgresql://…`. Connects at once, so a wrong URL fails here, with the
/// URL (password redacted) in the message. Does not migrate: call [`Store::migrate`].
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::open(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl {
            url: redact_url(url),
        })
    }
}

/// The URL with any password replaced by `***`, fit for logs and error messages.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = url.find("://") {
        let rest_start = scheme_end + 3;
        let authority_end = url[rest_start..]
            .find(['/', '?', '#'])
            .map_or(url.len(), |i| rest_start + i);
        if let Some(at) = url[rest_start..authority_end].rfind('@') {
            let userinfo = &url[rest_start..rest_start + at];
            if let Some(colon) = userinfo.find(':') {
                out = format!(
                    "{}:***{}",
                    &url[..rest_start + colon],
                    &url[rest_start + at..]
                );
            }
        }
    }
    // A password may also ride in the query string (`?password=…`).
    if let Some(q) = out.find("password=") {
        let end = out[q..].find('&').map_or(out.len(), |i| q + i);
        out.replace_range(q + "password=".len()..end, "***");
    }
    out
}

/// Converts a lease to chrono, saturating absurd values instead of failing.
pub(crate) fn lease_until(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::days(365));
    now.checked_add_signed(lease).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://amp:s3cret@db.example:5432/amp"),
            "postgres://amp:***@db.example:5432/amp"
        );
        assert_eq!(
            redact_url("postgres://amp@db/amp?password=x&sslmode=require"),
            "postgres://amp@db/amp?password=***&sslmode=require"
        );
        assert_eq!(redact_url("sqlite://data/amp.db"), "sqlite://data/amp.db");
    }
}
