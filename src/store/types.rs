//! The store's vocabulary: ids, enum-like states, the rows it hands out and the specs it takes in.
//!
//! These types are the store's own (the config and domain modules map onto them), so the
//! persistence layer compiles and tests on its own.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub use crate::domain::{Network, Platform};

/// Declares an `i64` id newtype that binds and decodes as its inner integer on both databases.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type,
        )]
        #[sqlx(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A team (one config section or one `/amplify team create`).
    TeamId
);
id_type!(
    /// A person on one platform workspace; the same human in two teams of that workspace is one person.
    PersonId
);
id_type!(
    /// A prompt of a pack.
    PromptId
);
id_type!(
    /// One scheduled slot of a team.
    RoundId
);
id_type!(
    /// One leader's question within a round.
    AskId
);
id_type!(
    /// A draft, with all its versions.
    DraftId
);
id_type!(
    /// One review decision.
    ReviewId
);
id_type!(
    /// An approved, publishable post.
    PostId
);
id_type!(
    /// One member's request to share one post.
    NudgeId
);
id_type!(
    /// One chat message waiting in (or done with) the outbox.
    OutboxId
);
id_type!(
    /// One audit log entry.
    AuditId
);

/// A stored enum value that is not one of the known words: the database and the code disagree.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown {kind} '{value}' in the database")]
pub struct UnknownWord {
    pub kind: &'static str,
    pub value: String,
}

/// Declares an enum stored as a lowercase word (with a CHECK constraint in both schemas).
macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident, $kind:literal { $($(#[$vdoc:meta])* $variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word stored in the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownWord;
            fn from_str(s: &str) -> Result<Self, UnknownWord> {
                match s {
                    $($word => Ok($name::$variant),)+
                    other => Err(UnknownWord { kind: $kind, value: other.to_string() }),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = UnknownWord;
            fn try_from(s: String) -> Result<Self, UnknownWord> {
                s.parse()
            }
        }
    };
}

word_enum!(
    /// A person's role in one team.
    Role, "role" { Leader => "leader", Approver => "approver", Member => "member", Admin => "admin" }
);
word_enum!(
    /// Where a team's definition lives: the config file (synced at start) or the database (commands).
    TeamSource, "team source" { Config => "config", Command => "command" }
);
word_enum!(
    /// A round is opened when its slot fires, recorded as missed when the slot passed while down
    /// (so catch-up does not prompt late), and closed when the next round starts.
    RoundStatus, "round status" { Open => "open", Missed => "missed", Closed => "closed" }
);
word_enum!(
    /// Where one leader's ask stands.
    AskStatus, "ask status" { Open => "open", Answered => "answered", Skipped => "skipped", Expired => "expired" }
);
word_enum!(
    /// The draft state machine's states (the rules live in the domain; the store only keeps the word).
    DraftStatus, "draft status" {
        Editing => "editing",
        InReview => "in_review",
        ChangesRequested => "changes_requested",
        Approved => "approved",
        Rejected => "rejected",
        Discarded => "discarded",
        Published => "published",
        Withdrawn => "withdrawn",
    }
);
word_enum!(
    /// What an approver decided about one version of a draft.
    ReviewDecision, "review decision" {
        Approve => "approve",
        EditAndApprove => "edit_and_approve",
        RequestChanges => "request_changes",
        Reject => "reject",
    }
);
word_enum!(
    /// Where an approved post stands: waiting for the leader's own link (leader-posts-first),
    /// waiting for its publish slot, in the share channel, or withdrawn by its author.
    PostStatus, "post status" {
        AwaitingLink => "awaiting_link",
        Scheduled => "scheduled",
        Published => "published",
        Withdrawn => "withdrawn",
    }
);
word_enum!(
    /// Where one member's nudge stands.
    NudgeStatus, "nudge status" {
        Pending => "pending",
        Sent => "sent",
        Reminded => "reminded",
        Done => "done",
        Cancelled => "cancelled",
    }
);
word_enum!(
    /// Outbox lanes: interactive replies (button acks, command answers) are always claimed before
    /// bulk traffic (nudges, digests), so a click is answered even with thousands of nudges queued.
    Lane, "lane" { Interactive => "interactive", Bulk => "bulk" }
);
word_enum!(
    /// An outbox row is pending until sent, or failed for good.
    OutboxStatus, "outbox status" { Pending => "pending", Sent => "sent", Failed => "failed" }
);

/// One team as the config file defines it; `sync_teams` makes the database match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamSpec {
    pub name: String,
    pub platform: Platform,
    pub workspace_id: String,
    /// The team's whole config section as JSON, kept for the engine.
    pub settings_json: String,
    pub people: Vec<PersonSpec>,
}

/// One person of a config team and their roles there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonSpec {
    pub platform_user_id: String,
    pub roles: Vec<Role>,
}

