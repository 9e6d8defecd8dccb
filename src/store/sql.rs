//! SQL text shared by the SQLite and PostgreSQL stores, where the two dialects agree.
//!
//! Both drivers accept `$1…$N` placeholders, `ON CONFLICT … DO NOTHING/UPDATE` and `RETURNING`, so
//! one copy of each statement serves both. What one engine says differently (the outbox claim's row
//! lock, the migrations-table probe) is in its [`Dialect`](super::sql_store::Dialect).

use super::types::DraftStatus;

// ---- teams and people -------------------------------------------------------------------------

pub const TEAM_COLUMNS_BY_NAME: &str =
    "SELECT id, name, platform, workspace_id, settings_json, source, \
     created_at, updated_at FROM teams WHERE name = $1";
pub const TEAM_BY_ID: &str = "SELECT id, name, platform, workspace_id, settings_json, source, \
     created_at, updated_at FROM teams WHERE id = $1";
pub const TEAMS: &str = "SELECT id, name, platform, workspace_id, settings_json, source, \
     created_at, updated_at FROM teams ORDER BY name";
/// Returns nothing when the name is taken (by a config or a command team).
pub const INSERT_TEAM: &str =
    "INSERT INTO teams (name, platform, workspace_id, settings_json, source, \
     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
     ON CONFLICT (name) DO NOTHING RETURNING id";
/// Only config teams: the sync must never rewrite a command team.
/// Only command teams: config teams change in the file.
pub const UPDATE_COMMAND_TEAM_SETTINGS: &str =
    "UPDATE teams SET settings_json = $2, updated_at = $3, next_due_at = NULL \
     WHERE id = $1 AND source = 'command'";
pub const UPDATE_CONFIG_TEAM: &str = "UPDATE teams SET platform = $2, workspace_id = $3, \
     settings_json = $4, updated_at = $5, next_due_at = NULL WHERE id = $1 AND source = 'config'";
/// The teams whose clock work is due at $1, or not yet known (`next_due_at` NULL); one indexed query
/// however many teams there are.
pub const DUE_TEAMS: &str = "SELECT id, name, platform, workspace_id, settings_json, source, \
     created_at, updated_at FROM teams WHERE next_due_at IS NULL OR next_due_at <= $1 ORDER BY name";
/// The earliest pending outbox row nobody holds: when delivery should next look (served by `outbox_claim`).
pub const NEXT_OUTBOX_DUE: &str =
    "SELECT MIN(not_before) FROM outbox WHERE status = 'pending' AND claim_owner IS NULL";
/// The earliest clock work after $1 the store knows: a team's next slot, an ask's reminder, a post's publish
/// slot, a pending nudge. (Nudge reminders depend on each team's settings; the tick reports those.)
pub const NEXT_CLOCK_WORK: &str = "SELECT MIN(at) FROM ( \
     SELECT MIN(next_due_at) AS at FROM teams WHERE next_due_at > $1 \
     UNION ALL SELECT MIN(remind_at) FROM asks WHERE status = 'open' AND remind_at > $1 \
     UNION ALL SELECT MIN(publish_at) FROM posts WHERE status = 'scheduled' AND publish_at > $1 \
     UNION ALL SELECT MIN(due_at) FROM nudges WHERE status = 'pending' AND due_at > $1) AS due";
/// Whether a team's next instant is not known (its plan changed), and whether some clock work is due at $1 that
/// came due after $2 (work due earlier was looked at by the tick at $2).
pub const CLOCK_WORK_DUE: &str = "SELECT \
     EXISTS (SELECT 1 FROM teams WHERE next_due_at IS NULL), \
     EXISTS (SELECT 1 FROM teams WHERE next_due_at <= $1 AND next_due_at > $2) \
     OR EXISTS (SELECT 1 FROM asks WHERE status = 'open' AND remind_at <= $1 AND remind_at > $2) \
     OR EXISTS (SELECT 1 FROM posts WHERE status = 'scheduled' AND publish_at <= $1 AND publish_at > $2) \
     OR EXISTS (SELECT 1 FROM nudges WHERE status = 'pending' AND due_at <= $1 AND due_at > $2)";
/// A tick takes a due team: marks it due at the tick's own instant and reads it afresh, so a change to the
/// team's plan after this point (which sets `next_due_at` to NULL) makes [`SET_TEAM_NEXT_DUE`] miss.
pub const CLAIM_DUE_TEAM: &str = "UPDATE teams SET next_due_at = $2 WHERE id = $1 \
     RETURNING id, name, platform, workspace_id, settings_json, source, created_at, updated_at";
