//! People from Slack: each person's name and IANA time zone from `users.info` (asked at most once a day per
//! person), and whether their Slack status says they are out of office.

use super::api::{ApiError, WebApi};
use crate::domain::Platform;
use crate::store::{Person, Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How long a `users.info` answer is trusted.
pub const REFRESH_EVERY: Duration = Duration::hours(24);

/// What in a Slack status means "out of office". Matching is case-insensitive; words match anywhere in the
/// status text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOfOfficeRule {
    pub emojis: Vec<String>,
    pub words: Vec<String>,
}

impl Default for OutOfOfficeRule {
    fn default() -> Self {
        OutOfOfficeRule {
            emojis: [
                ":palm_tree:",
                ":desert_island:",
                ":airplane:",
                ":face_with_thermometer:",
            ]
            .map(String::from)
            .to_vec(),
            words: [
                "ooo",
                "out of office",
                "vacation",
                "holiday",
                "on leave",
                "parental leave",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

impl OutOfOfficeRule {
    pub fn matches(&self, emoji: &str, text: &str) -> bool {
        let emoji = emoji.trim().to_lowercase();
        let text = text.to_lowercase();
        (!emoji.is_empty() && self.emojis.iter().any(|e| e.to_lowercase() == emoji))
            || self.words.iter().any(|w| {
                let w = w.to_lowercase();
                // Whole words only: "ooo" must not match "cooool".
                text.match_indices(&w).any(|(i, _)| {
                    let before = text[..i].chars().next_back();
                    let after = text[i + w.len()..].chars().next();
                    !before.is_some_and(char::is_alphanumeric)
                        && !after.is_some_and(char::is_alphanumeric)
                })
            })
    }
}

#[derive(Deserialize)]
struct UserInfo {
    user: SlackUser,
}

#[derive(Deserialize)]
struct SlackUser {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    tz: Option<String>,
    #[serde(default)]
    deleted: bool,
    profile: Option<Profile>,
}

#[derive(Deserialize, Default)]
struct Profile {
    #[serde(default)]
    real_name: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    status_emoji: String,
    #[serde(default)]
    status_text: String,
}

/// What one refresh did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Refreshed {
    pub asked: usize,
    pub out_of_office: usize,
    /// Stopped early by a 429; the rest are asked next time.
    pub rate_limited: bool,
}

/// Keeps people's Slack details in the store.
pub struct People {
    api: WebApi,
    store: Arc<dyn Store>,
    rule: OutOfOfficeRule,
    asked: Mutex<HashMap<String, DateTime<Utc>>>,
}

impl People {
    pub fn new(api: WebApi, store: Arc<dyn Store>, rule: OutOfOfficeRule) -> People {
        People {
            api,
            store,
            rule,
            asked: Mutex::new(HashMap::new()),
        }
    }

    fn asked(&self) -> std::sync::MutexGuard<'_, HashMap<String, DateTime<Utc>>> {
        self.asked.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Asks `users.info` about every Slack person not asked in the last day. A time zone is filled in only
    /// when the person has none (so `/amplify timezone` stays theirs); name and out-of-office follow Slack.
    pub async fn refresh(&self, now: DateTime<Utc>) -> Result<Refreshed, StoreError> {
        let mut done = Refreshed::default();
        let mut seen = std::collections::HashSet::new();
        for team in self.store.teams().await? {
            if team.platform != Platform::Slack {
                continue;
            }
            for (person, _) in self.store.team_people(team.id).await? {
                if !seen.insert(person.id) {
                    continue;
                }
                let fresh = self
                    .asked()
                    .get(&person.platform_user_id)
                    .is_some_and(|at| now - *at < REFRESH_EVERY);
                if fresh {
                    continue;
                }
                match self.refresh_one(&person).await? {
                    Ok(out) => {
                        done.asked += 1;
                        done.out_of_office += usize::from(out);
                        self.asked().insert(person.platform_user_id.clone(), now);
                    }
                    Err(ApiError::RateLimited { .. }) => {
                        done.rate_limited = true;
                        return Ok(done);
                    }
                    Err(e) => {
                        tracing::warn!(user = %person.platform_user_id, error = %e, "users.info failed")
                    }
                }
            }
        }
        Ok(done)
    }

    async fn refresh_one(&self, person: &Person) -> Result<Result<bool, ApiError>, StoreError> {
        let info: UserInfo = match self
            .api
            // A read method: Slack takes its arguments as a query (it ignores JSON bodies here).
            .get("users.info", &[("user", person.platform_user_id.as_str())])
            .await
        {
            Ok(info) => info,
            Err(e) => return Ok(Err(e)),
        };
        Ok(Ok(self.apply(person, info.user).await?))
    }

    /// A `user_change` event (a status, a name, a deactivation): applied to the person at once, so an
    /// out-of-office status set this morning stops today's nudges (the daily sweep stays as a safety net).
    /// `Ok(None)` when the user is nobody Amplifier knows in `workspace`; else whether they are now out of office.
    pub async fn on_user_change(
        &self,
        workspace: &str,
        user: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<Option<bool>, StoreError> {
        let Ok(user) = serde_json::from_value::<SlackUser>(user.clone()) else {
            return Ok(None);
        };
        let Some(person) = self
            .store
            .person_by_platform_id(Platform::Slack, workspace, &user.id)
            .await?
        else {
            return Ok(None);
        };
        let id = user.id.clone();
        let out = self.apply(&person, user).await?;
        self.asked().insert(id, now);
        Ok(Some(out))
    }

    /// Stores what Slack says of a person: name, zone (only when they set none), out of office.
    async fn apply(&self, person: &Person, user: SlackUser) -> Result<bool, StoreError> {
        let profile = user.profile.unwrap_or_default();
        let name = [
            profile.display_name.as_str(),
            profile.real_name.as_str(),
            user.name.as_str(),
        ]
        .into_iter()
        .find(|n| !n.trim().is_empty())
        .map(str::to_string);
        if name.is_some() && name != person.display_name {
            self.store
                .set_person_display_name(person.id, name.as_deref())
                .await?;
        }
        if person.time_zone.is_none() {
            if let Some(tz) = user
                .tz
                .as_deref()
                .filter(|tz| tz.parse::<chrono_tz::Tz>().is_ok())
            {
                self.store.set_person_time_zone(person.id, Some(tz)).await?;
            }
        }
        let out = user.deleted
            || self
                .rule
                .matches(&profile.status_emoji, &profile.status_text);
        if out != person.out_of_office {
            self.store.set_person_out_of_office(person.id, out).await?;
        }
        Ok(out)
    }
}

/// How often [`run`] looks for people whose details are a day old.
pub const CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Refreshes people at start and then every [`CHECK_EVERY`] until `shutdown` (for `amplifier run`).
pub async fn run(
    people: Arc<People>,
    clock: Arc<dyn crate::clock::Clock>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        match people.refresh(clock.now()).await {
            Ok(done) if done.asked > 0 => tracing::info!(?done, "Slack people refreshed"),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not store Slack people's details; trying again later")
            }
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(clock.real(CHECK_EVERY)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_rule_matches_emojis_and_whole_words() {
        let rule = OutOfOfficeRule::default();
        assert!(rule.matches(":palm_tree:", ""));
        assert!(rule.matches("", "OOO until Monday"));
        assert!(rule.matches(":calendar:", "On vacation, back 3 Jan"));
        assert!(rule.matches("", "out of office"));
        assert!(!rule.matches("", "cooool project"));
        assert!(!rule.matches(":coffee:", "In a meeting"));
        assert!(!rule.matches("", ""));
    }
}