/// A team created by a command; it lives only in the database and the config sync never touches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTeam {
    pub name: String,
    pub platform: Platform,
    pub workspace_id: String,
    pub settings_json: String,
}

/// What `sync_teams` changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub teams_created: u32,
    /// Config teams whose platform, workspace or settings changed.
    pub teams_updated: u32,
    pub people_added: u32,
    pub roles_added: u32,
    pub roles_removed: u32,
    /// Names in the config file that belong to command-created teams: left alone, and reported so
    /// the operator can rename one of them.
    pub skipped_command_teams: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub platform: Platform,
    pub workspace_id: String,
    pub settings_json: String,
    #[sqlx(try_from = "String")]
    pub source: TeamSource,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Person {
    pub id: PersonId,
    #[sqlx(try_from = "String")]
    pub platform: Platform,
    pub workspace_id: String,
    pub platform_user_id: String,
    pub display_name: Option<String>,
    /// IANA zone name; `None` means the team's zone.
    pub time_zone: Option<String>,
    /// Muted people get no nudges.
    pub muted: bool,
    pub paused_until: Option<DateTime<Utc>>,
    pub out_of_office: bool,
    /// The DM channel the platform gave us, so sends need no extra lookup.
    pub dm_channel_id: Option<String>,
    /// The host of the person's Mastodon instance (`/amplify mastodon HOST`), for share links there.
    pub mastodon_instance: Option<String>,
    /// The platform refused a DM to this person (they do not accept DMs from the bot): no more are sent.
    pub dms_closed: bool,
    pub created_at: DateTime<Utc>,
}

/// The rows `team_people` returns: a person plus one role (a person with two roles appears twice).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct PersonWithRole {
    #[sqlx(flatten)]
    pub person: Person,
    #[sqlx(try_from = "String")]
    pub role: Role,
}

/// The rows `teams_of_person` returns: a team plus one of the person's roles there.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct TeamWithRole {
    #[sqlx(flatten)]
    pub team: Team,
    #[sqlx(try_from = "String")]
    pub role: Role,
}

/// A prompt of a pack, as the config or the prompt library defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptSpec {
    /// Stable key within the pack; the text may be reworded without losing who saw it.
    pub key: String,
    pub text: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub id: PromptId,
    pub pack: String,
    pub key: String,
    pub text: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct PromptRow {
    pub id: PromptId,
    pub pack: String,
    pub key: String,
    pub text: String,
    pub tags: String,
}

impl From<PromptRow> for Prompt {
    fn from(r: PromptRow) -> Self {
        // Tags are written by this module as a JSON array; anything else reads as no tags.
        let tags = serde_json::from_str(&r.tags).unwrap_or_default();
        Prompt {
            id: r.id,
            pack: r.pack,
            key: r.key,
            text: r.text,
            tags,
        }
    }
}

/// What `open_round` found at a team's slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundOpened {
    /// This call opened the round: the caller sends the asks.
    Created(RoundId),
    /// Someone (a restart, catch-up, another replica) already opened it: send nothing.
    AlreadyOpen(RoundId),
    /// The slot was already recorded as missed or has closed: send nothing.
    AlreadyDone(RoundId, RoundStatus),
}

impl RoundOpened {
    pub fn round_id(self) -> RoundId {
        match self {
            RoundOpened::Created(id) | RoundOpened::AlreadyOpen(id) => id,
            RoundOpened::AlreadyDone(id, _) => id,
        }
    }
}

/// The result of an insert keyed by a natural unique key: a new row, or the one already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted<T> {
    New(T),
    Existing(T),
}