/// Stores the next due instant only if nothing changed since the claim at $2.
pub const SET_TEAM_NEXT_DUE: &str =
    "UPDATE teams SET next_due_at = $3 WHERE id = $1 AND next_due_at = $2";
/// A change to who leads a team can change its plan (leaders' zones): the next tick recomputes it.
pub const FORGET_TEAM_NEXT_DUE: &str = "UPDATE teams SET next_due_at = NULL WHERE id = $1";
/// A person's zone is part of the plan of every team they lead: those teams are recomputed at the next tick.
pub const FORGET_NEXT_DUE_OF_PERSON_TEAMS: &str = "UPDATE teams SET next_due_at = NULL \
     WHERE id IN (SELECT team_id FROM team_roles WHERE person_id = $1)";

pub const INSERT_PERSON: &str = "INSERT INTO people (platform, workspace_id, platform_user_id, \
     created_at) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (platform, workspace_id, platform_user_id) DO NOTHING RETURNING id";
pub const PERSON_ID_BY_PLATFORM_ID: &str = "SELECT id FROM people \
     WHERE platform = $1 AND workspace_id = $2 AND platform_user_id = $3";
pub const PERSON_BY_ID: &str = "SELECT id, platform, workspace_id, platform_user_id, display_name, \
     time_zone, muted, paused_until, out_of_office, dm_channel_id, mastodon_instance, dms_closed, created_at FROM people WHERE id = $1";
pub const PERSON_BY_PLATFORM_ID: &str = "SELECT id, platform, workspace_id, platform_user_id, \
     display_name, time_zone, muted, paused_until, out_of_office, dm_channel_id, mastodon_instance, dms_closed, created_at \
     FROM people WHERE platform = $1 AND workspace_id = $2 AND platform_user_id = $3";
pub const SET_PERSON_DISPLAY_NAME: &str = "UPDATE people SET display_name = $2 WHERE id = $1";
pub const SET_PERSON_MUTED: &str = "UPDATE people SET muted = $2 WHERE id = $1";
pub const SET_PERSON_PAUSED_UNTIL: &str = "UPDATE people SET paused_until = $2 WHERE id = $1";
pub const SET_PERSON_OUT_OF_OFFICE: &str = "UPDATE people SET out_of_office = $2 WHERE id = $1";
pub const SET_PERSON_TIME_ZONE: &str = "UPDATE people SET time_zone = $2 WHERE id = $1";
pub const SET_PERSON_DM_CHANNEL: &str = "UPDATE people SET dm_channel_id = $2 WHERE id = $1";
pub const SET_PERSON_DMS_CLOSED: &str = "UPDATE people SET dms_closed = $2 WHERE id = $1";
pub const SET_PERSON_MASTODON_INSTANCE: &str =
    "UPDATE people SET mastodon_instance = $2 WHERE id = $1";

pub const TEAM_ROLE_KEYS: &str = "SELECT person_id, role FROM team_roles WHERE team_id = $1";
pub const INSERT_TEAM_ROLE: &str = "INSERT INTO team_roles (team_id, person_id, role) \
     VALUES ($1, $2, $3) ON CONFLICT (team_id, person_id, role) DO NOTHING";
pub const DELETE_TEAM_ROLE: &str =
    "DELETE FROM team_roles WHERE team_id = $1 AND person_id = $2 AND role = $3";
pub const TEAM_PEOPLE: &str = "SELECT p.id, p.platform, p.workspace_id, p.platform_user_id, \
     p.display_name, p.time_zone, p.muted, p.paused_until, p.out_of_office, p.dm_channel_id, p.mastodon_instance, p.dms_closed, \
     p.created_at, r.role FROM team_roles r JOIN people p ON p.id = r.person_id \
     WHERE r.team_id = $1 ORDER BY p.platform_user_id, r.role";
pub const TEAMS_OF_PERSON: &str = "SELECT t.id, t.name, t.platform, t.workspace_id, \
     t.settings_json, t.source, t.created_at, t.updated_at, r.role \
     FROM team_roles r JOIN teams t ON t.id = r.team_id \
     WHERE r.person_id = $1 ORDER BY t.name, r.role";

// ---- rounds and asks --------------------------------------------------------------------------

/// The unique (team_id, scheduled_at) key decides races: the loser gets no row back.
pub const INSERT_ROUND: &str = "INSERT INTO rounds (team_id, scheduled_at, status, created_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (team_id, scheduled_at) DO NOTHING RETURNING id";
pub const ROUND_ID_AT_SLOT: &str = "SELECT id FROM rounds WHERE team_id = $1 AND scheduled_at = $2";
pub const ROUND_AT_SLOT: &str = "SELECT id, team_id, scheduled_at, status, created_at, closed_at \
     FROM rounds WHERE team_id = $1 AND scheduled_at = $2";
