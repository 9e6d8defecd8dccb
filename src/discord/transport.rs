//! Delivery's transport for Discord: opens DM channels, creates and edits messages, answers interactions
//! (replies, forms, follow-ups), paced under the global and per-route limits, with Discord's errors mapped to
//! what the delivery workers do next.

use super::interactions::{Interactions, State};
use super::ratelimit::Pacer;
use super::render;
use super::rest::{codes, Answer, Rest};
use crate::chat::{Destination, Message, Modal, Outbound};
use crate::clock::Clock;
use crate::delivery::{SendError, Sent, Transport, GLOBAL_SCOPE};
use crate::domain::Platform;
use crate::store::{OutboxMessage, Store};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The scope of rows to people whose DM channel is not open yet: opening DMs has its own limit (40003).
pub const DM_OPEN_SCOPE: &str = "dm-open";
/// The scope of interaction answers (not counted against the global limit; one bucket per interaction).
pub const INTERACTION_SCOPE: &str = "interactions";
/// How long to leave DM opening alone after a 40003 that did not say how long.
const DM_OPEN_BACKOFF: Duration = Duration::from_secs(10);
/// Ephemeral messages (only the person who acted sees them).
const EPHEMERAL: u64 = 1 << 6;

/// The Discord transport; one per bot token.
pub struct DiscordTransport {
    rest: Rest,
    application_id: String,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    interactions: Arc<Interactions>,
    pacer: Mutex<Pacer>,
    /// User id → DM channel id (also kept on the person in the store).
    dm_channels: Mutex<HashMap<String, String>>,
}

/// Where a sent message lives: `channel_id/message_id`, kept on its outbox row for later edits.
pub fn message_ref(channel: &str, message: &str) -> String {
    format!("{channel}/{message}")
}

fn parse_ref(reference: &str) -> Option<(&str, &str)> {
    reference.split_once('/')
}

/// The interaction an engine reply row answers.
fn event_key_of(row_key: &str) -> Option<&str> {
    crate::engine::answered_event(row_key, Platform::Discord)
}

impl DiscordTransport {
    /// Whether the row answers an interaction Discord still accepts answers for (else it becomes a DM).
    fn answers_interaction(&self, row: &OutboxMessage, op: &Outbound) -> bool {
        match op {
            Outbound::OpenModal { trigger, .. } => self.interactions.knows(trigger),
            Outbound::Private { .. } => {
                event_key_of(&row.idempotency_key).is_some_and(|key| self.interactions.knows(key))
            }
            _ => false,
        }
    }

    pub fn new(
        rest: Rest,
        application_id: &str,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        interactions: Arc<Interactions>,
    ) -> DiscordTransport {
        DiscordTransport {
            rest,
            application_id: application_id.to_string(),
            store,
            clock,
            interactions,
            pacer: Mutex::new(Pacer::default()),
            dm_channels: Mutex::new(HashMap::new()),
        }
    }

    fn pacer(&self) -> std::sync::MutexGuard<'_, Pacer> {
        self.pacer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn cached_dm(&self, user: &str) -> Option<String> {
        self.dm_channels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(user)
            .cloned()
    }

    fn scope_of(&self, op: &Outbound) -> String {
        match op {
            Outbound::Send {
                to: Destination::Channel(channel),
                ..
            } => format!("channel:{channel}"),
            Outbound::Send {
                to: Destination::Person(user),
                ..
            } => self
                .cached_dm(user)
                .map_or_else(|| DM_OPEN_SCOPE.to_string(), |c| format!("channel:{c}")),
            Outbound::Update { original_key, .. } => format!("edit:{original_key}"),
            Outbound::Private { .. } | Outbound::OpenModal { .. } => INTERACTION_SCOPE.to_string(),
            Outbound::Home { .. } => "home".to_string(),
        }
    }

