//! Forgetting a person (`/amplify forget-me`, `amplifier forget`): what counts as their personal data, and
//! the backend-neutral rules both stores apply in one transaction.
//!
//! Deleted: the person row (platform user id, display name, DM channel, zone, Mastodon host, settings) and,
//! through its cascades, their roles, prompt views, asks and reminders, their drafts with every version and
//! every review of them, their posts with the nudges and share confirmations of those posts, the nudges sent
//! to them, the reviews they wrote and the shares they confirmed (with their links). Outbox rows addressed to
//! them or caused by their asks, drafts, posts or nudges are deleted; any other row whose payload names them
//! or quotes their text is redacted (a pending one is marked failed, never sent). Audit entries they made or
//! that name them keep only their time, team and action. Config teams' stored settings lose their id.
//!
//! Kept, anonymous: a `person.forgotten` audit entry with the counts of what went, and every other person's
//! rows. A version they wrote into someone else's draft (an approver's *Edit & approve*) is that draft's text
//! now: it stays, credited to the draft's author, because the author's post is made of it.

use super::types::{AuditEntry, Person};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// Outbox rows whose idempotency key starts with this are deleted, not kept, once sent or failed: the reply
/// that confirms a forget is addressed to the person it forgets.
pub const ERASE_AFTER_SEND: &str = "erase:";

/// What replaces a forgotten person's name in the audit log and in redacted outbox rows.
pub const FORGOTTEN: &str = "forgotten";

/// The payload a redacted outbox row keeps.
pub(crate) const REDACTED_PAYLOAD: &str = r#"{"redacted":"forgotten"}"#;

/// What a forget removed, in counts only (it is audited and printed; it names nobody).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ForgetReport {
    /// Team roles the person held.
    pub roles: i64,
    pub asks: i64,
    pub drafts: i64,
    /// Versions of their drafts (theirs and approvers' edits).
    pub versions: i64,
    /// Reviews they wrote.
    pub reviews: i64,
    pub posts: i64,
    /// Nudges sent to them.
    pub nudges: i64,
    /// Shares they confirmed.
    pub shares: i64,
    /// Versions they wrote into other people's drafts, now credited to those drafts' authors.
    pub edits_credited_to_authors: i64,
    pub outbox_deleted: i64,
    pub outbox_redacted: i64,
    pub audit_anonymised: i64,
    /// Config teams whose file names them: the next start adds them back (with no history) until an admin
    /// removes them from the file. Not audited (a team name and a date could point at them).
    #[serde(skip)]
    pub config_teams: Vec<String>,
}

impl ForgetReport {
    /// The counts in words, zeros left out: "1 draft, 2 draft versions, 3 nudges" (empty when all are zero).
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        let mut count = |n: i64, one: &str, many: &str| {
            if n > 0 {
                parts.push(format!("{n} {}", if n == 1 { one } else { many }));
            }
        };
        count(self.roles, "team role", "team roles");
        count(self.asks, "question", "questions");
        count(self.drafts, "draft", "drafts");
        count(self.versions, "draft version", "draft versions");
        count(self.reviews, "review", "reviews");
        count(self.posts, "post", "posts");
        count(self.nudges, "nudge", "nudges");
        count(self.shares, "share", "shares");
        count(
            self.outbox_deleted + self.outbox_redacted,
            "queued or sent message",
            "queued or sent messages",
        );
        count(self.audit_anonymised, "audit entry", "audit entries");
        parts.join(", ")
    }
}

/// The actor string the engine's audit entries carry for a person (see `Turn::audit`).
pub(crate) fn actor_of(person: &Person) -> String {
    format!(
        "{}:{}:{}",
        person.platform, person.workspace_id, person.platform_user_id
    )
}

/// `text` as it appears inside a JSON string (quotes and control characters escaped), so it can be found in
/// a stored payload.
pub(crate) fn json_fragment(text: &str) -> String {
    let quoted = serde_json::to_string(text).expect("a string always serializes");
    quoted[1..quoted.len() - 1].to_string()
}

/// What marks a payload as addressed to the person: `Destination::Person`, and the `person` of a private
/// reply, a home view or a form, all serialize as `"person":"ID"`.
pub(crate) fn addressed_to(person: &Person) -> String {
    format!(r#""person":{}"#, json_string(&person.platform_user_id))
}

fn json_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string always serializes")
}

/// Strings whose presence in a payload or an audit detail means it names the person or quotes them: their id
/// as a JSON string (a mention, a list of people), their DM channel, and every text they wrote (`texts`: draft
/// bodies, review comments, links). Display names and Mastodon hosts are never written into messages or
/// audit details (and a host such as `mastodon.social` is shared by many), so they are not searched for.
pub(crate) fn needles(person: &Person, texts: &[String]) -> Vec<String> {
    let mut out = vec![json_string(&person.platform_user_id)];
    if let Some(channel) = &person.dm_channel_id {
        out.push(json_fragment(channel));
    }
    // A short text ("ok") would match unrelated messages as a fragment; whole, it is a JSON string of its own.
    out.extend(texts.iter().map(|t| {
        if t.chars().count() < SHORT_TEXT {
            json_string(t)
        } else {
            json_fragment(t)
        }
    }));
    out.retain(|n| !n.trim().is_empty());
    out.sort();
    out.dedup();
    out
}