pub const ROUND_BY_ID: &str = "SELECT id, team_id, scheduled_at, status, created_at, closed_at \
     FROM rounds WHERE id = $1";
pub const CLOSE_ROUND: &str =
    "UPDATE rounds SET status = 'closed', closed_at = $2 WHERE id = $1 AND status = 'open'";
pub const LAST_ROUND_SLOT: &str = "SELECT MAX(scheduled_at) FROM rounds WHERE team_id = $1";
pub const OPEN_ROUNDS_OF_TEAM: &str = "SELECT id, team_id, scheduled_at, status, created_at, \
     closed_at FROM rounds WHERE team_id = $1 AND status = 'open' ORDER BY scheduled_at, id";

pub const INSERT_ASK: &str = "INSERT INTO asks (round_id, person_id, prompt_id, status, \
     created_at, updated_at) VALUES ($1, $2, $3, 'open', $4, $4) \
     ON CONFLICT (round_id, person_id) DO NOTHING RETURNING id";
pub const ASK_ID_BY_KEY: &str = "SELECT id FROM asks WHERE round_id = $1 AND person_id = $2";
pub const ASK_BY_ID: &str = "SELECT id, round_id, person_id, prompt_id, status, reminders_sent, \
     remind_at, snoozed, created_at, updated_at FROM asks WHERE id = $1";
pub const ASKS_OF_ROUND: &str =
    "SELECT id, round_id, person_id, prompt_id, status, reminders_sent, \
     remind_at, snoozed, created_at, updated_at FROM asks WHERE round_id = $1 ORDER BY id";
pub const OPEN_ASKS_OF_PERSON: &str =
    "SELECT id, round_id, person_id, prompt_id, status, reminders_sent, \
     remind_at, snoozed, created_at, updated_at FROM asks WHERE person_id = $1 AND status = 'open' \
     ORDER BY created_at DESC, id DESC";
pub const ASKS_DUE_FOR_REMINDER: &str =
    "SELECT id, round_id, person_id, prompt_id, status, reminders_sent, \
     remind_at, snoozed, created_at, updated_at FROM asks WHERE status = 'open' AND remind_at <= $1 \
     ORDER BY remind_at, id";
pub const SET_ASK_STATUS: &str = "UPDATE asks SET status = $2, updated_at = $3 WHERE id = $1";
pub const RECORD_ASK_REMINDER: &str = "UPDATE asks SET reminders_sent = reminders_sent + 1, \
     remind_at = $2, snoozed = FALSE, updated_at = $3 WHERE id = $1";
/// "Remind me tomorrow": the next reminder is the person's own request, sent even past the team's count.
pub const SNOOZE_ASK: &str =
    "UPDATE asks SET remind_at = $2, snoozed = TRUE, updated_at = $3 WHERE id = $1";
/// Selecting the ask (rather than inserting its id) keeps an unknown ask a silent no-op, as the
/// counter update above is.
pub const LOG_ASK_REMINDER: &str =
    "INSERT INTO ask_reminders (ask_id, reminded_at) SELECT id, $2 FROM asks WHERE id = $1";
pub const SET_ASK_REMIND_AT: &str = "UPDATE asks SET remind_at = $2, updated_at = $3 WHERE id = $1";

// ---- prompts ----------------------------------------------------------------------------------

pub const UPSERT_PROMPT: &str =
    "INSERT INTO prompts (pack, key, text, tags) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (pack, key) DO UPDATE SET text = excluded.text, tags = excluded.tags";
/// A second sighting (after a pack was exhausted and reset) moves the mark, never duplicates it.
pub const RECORD_PROMPT_SEEN: &str = "INSERT INTO prompt_views (person_id, prompt_id, team_id, \
     round_id, seen_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (person_id, team_id, prompt_id) \
     DO UPDATE SET round_id = excluded.round_id, seen_at = excluded.seen_at";
pub const PROMPT_BY_ID: &str = "SELECT id, pack, key, text, tags FROM prompts WHERE id = $1";
pub const UNSEEN_PROMPTS: &str = "SELECT p.id, p.pack, p.key, p.text, p.tags FROM prompts p \
     WHERE p.pack = $1 AND NOT EXISTS (SELECT 1 FROM prompt_views v \
     WHERE v.prompt_id = p.id AND v.person_id = $2 AND v.team_id = $3) ORDER BY p.key";