    /// Sends one request and maps the answer: bucket headers feed the pacer; a 429 holds its scope (or every
    /// scope when global); 50007 and other 4xx are permanent (retrying them only spends the invalid-request
    /// budget); 5xx and no answer are transient.
    async fn call(
        &self,
        scope: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, SendError> {
        let answer = self
            .rest
            .call(method, path, body)
            .await
            .map_err(|e| SendError::Transient(e.to_string()))?;
        let now = self.clock.now();
        if let Some(state) = answer.bucket {
            self.pacer().observe(scope, state, now);
        }
        if answer.ok() {
            return Ok(answer);
        }
        if answer.status == 429 {
            let retry_after = answer.retry_after.unwrap_or(Duration::from_secs(5));
            let scope = if answer.global { GLOBAL_SCOPE } else { scope };
            let until = now + chrono::Duration::from_std(retry_after).unwrap_or_default();
            self.pacer().hold(scope, until);
            return Err(SendError::RateLimited {
                retry_after,
                scope: scope.to_string(),
            });
        }
        match answer.code() {
            Some(codes::DM_OPENING_TOO_FAST) => {
                let retry_after = answer
                    .body
                    .get("retry_after")
                    .and_then(Value::as_f64)
                    .map_or(DM_OPEN_BACKOFF, Duration::from_secs_f64);
                let until = now + chrono::Duration::from_std(retry_after).unwrap_or_default();
                self.pacer().hold(DM_OPEN_SCOPE, until);
                Err(SendError::RateLimited {
                    retry_after,
                    scope: DM_OPEN_SCOPE.to_string(),
                })
            }
            Some(codes::CANNOT_DM) => Err(SendError::DmsClosed(format!(
                "{method_path}: the person does not accept DMs from the bot ({}); they can allow \
                 direct messages from server members in the server's privacy settings; not retried",
                answer.describe(),
                method_path = path
            ))),
            _ if answer.status >= 500 => Err(SendError::Transient(format!(
                "{path}: Discord failed: {}",
                answer.describe()
            ))),
            _ => Err(SendError::Permanent(format!(
                "{path}: Discord refused: {}",
                answer.describe()
            ))),
        }
    }

    /// The DM channel with `user`: cached, stored on the person, or opened (`POST /users/@me/channels`).
    async fn dm_channel(&self, workspace: &str, user: &str) -> Result<String, SendError> {
        if let Some(channel) = self.cached_dm(user) {
            return Ok(channel);
        }
        let person = self
            .store
            .person_by_platform_id(Platform::Discord, workspace, user)
            .await
            .map_err(|e| SendError::Transient(format!("cannot read the person {user}: {e}")))?;
        if let Some(channel) = person.as_ref().and_then(|p| p.dm_channel_id.clone()) {
            self.remember_dm(user, &channel);
            return Ok(channel);
        }
        let answer = self
            .call(
                DM_OPEN_SCOPE,
                Method::POST,
                "/users/@me/channels",
                Some(&json!({ "recipient_id": user })),
            )
            .await?;
        let channel = answer
            .body
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| SendError::Transient("the DM channel came back without an id".into()))?
            .to_string();
        self.remember_dm(user, &channel);
        if let Some(person) = person {
            if let Err(e) = self
                .store
                .set_person_dm_channel(person.id, Some(&channel))
                .await
            {
                tracing::warn!(error = %e, user, "could not keep the DM channel on the person; it will be opened again after a restart");
            }
        }
        Ok(channel)
    }

    fn remember_dm(&self, user: &str, channel: &str) {
        self.dm_channels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(user.to_string(), channel.to_string());
    }

    async fn create(
        &self,
        channel: &str,
        message: &Message,
        row: &OutboxMessage,
    ) -> Result<Sent, SendError> {
        let mut body = serde_json::to_value(render::message(message))
            .map_err(|e| SendError::Permanent(format!("cannot encode the message: {e}")))?;
        body["nonce"] = json!(render::nonce(&row.idempotency_key));
        body["enforce_nonce"] = json!(true);
        let answer = self
            .call(
                &format!("channel:{channel}"),
                Method::POST,
                &format!("/channels/{channel}/messages"),
                Some(&body),
            )
            .await?;
        let id = answer
            .body
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                SendError::Transient("the created message came back without an id".into())
            })?;
        Ok(Sent {
            platform_ref: Some(message_ref(channel, id)),
        })
    }

    async fn edit(
        &self,
        original_key: &str,
        message: &Message,
        scope: &str,
    ) -> Result<Sent, SendError> {
        let original = self.store.outbox_by_key(original_key).await.map_err(|e| {
            SendError::Transient(format!("cannot read outbox row {original_key}: {e}"))
        })?;
        let Some(original) = original else {
            return Err(SendError::Permanent(format!(
                "the message to update ({original_key}) was never queued"
            )));
        };
        let Some((channel, id)) = original.platform_ref.as_deref().and_then(parse_ref) else {
            // Not sent yet (or failed): try again after it had its chance.
            return Err(SendError::Transient(format!(
                "the message to update ({original_key}) has not been sent yet"
            )));
        };
        let body = serde_json::to_value(render::message(message))
            .map_err(|e| SendError::Permanent(format!("cannot encode the message: {e}")))?;
        self.call(
            scope,
            Method::PATCH,
            &format!("/channels/{channel}/messages/{id}"),
            Some(&body),
        )
        .await?;
        Ok(Sent {
            platform_ref: Some(message_ref(channel, id)),
        })
    }

    /// A reply only the person sees: the interaction's answer (or a follow-up when it was deferred), or a DM when
    /// there is no interaction to answer (or its token expired).
    async fn private(
        &self,
        row: &OutboxMessage,
        workspace: &str,
        person: &str,
        message: &Message,
    ) -> Result<Sent, SendError> {
        let claimed =
            event_key_of(&row.idempotency_key).and_then(|key| self.interactions.claim(key));
        let Some((interaction, state)) = claimed else {
            let channel = self.dm_channel(workspace, person).await?;
            return self.create(&channel, message, row).await;
        };
        let mut data = serde_json::to_value(render::message(message))
            .map_err(|e| SendError::Permanent(format!("cannot encode the message: {e}")))?;
        data["flags"] = json!(EPHEMERAL);
        match state {
            State::Fresh => {
                self.call(
                    INTERACTION_SCOPE,
                    Method::POST,
                    &format!(
                        "/interactions/{}/{}/callback",
                        interaction.id, interaction.token
                    ),
                    Some(&json!({ "type": 4, "data": data })),
                )
                .await?;
            }
            State::Answered => {
                self.call(
                    INTERACTION_SCOPE,
                    Method::POST,
                    &format!("/webhooks/{}/{}", self.application_id, interaction.token),
                    Some(&data),
                )
                .await?;
            }
        }
        Ok(Sent::default())
    }

    async fn open_modal(&self, trigger: &str, modal: &Modal) -> Result<Sent, SendError> {
        match self.interactions.claim(trigger) {
            Some((interaction, State::Fresh)) => {
                let data = serde_json::to_value(render::modal(modal))
                    .map_err(|e| SendError::Permanent(format!("cannot encode the form: {e}")))?;
                self.call(
                    INTERACTION_SCOPE,
                    Method::POST,
                    &format!(
                        "/interactions/{}/{}/callback",
                        interaction.id, interaction.token
                    ),
                    Some(&json!({ "type": 9, "data": data })),
                )
                .await?;
                Ok(Sent::default())
            }
            Some((interaction, State::Answered)) => {
                // Too late for a form (Discord opens one only as the first answer): say so.
                let note = render::message(
                    &Message::new("")
                        .say("That took too long to open the form: press the button again."),
                );
                let mut data = serde_json::to_value(note)
                    .map_err(|e| SendError::Permanent(format!("cannot encode the message: {e}")))?;
                data["flags"] = json!(EPHEMERAL);
                self.call(
                    INTERACTION_SCOPE,
                    Method::POST,
                    &format!("/webhooks/{}/{}", self.application_id, interaction.token),
                    Some(&data),
                )
                .await?;
                Err(SendError::Permanent(format!(
                    "the form for {trigger} could not open: its interaction was already answered (the person was told to press again)"
                )))
            }
            None => Err(SendError::Permanent(format!(
                "the form for {trigger} could not open: its interaction is unknown or expired"
            ))),
        }
    }
}