impl<T: Copy> Inserted<T> {
    pub fn id(&self) -> T {
        match self {
            Inserted::New(id) | Inserted::Existing(id) => *id,
        }
    }
    pub fn is_new(&self) -> bool {
        matches!(self, Inserted::New(_))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Round {
    pub id: RoundId,
    pub team_id: TeamId,
    pub scheduled_at: DateTime<Utc>,
    #[sqlx(try_from = "String")]
    pub status: RoundStatus,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Ask {
    pub id: AskId,
    pub round_id: RoundId,
    pub person_id: PersonId,
    pub prompt_id: Option<PromptId>,
    #[sqlx(try_from = "String")]
    pub status: AskStatus,
    pub reminders_sent: i64,
    pub remind_at: Option<DateTime<Utc>>,
    /// The person asked to be reminded ("Remind me tomorrow"): the next reminder goes even past the team's count.
    pub snoozed: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Draft {
    pub id: DraftId,
    pub team_id: TeamId,
    pub author_id: PersonId,
    pub ask_id: Option<AskId>,
    #[sqlx(try_from = "String")]
    pub status: DraftStatus,
    pub current_version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DraftVersion {
    pub draft_id: DraftId,
    pub version: i64,
    pub body: String,
    pub editor_id: PersonId,
    pub created_at: DateTime<Utc>,
}

/// One review decision to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReview {
    pub draft_id: DraftId,
    /// The version the reviewer saw: decisions stay attached to what was actually read.
    pub version: i64,
    pub reviewer_id: PersonId,
    pub decision: ReviewDecision,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Review {
    pub id: ReviewId,
    pub draft_id: DraftId,
    pub version: i64,
    pub reviewer_id: PersonId,
    #[sqlx(try_from = "String")]
    pub decision: ReviewDecision,
    pub comment: Option<String>,
    pub decided_at: DateTime<Utc>,
}

/// An approved draft version to turn into a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPost {
    pub draft_id: DraftId,
    pub version: i64,
    pub status: PostStatus,
    pub publish_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Post {
    pub id: PostId,
    pub draft_id: DraftId,
    pub team_id: TeamId,
    pub author_id: PersonId,
    pub version: i64,
    /// The approved text, copied so later edits of the draft cannot change what was published.
    pub body: String,
    #[sqlx(try_from = "String")]
    pub status: PostStatus,
    pub publish_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    /// The leader's own post on a network, pasted after approval (leader-posts-first).
    pub canonical_url: Option<String>,
    pub canonical_network: Option<String>,
    /// The platform's id of the share-channel message, to update its live share count.
    pub channel_message_ref: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Nudge {
    pub id: NudgeId,
    pub post_id: PostId,
    pub person_id: PersonId,
    #[sqlx(try_from = "String")]
    pub status: NudgeStatus,
    /// Inside the member's own working hours.
    pub due_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub reminded_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ShareConfirmation {
    pub post_id: PostId,
    pub person_id: PersonId,
    #[sqlx(try_from = "String")]
    pub network: Network,
    pub url: Option<String>,
    pub confirmed_at: DateTime<Utc>,
}

/// A chat message to send later, committed together with the state change that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutboxMessage {
    /// Derived from what caused the message (e.g. `nudge:42`), so a retried cause enqueues nothing twice.
    pub idempotency_key: String,
    pub platform: Platform,
    pub workspace_id: String,
    pub lane: Lane,
    /// The platform-neutral message, serialized by the engine.
    pub payload_json: String,
    /// Not delivered before this instant (working hours, backoff).
    pub not_before: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxMessage {
    pub id: OutboxId,
    pub idempotency_key: String,
    #[sqlx(try_from = "String")]
    pub platform: Platform,
    pub workspace_id: String,
    #[sqlx(try_from = "String")]
    pub lane: Lane,
    pub payload_json: String,
    #[sqlx(try_from = "String")]
    pub status: OutboxStatus,
    /// Claims so far, including the current one.
    pub attempts: i64,
    /// Claims that ended without a send (pacing, a rate-limit hold, no transport, shutdown): failed sends
    /// are `attempts - deferrals`.
    pub deferrals: i64,
    pub not_before: DateTime<Utc>,
    pub claim_owner: Option<String>,
    pub claim_expires_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub platform_ref: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// Why a claimed outbox row goes back unsent ([`super::Store::retry_later`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// A send was tried and failed: it counts against the worker's `max_attempts`.
    Failed,
    /// No send was tried (pacing, a rate-limit hold, no transport, shutdown): a deferral, not a failure.
    Deferred,
}

/// Pending outbox rows per lane (claimed or not), for metrics and back-pressure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxDepth {
    pub interactive: i64,
    pub bulk: i64,
}

/// One thing someone did, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub team_id: Option<TeamId>,
    /// Who did it: a person's platform id, `config`, `scheduler`, …
    pub actor: String,
    /// A product word such as `draft.approved` or `team.role_added`.
    pub action: String,
    /// What it was done to, e.g. `draft:17`.
    pub subject: String,
    pub detail_json: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRecord {
    pub id: AuditId,
    pub at: DateTime<Utc>,
    pub team_id: Option<TeamId>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail_json: String,
}

/// When the clock work is next due, as the store knows it (see [`super::Store::next_clock_work`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClockWork {
    /// A team's next instant is not known (its plan changed since the last tick): look at it now.
    pub replanned: bool,
    /// Something came due after the last tick and by the instant asked about.
    pub due_now: bool,
    /// The earliest instant after it at which something comes due.
    pub next: Option<DateTime<Utc>>,
}