pub const RESET_PROMPT_VIEWS: &str =
    "DELETE FROM prompt_views WHERE person_id = $2 AND team_id = $3 \
     AND prompt_id IN (SELECT id FROM prompts WHERE pack = $1)";

// ---- drafts and reviews -----------------------------------------------------------------------

pub const INSERT_DRAFT: &str = "INSERT INTO drafts (team_id, author_id, ask_id, status, \
     current_version, created_at, updated_at) VALUES ($1, $2, $3, 'editing', 1, $4, $4) RETURNING id";
pub const INSERT_DRAFT_VERSION: &str = "INSERT INTO draft_versions (draft_id, version, body, \
     editor_id, created_at) VALUES ($1, $2, $3, $4, $5)";
/// Bumps and returns the version in one statement, so two editors never get the same number.
pub const BUMP_DRAFT_VERSION: &str = "UPDATE drafts SET current_version = current_version + 1, \
     updated_at = $2 WHERE id = $1 RETURNING current_version";
pub const DRAFT_BY_ID: &str = "SELECT id, team_id, author_id, ask_id, status, current_version, \
     created_at, updated_at FROM drafts WHERE id = $1";
pub const DRAFT_VERSIONS: &str = "SELECT draft_id, version, body, editor_id, created_at \
     FROM draft_versions WHERE draft_id = $1 ORDER BY version";
pub const SET_DRAFT_STATUS: &str = "UPDATE drafts SET status = $2, updated_at = $3 WHERE id = $1";
/// Touches the draft and returns its current version, in the same row lock a concurrent
/// `BUMP_DRAFT_VERSION` takes, so the body rewritten next is the version current at that moment.
pub const TOUCH_DRAFT: &str =
    "UPDATE drafts SET updated_at = $2 WHERE id = $1 RETURNING current_version";
/// Keeps the version's `created_at`: it is still the version begun then, only typed in parts.
pub const REPLACE_DRAFT_VERSION_BODY: &str = "UPDATE draft_versions SET body = $3, editor_id = $4 \
     WHERE draft_id = $1 AND version = $2";
/// How many statuses `DRAFTS_OF_AUTHOR` can filter on: one placeholder per draft status, the
/// unused ones bound to NULL (which never matches), so one static statement serves any subset.
pub const DRAFT_STATUS_SLOTS: usize = 8;
const _: () = assert!(
    DraftStatus::ALL.len() == DRAFT_STATUS_SLOTS,
    "DRAFTS_OF_AUTHOR needs one placeholder per draft status"
);
pub const DRAFTS_OF_AUTHOR: &str = "SELECT id, team_id, author_id, ask_id, status, \
     current_version, created_at, updated_at FROM drafts \
     WHERE author_id = $1 AND status IN ($2, $3, $4, $5, $6, $7, $8, $9) \
     ORDER BY created_at DESC, id DESC";
/// The values to bind to `DRAFTS_OF_AUTHOR`'s status placeholders: each status once, then NULLs.
pub fn draft_status_slots(statuses: &[DraftStatus]) -> [Option<&'static str>; DRAFT_STATUS_SLOTS] {
    let mut slots = [None; DRAFT_STATUS_SLOTS];
    let distinct: std::collections::BTreeSet<DraftStatus> = statuses.iter().copied().collect();
    for (slot, status) in slots.iter_mut().zip(distinct) {
        *slot = Some(status.as_str());
    }
    slots
}
pub const DRAFTS_OF_TEAM: &str = "SELECT id, team_id, author_id, ask_id, status, \
     current_version, created_at, updated_at FROM drafts WHERE team_id = $1 ORDER BY created_at, id";
pub const POSTS_OF_TEAM: &str = "SELECT id, draft_id, team_id, author_id, version, body, \
     status, publish_at, published_at, canonical_url, canonical_network, channel_message_ref, \
     created_at, updated_at FROM posts WHERE team_id = $1 ORDER BY created_at, id";
pub const DRAFTS_IN_REVIEW: &str = "SELECT id, team_id, author_id, ask_id, status, \
     current_version, created_at, updated_at FROM drafts \
     WHERE team_id = $1 AND status = 'in_review' ORDER BY created_at, id";

pub const INSERT_REVIEW: &str = "INSERT INTO reviews (draft_id, version, reviewer_id, decision, \
     comment, decided_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
pub const REVIEWS_OF_DRAFT: &str = "SELECT id, draft_id, version, reviewer_id, decision, comment, \
     decided_at FROM reviews WHERE draft_id = $1 ORDER BY decided_at, id";

// ---- posts, nudges, shares --------------------------------------------------------------------