#[async_trait]
impl Transport for DiscordTransport {
    fn platform(&self) -> Platform {
        Platform::Discord
    }

    fn rate_scope(&self, message: &OutboxMessage) -> Option<String> {
        serde_json::from_str::<Outbound>(&message.payload_json)
            .ok()
            .map(|op| self.scope_of(&op))
    }

    fn wait_before(&self, message: &OutboxMessage, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let op = serde_json::from_str::<Outbound>(&message.payload_json).ok()?;
        let scope = self.scope_of(&op);
        if scope == INTERACTION_SCOPE && self.answers_interaction(message, &op) {
            // An interaction's answer has a deadline (3 s for the first, 15 minutes for follow-ups) and does not
            // count against the global limit: it never waits behind a fan-out's slots.
            return None;
        }
        // A DM to someone whose channel is not known yet opens it first: two requests on the global limit.
        let requests = match &op {
            Outbound::Send {
                to: Destination::Person(user),
                ..
            } if self.cached_dm(user).is_none() => 2,
            _ => 1,
        };
        let slot = self.pacer().reserve(message.id.0, &scope, requests, now);
        (slot > now).then_some(slot)
    }

    async fn send(&self, row: &OutboxMessage) -> Result<Sent, SendError> {
        let op: Outbound = serde_json::from_str(&row.payload_json)
            .map_err(|e| SendError::Permanent(format!("unreadable outbound message: {e}")))?;
        let scope = self.scope_of(&op);
        match &op {
            Outbound::Send {
                to: Destination::Channel(channel),
                message,
                ..
            } => self.create(channel, message, row).await,
            Outbound::Send {
                workspace_id,
                to: Destination::Person(user),
                message,
            } => {
                let channel = self.dm_channel(workspace_id, user).await?;
                self.create(&channel, message, row).await
            }
            Outbound::Update {
                original_key,
                message,
                ..
            } => self.edit(original_key, message, &scope).await,
            Outbound::Private {
                workspace_id,
                person,
                message,
                ..
            } => self.private(row, workspace_id, person, message).await,
            Outbound::OpenModal { trigger, modal, .. } => self.open_modal(trigger, modal).await,
            // Discord has no home tab, and never sends the event that asks for one.
            Outbound::Home { .. } => Err(SendError::Permanent(
                "Discord has no home tab to publish".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_rows_name_their_interaction() {
        assert_eq!(
            event_key_of("ev:discord:1300000000000000001:2"),
            Some("1300000000000000001")
        );
        assert_eq!(
            event_key_of("erase:ev:discord:1300000000000000001:1"),
            Some("1300000000000000001")
        );
        assert_eq!(event_key_of("ev:slack:E1:1"), None);
        assert_eq!(event_key_of("nudge:7"), None);
        assert_eq!(parse_ref("11/22"), Some(("11", "22")));
    }
}
