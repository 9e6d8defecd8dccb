//! Which team's server a DM belongs to: membership of each Discord team's server (`GET /guilds/{g}/members/{u}`,
//! 404 = not a member), cached in memory for [`MEMBERSHIP_TTL`]; and a DM command from someone in several of those
//! servers, parked here while a select menu asks them which server it is for (never guessed).

use super::rest::Rest;
use crate::chat::command::{parse, Command};
use crate::chat::EventKind;
use crate::domain::Platform;
use crate::store::Store;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a membership answer (member or not) is trusted: someone who just joined a server waits at most this.
pub const MEMBERSHIP_TTL: Duration = Duration::from_secs(10 * 60);
/// How long a parked command waits for its choice: an interaction's token lives 15 minutes.
const PARKED_TTL: Duration = Duration::from_secs(15 * 60);
/// The `custom_id` prefix of the server menu (the adapter's own, never an engine action).
pub const CHOOSE_PREFIX: &str = "dws:";
/// Options a select menu holds.
const OPTIONS_MAX: usize = 25;

/// Where an event belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attributed {
    Workspace(String),
    /// Ask the person: they are a member of each of these servers.
    Choose(Vec<String>),
    /// No Discord team at all.
    Nowhere,
}

/// Membership answers by (server, user), each with when it was read.
#[derive(Default)]
pub struct MembershipCache {
    entries: Mutex<HashMap<(String, String), (bool, Instant)>>,
}

impl MembershipCache {
    /// A membership read less than [`MEMBERSHIP_TTL`] before `now`.
    pub fn get(&self, guild: &str, user: &str, now: Instant) -> Option<bool> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&(guild.to_string(), user.to_string()))
            .filter(|(_, at)| now.saturating_duration_since(*at) < MEMBERSHIP_TTL)
            .map(|(member, _)| *member)
    }

    pub fn put(&self, guild: &str, user: &str, member: bool, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, (_, at)| now.saturating_duration_since(*at) < MEMBERSHIP_TTL);
        entries.insert((guild.to_string(), user.to_string()), (member, now));
    }
}

/// A DM command waiting for its author to choose a server.
struct Parked {
    person: String,
    channel: String,
    kind: EventKind,
    guilds: Vec<String>,
    at: Instant,
}

/// Memberships and parked commands; one per gateway connection.
#[derive(Default)]
pub struct Attribution {
    members: MembershipCache,
    parked: Mutex<HashMap<String, Parked>>,
    next: AtomicU64,
}

impl Attribution {
    /// Whether `user` is a member of `guild`: cached, or asked (`Err` when Discord gave no answer either way).
    pub async fn member_of(&self, rest: &Rest, guild: &str, user: &str) -> Result<bool, String> {
        if let Some(member) = self.members.get(guild, user, Instant::now()) {
            return Ok(member);
        }
        let answer = rest
            .call(
                Method::GET,
                &format!("/guilds/{guild}/members/{user}"),
                None,
            )
            .await
            .map_err(|e| e.to_string())?;
        let member = match answer.status {
            s if (200..300).contains(&s) => true,
            404 => false,
            _ => return Err(answer.describe()),
        };
        self.members.put(guild, user, member, Instant::now());
        Ok(member)
    }

    /// The workspace (server) an event belongs to: its server; for a DM the one Discord team server the person is
    /// a member of; for someone in several, [`Attributed::Choose`] when the event needs a team and came as an
    /// `interaction` (something to answer the question with), else the one server where a question waits for
    /// their answer ([`Attributed::Choose`] when questions wait in several), else the one server where the store
    /// knows them ([`Attributed::Choose`] when it knows them in several and the event needs a team).
    pub async fn attribute(
        &self,
        rest: &Rest,
        store: &dyn Store,
        guild: Option<&str>,
        person: &str,
        kind: &EventKind,
        interaction: bool,
    ) -> Result<Attributed, String> {
        if let Some(guild) = guild {
            return Ok(Attributed::Workspace(guild.to_string()));
        }
        let mut guilds: Vec<String> = Vec::new();
        for team in store.teams().await.map_err(|e| e.to_string())? {
            if team.platform == Platform::Discord && !guilds.contains(&team.workspace_id) {
                guilds.push(team.workspace_id);
            }
        }
        if guilds.len() <= 1 {
            return Ok(guilds
                .pop()
                .map_or(Attributed::Nowhere, Attributed::Workspace));
        }
        let mut member_of = Vec::new();
        for guild in &guilds {
            let member = match self.member_of(rest, guild, person).await {
                Ok(member) => member,
                // No answer: what the store knows stands in for this server.
                Err(e) => {
                    tracing::warn!(guild, error = %e, "cannot read a membership; using what the store knows");
                    known(store, guild, person).await?
                }
            };
            if member {
                member_of.push(guild.clone());
            }
        }
        if member_of.len() == 1 {
            return Ok(Attributed::Workspace(member_of.remove(0)));
        }
        if member_of.len() > 1 && needs_team(kind) && interaction {
            return Ok(Attributed::Choose(member_of));
        }
        // In several servers with nothing to ask with (a DM message), or with no need of a team; or in none (any
        // more): the one server where a question waits for their answer (a leader answering it by DM), else the
        // first server that knows them, else the first (the engine answers strangers).
        let candidates = if member_of.is_empty() {
            guilds
        } else {
            member_of
        };
        let mut asked = Vec::new();
        for guild in &candidates {
            if asked_in(store, guild, person).await? {
                asked.push(guild.clone());
            }
        }
        if asked.len() == 1 {
            return Ok(Attributed::Workspace(asked.remove(0)));
        }
        if asked.len() > 1 {
            // Questions wait in several: which one this answers is theirs to say (a menu in the DM).
            return Ok(Attributed::Choose(asked));
        }
        let mut known_in = Vec::new();
        for guild in &candidates {
            if known(store, guild, person).await? {
                known_in.push(guild.clone());
            }
        }
        if known_in.len() > 1 && needs_team(kind) {
            // Known in several and no question to tell them apart (a new draft by DM, say): theirs to say.
            return Ok(Attributed::Choose(known_in));
        }
        if let Some(first) = known_in.into_iter().next() {
            return Ok(Attributed::Workspace(first));
        }
        Ok(candidates
            .into_iter()
            .next()
            .map_or(Attributed::Nowhere, Attributed::Workspace))
    }