/// Copies team, author and the approved body from the draft, so the post is what was approved.
pub const INSERT_POST: &str = "INSERT INTO posts (draft_id, team_id, author_id, version, body, \
     status, publish_at, created_at, updated_at) \
     SELECT d.id, d.team_id, d.author_id, v.version, v.body, $3, $4, $5, $5 \
     FROM drafts d JOIN draft_versions v ON v.draft_id = d.id \
     WHERE d.id = $1 AND v.version = $2 ON CONFLICT (draft_id) DO NOTHING RETURNING id";
pub const POST_ID_BY_DRAFT: &str = "SELECT id FROM posts WHERE draft_id = $1";
pub const POST_BY_ID: &str = "SELECT id, draft_id, team_id, author_id, version, body, status, \
     publish_at, published_at, canonical_url, canonical_network, channel_message_ref, created_at, \
     updated_at FROM posts WHERE id = $1";
pub const POST_OF_DRAFT: &str = "SELECT id, draft_id, team_id, author_id, version, body, status, \
     publish_at, published_at, canonical_url, canonical_network, channel_message_ref, created_at, \
     updated_at FROM posts WHERE draft_id = $1";
pub const POSTS_OF_AUTHOR: &str = "SELECT id, draft_id, team_id, author_id, version, body, \
     status, publish_at, published_at, canonical_url, canonical_network, channel_message_ref, \
     created_at, updated_at FROM posts WHERE author_id = $1 AND status = $2 \
     ORDER BY created_at DESC, id DESC";
pub const POSTS_DUE: &str = "SELECT id, draft_id, team_id, author_id, version, body, status, \
     publish_at, published_at, canonical_url, canonical_network, channel_message_ref, created_at, \
     updated_at FROM posts WHERE status = 'scheduled' AND publish_at <= $1 ORDER BY publish_at, id";
/// By when it reached the share channel, whatever its status now (a withdrawn post keeps its
/// `published_at`).
pub const PUBLISHED_POSTS_OF_TEAM: &str = "SELECT id, draft_id, team_id, author_id, version, \
     body, status, publish_at, published_at, canonical_url, canonical_network, \
     channel_message_ref, created_at, updated_at FROM posts \
     WHERE team_id = $1 AND published_at >= $2 AND published_at < $3 ORDER BY published_at, id";
pub const SET_POST_CANONICAL_LINK: &str = "UPDATE posts SET canonical_url = $2, \
     canonical_network = $3, updated_at = $4 WHERE id = $1";
pub const SET_POST_STATUS: &str =
    "UPDATE posts SET status = $2, publish_at = COALESCE($3, publish_at), updated_at = $4 WHERE id = $1";
pub const MARK_POST_PUBLISHED: &str = "UPDATE posts SET status = 'published', published_at = $3, \
     channel_message_ref = $2, updated_at = $3 WHERE id = $1";

pub const INSERT_NUDGE: &str = "INSERT INTO nudges (post_id, person_id, status, due_at) \
     VALUES ($1, $2, 'pending', $3) ON CONFLICT (post_id, person_id) DO NOTHING RETURNING id";
pub const NUDGE_ID_BY_KEY: &str = "SELECT id FROM nudges WHERE post_id = $1 AND person_id = $2";
pub const NUDGES_OF_POST: &str = "SELECT id, post_id, person_id, status, due_at, sent_at, \
     reminded_at FROM nudges WHERE post_id = $1 ORDER BY id";
pub const NUDGE_BY_ID: &str = "SELECT id, post_id, person_id, status, due_at, sent_at, \
     reminded_at FROM nudges WHERE id = $1";
pub const NUDGE_BY_KEY: &str = "SELECT id, post_id, person_id, status, due_at, sent_at, \
     reminded_at FROM nudges WHERE post_id = $1 AND person_id = $2";
pub const NUDGES_DUE: &str = "SELECT id, post_id, person_id, status, due_at, sent_at, \
     reminded_at FROM nudges WHERE status = 'pending' AND due_at <= $1 ORDER BY due_at, id LIMIT $2";
/// Only a pending nudge moves: one a worker already sent keeps the time it went out for.
pub const SET_NUDGE_DUE: &str =
    "UPDATE nudges SET due_at = $2 WHERE id = $1 AND status = 'pending'";
pub const NUDGES_IN_STATUS: &str = "SELECT id, post_id, person_id, status, due_at, sent_at, \
     reminded_at FROM nudges WHERE status = $1 ORDER BY due_at, id";
