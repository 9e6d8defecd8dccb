//! Applying what Slack sent: a payload becomes a chat event, the engine applies it within the ack deadline, and
//! the delivery workers are woken. Shared by Socket Mode and HTTP events.

use super::inbound::{
    from_callback, from_command, from_interaction, EventCallback, Interaction, SlashCommand,
};
use crate::chat::{Event, EventKind};
use crate::clock::Clock;
use crate::engine::{Engine, Handled};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Slack wants every envelope acknowledged within 3 seconds; the engine gets this long, then the ack goes
/// anyway and the work finishes in the background.
pub const ACK_WITHIN: Duration = Duration::from_secs(2);

/// What to tell Slack about one envelope or request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing for us (another app's command, a link button, an edit): acknowledge.
    Ignored,
    Applied,
    /// Seen before (a redelivery): acknowledge, nothing changed.
    Duplicate,
    /// Still being applied when the deadline came: acknowledge; it finishes in the background.
    Pending,
    /// The engine failed (e.g. the database is down): do not acknowledge, so Slack delivers it again.
    Failed(String),
}

impl Outcome {
    pub fn ack(&self) -> bool {
        !matches!(self, Outcome::Failed(_))
    }
}

/// The kinds of payload Slack delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadKind {
    EventsApi,
    Interactive,
    SlashCommand,
}

/// Turns payloads into engine calls.
pub struct Receiver {
    engine: Arc<Engine>,
    /// Applies `user_change` events (statuses) to people at once.
    people: Arc<super::people::People>,
    clock: Arc<dyn Clock>,
    /// Our own user id (from auth.test): our own messages are never a reply.
    bot_user: String,
    wake: Arc<Notify>,
    /// Where the answers to presses and commands can go without the Web API's tiers.
    responses: Arc<super::responses::ResponseUrls>,
    /// The bot's Web API client, for keeping opt-in user groups in step with `/amplify join|leave`.
    api: Option<Arc<super::api::WebApi>>,
    /// One group change at a time: `usergroups.users.update` replaces the whole list, so two joins at once would
    /// each write a list without the other.
    group_changes: Arc<tokio::sync::Mutex<()>>,
}

impl Receiver {
    pub fn new(
        engine: Arc<Engine>,
        people: Arc<super::people::People>,
        clock: Arc<dyn Clock>,
        bot_user: String,
        wake: Arc<Notify>,
        responses: Arc<super::responses::ResponseUrls>,
    ) -> Receiver {
        Receiver {
            engine,
            people,
            clock,
            bot_user,
            wake,
            responses,
            api: None,
            group_changes: Arc::default(),
        }
    }

    /// Keeps the workspace's opt-in user groups in step with `/amplify join|leave` through `api`.
    pub fn with_api(mut self, api: Arc<super::api::WebApi>) -> Receiver {
        self.api = Some(api);
        self
    }