    /// Keeps `kind` until `person` chooses one of `guilds`; returns the menu's `custom_id`.
    pub fn park(
        &self,
        person: &str,
        channel: &str,
        kind: EventKind,
        guilds: Vec<String>,
    ) -> String {
        let id = format!(
            "{CHOOSE_PREFIX}{}",
            self.next.fetch_add(1, Ordering::Relaxed)
        );
        let mut parked = self.parked.lock().unwrap_or_else(|e| e.into_inner());
        parked.retain(|_, p| p.at.elapsed() < PARKED_TTL);
        parked.insert(
            id.clone(),
            Parked {
                person: person.to_string(),
                channel: channel.to_string(),
                kind,
                guilds,
                at: Instant::now(),
            },
        );
        id
    }

    /// The parked command behind the menu `custom_id` (its channel and kind) when `person` chose one of the
    /// servers it offered; taken, so a second choice finds nothing.
    pub fn take(&self, custom_id: &str, person: &str, chosen: &str) -> Option<(String, EventKind)> {
        let mut parked = self.parked.lock().unwrap_or_else(|e| e.into_inner());
        let fits = parked.get(custom_id).is_some_and(|p| {
            p.person == person
                && p.guilds.iter().any(|g| g == chosen)
                && p.at.elapsed() < PARKED_TTL
        });
        if !fits {
            return None;
        }
        parked.remove(custom_id).map(|p| (p.channel, p.kind))
    }
}

/// Whether the store knows `person` in server `guild`.
async fn known(store: &dyn Store, guild: &str, person: &str) -> Result<bool, String> {
    Ok(store
        .person_by_platform_id(Platform::Discord, guild, person)
        .await
        .map_err(|e| e.to_string())?
        .is_some())
}

/// Whether the store has an open question for the person in `guild`.
async fn asked_in(store: &dyn Store, guild: &str, person: &str) -> Result<bool, String> {
    let Some(found) = store
        .person_by_platform_id(Platform::Discord, guild, person)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(false);
    };
    Ok(!store
        .open_asks_of(found.id)
        .await
        .map_err(|e| e.to_string())?
        .is_empty())
}

/// Whether the event needs a team to be answered: everything but `help` (the same in every server).
pub fn needs_team(kind: &EventKind) -> bool {
    match kind {
        EventKind::Command { text } => {
            let today = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
            !matches!(parse(text, today), Ok(Command::Help { .. }))
        }
        _ => true,
    }
}

/// The ephemeral answer that asks which server: one option per server (`(id, name)`), in the given order.
pub fn menu(custom_id: &str, servers: &[(String, String)]) -> Value {
    let options: Vec<Value> = servers
        .iter()
        .take(OPTIONS_MAX)
        .map(|(id, name)| json!({"label": super::render::truncate(name, 100), "value": id}))
        .collect();
    json!({
        "content": "You are in several servers where Amplifier runs a team. Which one is this for?",
        "flags": 1 << 6,
        "allowed_mentions": {"parse": []},
        "components": [{"type": 1, "components": [{
            "type": 3, "custom_id": custom_id, "placeholder": "Choose a server",
            "min_values": 1, "max_values": 1, "options": options}]}]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_membership_is_trusted_until_it_expires() {
        let cache = MembershipCache::default();
        let t0 = Instant::now();
        assert_eq!(cache.get("g", "u", t0), None);
        cache.put("g", "u", false, t0);
        assert_eq!(
            cache.get("g", "u", t0 + Duration::from_secs(60)),
            Some(false)
        );
        assert_eq!(cache.get("g", "u", t0 + MEMBERSHIP_TTL), None, "expired");
        assert_eq!(cache.get("h", "u", t0), None);
    }

    #[test]
    fn a_parked_command_goes_to_its_author_and_the_servers_offered() {
        let a = Attribution::default();
        let kind = EventKind::Command {
            text: "mute".into(),
        };
        let id = a.park("7", "dm", kind.clone(), vec!["1".into(), "2".into()]);
        assert!(id.starts_with(CHOOSE_PREFIX));
        assert_eq!(a.take(&id, "8", "1"), None, "someone else");
        assert_eq!(a.take(&id, "7", "3"), None, "a server not offered");
        assert_eq!(a.take(&id, "7", "2"), Some(("dm".to_string(), kind)));
        assert_eq!(a.take(&id, "7", "2"), None, "taken once");
    }

    #[test]
    fn help_needs_no_team() {
        let help = EventKind::Command {
            text: "help pause".into(),
        };
        let mute = EventKind::Command {
            text: "mute".into(),
        };
        assert!(!needs_team(&help));
        assert!(needs_team(&mute));
        let menu = menu(
            "dws:1",
            &[("1".into(), "A".into()), ("2".into(), "B".into())],
        );
        assert_eq!(
            menu["components"][0]["components"][0]["options"][1]["value"],
            "2"
        );
    }
}