pub const NUDGES_OF_TEAM_IN_STATUS: &str = "SELECT n.id, n.post_id, n.person_id, n.status, \
     n.due_at, n.sent_at, n.reminded_at FROM nudges n JOIN posts p ON p.id = n.post_id \
     WHERE p.team_id = $1 AND n.status = $2 ORDER BY n.due_at, n.id";
/// The person's sent nudges (newest first) without a share of their post by that person, up to
/// the newest one that was shared: counted as those with no shared, sent nudge after them.
/// "After" is by `sent_at`, then id, so two nudges sent in the same instant still have an order.
pub const IGNORED_NUDGE_STREAK: &str = "SELECT COUNT(*) FROM nudges n \
     WHERE n.person_id = $1 AND n.sent_at IS NOT NULL \
     AND NOT EXISTS (SELECT 1 FROM share_confirmations s \
         WHERE s.post_id = n.post_id AND s.person_id = n.person_id) \
     AND NOT EXISTS (SELECT 1 FROM nudges m \
         WHERE m.person_id = n.person_id AND m.sent_at IS NOT NULL \
         AND (m.sent_at > n.sent_at OR (m.sent_at = n.sent_at AND m.id > n.id)) \
         AND EXISTS (SELECT 1 FROM share_confirmations s \
             WHERE s.post_id = m.post_id AND s.person_id = m.person_id))";
/// When the person's newest nudge went out.
pub const LAST_NUDGE_SENT: &str =
    "SELECT MAX(sent_at) FROM nudges WHERE person_id = $1 AND sent_at IS NOT NULL";
/// Every prompt the person got since `$2`: asks, ask reminders, nudges, nudge reminders; each
/// counted once, by the instant it went out.
pub const TOUCHES_SINCE: &str = "SELECT \
     (SELECT COUNT(*) FROM asks WHERE person_id = $1 AND created_at >= $2) \
     + (SELECT COUNT(*) FROM ask_reminders r JOIN asks a ON a.id = r.ask_id \
        WHERE a.person_id = $1 AND r.reminded_at >= $2) \
     + (SELECT COUNT(*) FROM nudges WHERE person_id = $1 AND sent_at >= $2) \
     + (SELECT COUNT(*) FROM nudges WHERE person_id = $1 AND reminded_at >= $2)";
/// Stamps `sent_at` / `reminded_at` the first time the nudge reaches that status.
pub const SET_NUDGE_STATUS: &str = "UPDATE nudges SET status = $2, \
     sent_at = CASE WHEN $2 = 'sent' THEN COALESCE(sent_at, $3) ELSE sent_at END, \
     reminded_at = CASE WHEN $2 = 'reminded' THEN COALESCE(reminded_at, $3) ELSE reminded_at END \
     WHERE id = $1";

pub const INSERT_SHARE: &str =
    "INSERT INTO share_confirmations (post_id, person_id, network, url, \
     confirmed_at) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (post_id, person_id, network) DO NOTHING";
/// A later confirmation may bring the link the first one lacked; it never replaces one.
pub const FILL_SHARE_URL: &str = "UPDATE share_confirmations SET url = $4 \
     WHERE post_id = $1 AND person_id = $2 AND network = $3 AND url IS NULL";
pub const SHARES_OF_POST: &str = "SELECT post_id, person_id, network, url, confirmed_at \
     FROM share_confirmations WHERE post_id = $1 ORDER BY confirmed_at, id";
pub const SHARES_OF_TEAM: &str = "SELECT s.post_id, s.person_id, s.network, s.url, \
     s.confirmed_at FROM share_confirmations s JOIN posts p ON p.id = s.post_id \
     WHERE p.team_id = $1 AND s.confirmed_at >= $2 AND s.confirmed_at < $3 \
     ORDER BY s.confirmed_at, s.id";

// ---- outbox -----------------------------------------------------------------------------------

pub const ENQUEUE: &str = "INSERT INTO outbox (idempotency_key, platform, workspace_id, lane, \
     payload_json, status, attempts, not_before, created_at) \
     VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING";
pub const OUTBOX_BY_ID: &str = "SELECT id, idempotency_key, platform, workspace_id, lane, \
     payload_json, status, attempts, deferrals, not_before, claim_owner, claim_expires_at, last_error, \
     platform_ref, created_at, sent_at FROM outbox WHERE id = $1";
pub const OUTBOX_BY_KEY: &str = "SELECT id, idempotency_key, platform, workspace_id, lane, \
     payload_json, status, attempts, deferrals, not_before, claim_owner, claim_expires_at, last_error, \
     platform_ref, created_at, sent_at FROM outbox WHERE idempotency_key = $1";