    /// After `/amplify join|leave` was applied: the workspace's opt-in user groups follow, in the background
    /// (the ack does not wait for Slack); a refusal is told to the person, only to them.
    fn follow_groups(&self, event: &Event, join: bool) {
        let Some(api) = self.api.clone() else {
            return;
        };
        let store = self.engine.store().clone();
        let one_at_a_time = self.group_changes.clone();
        let (workspace, person, channel) = (
            event.workspace_id.clone(),
            event.person.clone(),
            event.channel.clone(),
        );
        tokio::spawn(async move {
            let _turn = one_at_a_time.lock().await;
            let groups = match super::opt_in::groups_of(store.as_ref(), &workspace).await {
                Ok(groups) => groups,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the teams' opt-in groups");
                    return;
                }
            };
            for group in groups {
                let Err(note) = super::opt_in::follow(&api, &group, &person, join).await else {
                    continue;
                };
                tracing::info!(group, "an opt-in user group was not changed");
                let Some(channel) = &channel else { continue };
                let told: Result<serde_json::Value, _> = api
                    .post(
                        "chat.postEphemeral",
                        &serde_json::json!({"channel": channel, "user": person, "text": note}),
                    )
                    .await;
                if let Err(e) = told {
                    tracing::warn!(error = %e, "could not tell a member their opt-in group did not change");
                }
            }
        });
    }

    /// The chat event in a payload, if it is one Amplifier acts on.
    pub fn event(
        &self,
        kind: PayloadKind,
        payload: &serde_json::Value,
    ) -> Result<Option<Event>, String> {
        let unreadable = |e: serde_json::Error| format!("unreadable {kind:?} payload: {e}");
        Ok(match kind {
            PayloadKind::EventsApi => {
                if payload["type"] != "event_callback" {
                    return Ok(None);
                }
                let callback: EventCallback =
                    serde_json::from_value(payload.clone()).map_err(unreadable)?;
                from_callback(&callback, &self.bot_user)
            }
            PayloadKind::Interactive => {
                let interaction: Interaction =
                    serde_json::from_value(payload.clone()).map_err(unreadable)?;
                from_interaction(&interaction)
            }
            PayloadKind::SlashCommand => {
                let command: SlashCommand =
                    serde_json::from_value(payload.clone()).map_err(unreadable)?;
                from_command(&command)
            }
        })
    }

    /// Applies a payload, waiting at most [`ACK_WITHIN`].
    pub async fn receive(&self, kind: PayloadKind, payload: &serde_json::Value) -> Outcome {
        if kind == PayloadKind::EventsApi
            && payload["type"] == "event_callback"
            && payload["event"]["type"] == "user_change"
        {
            return self.user_changed(payload).await;
        }
        match self.event(kind, payload) {
            Ok(Some(event)) => {
                if let Some(url) = payload["response_url"].as_str() {
                    self.responses.insert(&event.key, url, self.clock.now());
                }
                let joining = match &event.kind {
                    EventKind::Command { text } => crate::chat::command::joining(text),
                    _ => None,
                };
                let outcome = self.apply(event.clone()).await;
                if let (Outcome::Applied, Some(join)) = (&outcome, joining) {
                    self.follow_groups(&event, join);
                }
                outcome
            }
            Ok(None) => Outcome::Ignored,
            Err(e) => {
                // Acknowledged anyway: a payload we cannot read will not become readable by redelivery.
                tracing::warn!(error = %e, "ignored a Slack payload");
                Outcome::Ignored
            }
        }
    }

    /// A person's profile changed (their status, say): stored at once. Not an engine event: it changes no
    /// routine state by itself, and a redelivery applies the same profile again.
    async fn user_changed(&self, payload: &serde_json::Value) -> Outcome {
        let workspace = payload["team_id"].as_str().unwrap_or_default();
        match self
            .people
            .on_user_change(workspace, &payload["event"]["user"], self.clock.now())
            .await
        {
            Ok(Some(out)) => {
                tracing::debug!(out_of_office = out, "a person's Slack profile changed");
                Outcome::Applied
            }
            Ok(None) => Outcome::Ignored,
            Err(e) => {
                tracing::error!(error = %e, "a Slack profile change could not be stored; Slack will deliver it again");
                Outcome::Failed(e.to_string())
            }
        }
    }

    async fn apply(&self, event: Event) -> Outcome {
        let engine = self.engine.clone();
        let wake = self.wake.clone();
        let now = self.clock.now();
        let task = tokio::spawn(async move {
            let handled = engine.handle(&event, now).await;
            if matches!(handled, Ok(Handled::Applied)) {
                wake.notify_one();
            }
            handled.map_err(|e| format!("{e}"))
        });
        match tokio::time::timeout(ACK_WITHIN, task).await {
            Ok(Ok(Ok(Handled::Applied))) => Outcome::Applied,
            Ok(Ok(Ok(Handled::Duplicate))) => Outcome::Duplicate,
            Ok(Ok(Err(e))) => {
                tracing::error!(error = %e, "a Slack event could not be applied; Slack will deliver it again");
                Outcome::Failed(e)
            }
            Ok(Err(join)) => Outcome::Failed(format!("the event handler stopped: {join}")),
            Err(_) => Outcome::Pending,
        }
    }
}