/// Texts shorter than this (in characters) are searched for only as a whole JSON string.
const SHORT_TEXT: usize = 16;

/// Exact actor or subject values of audit entries about the person.
pub(crate) fn audit_names(person: &Person) -> Vec<String> {
    vec![
        actor_of(person),
        format!("person:{}", person.platform_user_id),
        format!("person:{}", person.id.0),
    ]
}

/// The ids of the person's own things, by the word outbox keys name them with (`ask:12:prompt`, `nudge:7`,
/// `draft:3:v2:review:9`, `post:5:channel`).
#[derive(Debug, Default)]
pub(crate) struct Owned {
    ids: HashSet<(String, i64)>,
}

impl Owned {
    pub(crate) fn add(&mut self, kind: String, id: i64) {
        self.ids.insert((kind, id));
    }

    /// Whether an outbox row with this key was caused by one of the person's things.
    pub(crate) fn caused(&self, key: &str) -> bool {
        let mut parts = key.split(':');
        let (Some(kind), Some(id)) = (parts.next(), parts.next()) else {
            return false;
        };
        id.parse::<i64>()
            .is_ok_and(|id| self.ids.contains(&(kind.to_string(), id)))
    }
}

/// The team settings without the person's id in any list (leaders, approvers, admins, members); `None` when
/// it was not there.
pub(crate) fn settings_without(settings_json: &str, platform_user_id: &str) -> Option<String> {
    fn strip(value: &mut serde_json::Value, id: &str) -> bool {
        match value {
            serde_json::Value::Array(items) => {
                let before = items.len();
                items.retain(|v| v.as_str() != Some(id));
                let mut changed = items.len() != before;
                for item in items {
                    changed |= strip(item, id);
                }
                changed
            }
            serde_json::Value::Object(map) => {
                let mut changed = false;
                for (_, v) in map.iter_mut() {
                    changed |= strip(v, id);
                }
                changed
            }
            _ => false,
        }
    }
    let mut value: serde_json::Value = serde_json::from_str(settings_json).ok()?;
    strip(&mut value, platform_user_id).then(|| value.to_string())
}

/// The entry that records a forget: who asked (`self` or `cli`), and counts; nothing that names the person.
pub(crate) fn forgotten_entry(
    report: &ForgetReport,
    actor: &str,
    now: DateTime<Utc>,
) -> AuditEntry {
    AuditEntry {
        at: now,
        team_id: None,
        actor: actor.to_string(),
        action: "person.forgotten".to_string(),
        subject: format!("person:{FORGOTTEN}"),
        detail_json: serde_json::to_string(report).expect("a report always serializes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_lose_the_id_in_every_list_and_only_there() {
        let json = r#"{"name":"alice","leaders":["alice","bob"],"approvers":["alice"],"members":["dan","alice"],"share_channel":"alice"}"#;
        let out = settings_without(json, "alice").expect("changed");
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["leaders"], serde_json::json!(["bob"]));
        assert_eq!(value["approvers"], serde_json::json!([]));
        assert_eq!(value["members"], serde_json::json!(["dan"]));
        assert_eq!(value["name"], "alice", "only lists of people change");
        assert_eq!(settings_without(&out, "alice"), None);
        assert_eq!(
            settings_without(r#"{"members":"share_channel"}"#, "x"),
            None
        );
    }

    #[test]
    fn keys_of_owned_things_are_recognised_exactly() {
        let mut owned = Owned::default();
        owned.add("nudge".into(), 7);
        owned.add("post".into(), 5);
        assert!(owned.caused("nudge:7"));
        assert!(owned.caused("nudge:7:reminder"));
        assert!(owned.caused("post:5:count:3"));
        assert!(!owned.caused("nudge:70"));
        assert!(!owned.caused("post:6:channel"));
        assert!(!owned.caused("ev:shell:nudge:7"));
        assert!(!owned.caused("digest:1:5:channel"));
    }

    #[test]
    fn text_is_matched_as_it_sits_in_json() {
        assert_eq!(json_fragment("a \"b\"\nc"), r#"a \"b\"\nc"#);
        let person = Person {
            id: crate::store::PersonId(4),
            platform: crate::domain::Platform::Slack,
            workspace_id: "T1".into(),
            platform_user_id: "U42".into(),
            display_name: Some("Ada".into()),
            time_zone: None,
            muted: false,
            paused_until: None,
            out_of_office: false,
            dm_channel_id: Some("D42".into()),
            mastodon_instance: Some("mastodon.social".into()),
            dms_closed: false,
            created_at: Utc::now(),
        };
        let found = needles(
            &person,
            &["ok".into(), "A longer text\nwith two lines".into()],
        );
        assert_eq!(
            found,
            vec![
                r#""U42""#.to_string(),
                r#""ok""#.to_string(),
                r#"A longer text\nwith two lines"#.to_string(),
                "D42".to_string(),
            ]
        );
    }
}