/// Every ack below names the owner: a worker whose lease expired and was reclaimed changes nothing.
pub const MARK_SENT: &str = "UPDATE outbox SET status = 'sent', sent_at = $3, platform_ref = $4, \
     claim_owner = NULL, claim_expires_at = NULL \
     WHERE id = $1 AND claim_owner = $2 AND status = 'pending'";
/// `$5` is 1 for a deferral (released without a send), else 0.
pub const RETRY_LATER: &str = "UPDATE outbox SET not_before = $3, last_error = $4, \
     deferrals = deferrals + $5, claim_owner = NULL, claim_expires_at = NULL \
     WHERE id = $1 AND claim_owner = $2 AND status = 'pending'";
pub const MARK_FAILED: &str = "UPDATE outbox SET status = 'failed', last_error = $3, \
     claim_owner = NULL, claim_expires_at = NULL \
     WHERE id = $1 AND claim_owner = $2 AND status = 'pending'";
pub const OUTBOX_DEPTH: &str =
    "SELECT lane, COUNT(*) FROM outbox WHERE status = 'pending' GROUP BY lane";

// ---- inbound events and audit -----------------------------------------------------------------

pub const RECORD_INBOUND: &str = "INSERT INTO inbound_events (platform, key, received_at) \
     VALUES ($1, $2, $3) ON CONFLICT (platform, key) DO NOTHING";
pub const PRUNE_INBOUND: &str = "DELETE FROM inbound_events WHERE received_at < $1";

pub const INSERT_AUDIT: &str = "INSERT INTO audit_log (at, team_id, actor, action, subject, \
     detail_json) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
pub const AUDIT_LOG_ALL: &str = "SELECT id, at, team_id, actor, action, subject, detail_json \
     FROM audit_log ORDER BY at DESC, id DESC LIMIT $1";
pub const AUDIT_LOG_OF_TEAM: &str = "SELECT id, at, team_id, actor, action, subject, detail_json \
     FROM audit_log WHERE team_id = $1 ORDER BY at DESC, id DESC LIMIT $2";

/// A row acknowledged for good whose key asks to be erased then (see `forget::ERASE_AFTER_SEND`).
pub const DELETE_ERASED_OUTBOX: &str = "DELETE FROM outbox WHERE id = $1 \
     AND status <> 'pending' AND substr(idempotency_key, 1, 6) = 'erase:'";

// ---- forgetting a person (see forget.rs) ----------------------------------------------------------

pub const PEOPLE_BY_PLATFORM_USER_ID: &str = "SELECT id, platform, workspace_id, platform_user_id, \
     display_name, time_zone, muted, paused_until, out_of_office, dm_channel_id, mastodon_instance, dms_closed, created_at \
     FROM people WHERE platform_user_id = $1 ORDER BY platform, workspace_id";
/// What a forget will remove, counted before the delete cascades.
pub const FORGET_COUNTS: &str = "SELECT \
     (SELECT COUNT(*) FROM team_roles WHERE person_id = $1), \
     (SELECT COUNT(*) FROM asks WHERE person_id = $1), \
     (SELECT COUNT(*) FROM drafts WHERE author_id = $1), \
     (SELECT COUNT(*) FROM draft_versions WHERE draft_id IN (SELECT id FROM drafts WHERE author_id = $1)), \
     (SELECT COUNT(*) FROM reviews WHERE reviewer_id = $1), \
     (SELECT COUNT(*) FROM posts WHERE author_id = $1), \
     (SELECT COUNT(*) FROM nudges WHERE person_id = $1), \
     (SELECT COUNT(*) FROM share_confirmations WHERE person_id = $1), \
     (SELECT COUNT(*) FROM draft_versions WHERE editor_id = $1 \
        AND draft_id NOT IN (SELECT id FROM drafts WHERE author_id = $1))";
/// Every text the person wrote: the versions of their drafts, their review comments, their links.
pub const FORGET_TEXTS: &str = "SELECT body FROM draft_versions \
     WHERE draft_id IN (SELECT id FROM drafts WHERE author_id = $1) \
     UNION ALL SELECT comment FROM reviews WHERE reviewer_id = $1 AND comment IS NOT NULL \
     UNION ALL SELECT url FROM share_confirmations WHERE person_id = $1 AND url IS NOT NULL \
     UNION ALL SELECT canonical_url FROM posts WHERE author_id = $1 AND canonical_url IS NOT NULL";
/// The person's own things, named as outbox keys name them; nudges of their posts count as theirs.
pub const FORGET_OWNED: &str = "SELECT 'ask', id FROM asks WHERE person_id = $1 \
     UNION ALL SELECT 'draft', id FROM drafts WHERE author_id = $1 \
     UNION ALL SELECT 'post', id FROM posts WHERE author_id = $1 \
     UNION ALL SELECT 'nudge', id FROM nudges WHERE person_id = $1 \
        OR post_id IN (SELECT id FROM posts WHERE author_id = $1)";
/// Every key, matched in Rust (`forget::Owned::caused`): a forget is rare, and a pattern such as
/// `nudge:7%` would also match `nudge:70`.
pub const OUTBOX_KEYS: &str = "SELECT id, idempotency_key FROM outbox";
pub const DELETE_OUTBOX_ROW: &str = "DELETE FROM outbox WHERE id = $1";
/// Versions they wrote into someone else's draft become the author's (the author's post is made of them).
pub const CREDIT_EDITS_TO_AUTHORS: &str = "UPDATE draft_versions \
     SET editor_id = (SELECT author_id FROM drafts WHERE drafts.id = draft_versions.draft_id) \
     WHERE editor_id = $1 AND draft_id NOT IN (SELECT id FROM drafts WHERE author_id = $1)";
pub const TEAMS_IN_WORKSPACE: &str =
    "SELECT id, name, platform, workspace_id, settings_json, source, \
     created_at, updated_at FROM teams WHERE platform = $1 AND workspace_id = $2 ORDER BY name";
pub const SET_TEAM_SETTINGS_JSON: &str = "UPDATE teams SET settings_json = $2 WHERE id = $1";
/// `$1` names the person; entries of another workspace's teams (where the same id is someone else) stay.
pub const ANONYMISE_AUDIT_BY_NAME: &str = "UPDATE audit_log \
     SET actor = 'forgotten', subject = 'forgotten', detail_json = '{}' \
     WHERE (actor = $1 OR subject = $1) \
     AND (team_id IS NULL OR team_id IN (SELECT id FROM teams WHERE platform = $2 AND workspace_id = $3))";
pub const DELETE_PERSON: &str = "DELETE FROM people WHERE id = $1";

// ---- forgetting (the needle is searched with `instr`, which migration 0007 gives PostgreSQL) ----

pub const FORGET_OUTBOX_TO: &str = "DELETE FROM outbox WHERE platform = $1 AND workspace_id = $2 \
     AND instr(payload_json, $3) > 0";
/// Redacts the other outbox rows of the person's workspace (`$3`, `$4`) that name or quote them (`$1`); a
/// pending one is never sent.
pub const REDACT_OUTBOX: &str = "UPDATE outbox SET payload_json = $2, last_error = NULL, \
     claim_owner = NULL, claim_expires_at = NULL, \
     status = CASE status WHEN 'pending' THEN 'failed' ELSE status END \
     WHERE payload_json <> $2 AND platform = $3 AND workspace_id = $4 AND (instr(payload_json, $1) > 0 OR instr(COALESCE(last_error, ''), $1) > 0)";
/// Anonymises the audit entries whose subject or detail names or quotes a forgotten person (`$1`), but not
/// those of another workspace's teams (`$2`, `$3`: where the same id is someone else).
pub const ANONYMISE_AUDIT_CONTAINING: &str = "UPDATE audit_log \
     SET actor = 'forgotten', subject = 'forgotten', detail_json = '{}' \
     WHERE action <> 'person.forgotten' AND NOT (actor = 'forgotten' AND detail_json = '{}') \
     AND (instr(subject, $1) > 0 OR instr(detail_json, $1) > 0) \
     AND (team_id IS NULL OR team_id IN (SELECT id FROM teams WHERE platform = $2 AND workspace_id = $3))";

/// Claims due outbox rows (`$1` owner, `$2` lease end, `$3` now, `$4` limit) and returns them; `$lock` is
/// what the engine adds to the row choice to keep concurrent claimers apart.
macro_rules! claim_outbox {
    ($lock:literal) => {
        concat!(
            "UPDATE outbox SET claim_owner = $1, claim_expires_at = $2, ",
            "attempts = attempts + 1 WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' ",
            "AND not_before <= $3 AND (claim_owner IS NULL OR claim_expires_at <= $3) ",
            "ORDER BY CASE lane WHEN 'interactive' THEN 0 ELSE 1 END, id LIMIT $4",
            $lock,
            ") RETURNING id, idempotency_key, platform, workspace_id, lane, payload_json, status, ",
            "attempts, deferrals, not_before, claim_owner, claim_expires_at, last_error, platform_ref, ",
            "created_at, sent_at"
        )
    };
}
pub(super) use claim_outbox;
