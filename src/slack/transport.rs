//! Delivery's transport for Slack: outbox rows become chat.postMessage / chat.update / chat.postEphemeral /
//! views.open calls (DMs through conversations.open), paced to Slack's tiers, with Slack's errors sorted into
//! rate limited, transient and permanent. A private answer to a press or command goes through the event's
//! `response_url` while it lasts (`responses.rs`): one request, outside the tiers, so a burst of presses is
//! answered at once.

use super::api::{ApiError, WebApi};
use super::blocks::{
    render_home, render_message, render_modal, HomeView, Rendered, SlackBlock, View,
};
use super::pacing::{method_interval, Pacing, Plan, CHANNEL_INTERVAL};
use super::responses::ResponseUrls;
use super::trigger_of;
use crate::chat::{Button, ButtonStyle, Destination, Message, Modal, Outbound};
use crate::clock::Clock;
use crate::delivery::{SendError, Sent, Transport};
use crate::domain::Platform;
use crate::store::{OutboxMessage, OutboxStatus, Store};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How long after the press a form may still be opened with its `trigger_id` (Slack's 3 seconds, less the time
/// `views.open` takes to arrive).
pub const TRIGGER_DEADLINE: chrono::Duration = chrono::Duration::milliseconds(2_500);

/// How long a `response_url` answer may take before the Web API carries it instead.
const RESPONSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// What a person reads when their form could not open in time.
pub const FORM_AGAIN: &str =
    "That took too long to open the form: press the button to open it again.";

/// Where a sent message lives, kept as the row's `platform_ref` (`C123:1795671260.943060`) so a later
/// `Update` can name it.
pub fn message_ref(channel: &str, ts: &str) -> String {
    format!("{channel}:{ts}")
}

/// The channel and ts of a [`message_ref`].
pub fn parse_message_ref(platform_ref: &str) -> Option<(&str, &str)> {
    platform_ref
        .split_once(':')
        .filter(|(c, t)| !c.is_empty() && !t.is_empty())
}

#[derive(Serialize)]
struct PostMessage<'a> {
    channel: &'a str,
    text: &'a str,
    blocks: &'a [SlackBlock],
    // Share kits carry links: no previews crowding the channel. Never `link_names` or `parse`.
    unfurl_links: bool,
    unfurl_media: bool,
}

#[derive(Serialize)]
struct Update<'a> {
    channel: &'a str,
    ts: &'a str,
    text: &'a str,
    blocks: &'a [SlackBlock],
}

#[derive(Serialize)]
struct Ephemeral<'a> {
    channel: &'a str,
    user: &'a str,
    text: &'a str,
    blocks: &'a [SlackBlock],
}

#[derive(Serialize)]
struct OpenView<'a> {
    trigger_id: &'a str,
    view: &'a View,
}

#[derive(Serialize)]
struct PublishHome<'a> {
    user_id: &'a str,
    view: &'a HomeView,
}

#[derive(Serialize)]
struct OpenConversation<'a> {
    users: &'a str,
}

#[derive(Deserialize)]
struct Posted {
    channel: String,
    ts: String,
}

#[derive(Deserialize)]
struct Opened {
    channel: ChannelId,
}

#[derive(Deserialize)]
struct ChannelId {
    id: String,
}

#[derive(Deserialize)]
struct ViewOpened {
    view: ViewId,
}

#[derive(Deserialize)]
struct ViewId {
    id: String,
}

#[derive(Deserialize)]
struct Nothing {}

/// Sends outbox rows to one Slack workspace.
pub struct SlackTransport {
    api: WebApi,
    store: Arc<dyn Store>,
    /// The delivery workers' clock, so a 429's hold lines up with their `now`.
    clock: Arc<dyn Clock>,
    pacing: Mutex<Pacing>,
    /// DM channel per user, from conversations.open (a DM channel never changes).
    dm_channels: Mutex<HashMap<String, String>>,
    /// The events' `response_url`s ([`SlackTransport::answering`]); without them every answer uses the Web API.
    responses: Option<(Arc<ResponseUrls>, reqwest::Client)>,
}

/// What goes to a `response_url`: a message only the person sees, next to the one they pressed.
#[derive(Serialize)]
struct Response<'a> {
    response_type: &'static str,
    replace_original: bool,
    text: &'a str,
    blocks: &'a [SlackBlock],
}

impl SlackTransport {
    pub fn new(api: WebApi, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> SlackTransport {
        SlackTransport {
            api,
            store,
            clock,
            pacing: Mutex::new(Pacing::default()),
            dm_channels: Mutex::new(HashMap::new()),
            responses: None,
        }
    }

    /// Answers privately through the events' `response_url`s kept in `responses` while they last.
    pub fn answering(mut self, responses: Arc<ResponseUrls>) -> SlackTransport {
        match reqwest::Client::builder().timeout(RESPONSE_TIMEOUT).build() {
            Ok(client) => self.responses = Some((responses, client)),
            Err(e) => {
                tracing::warn!(error = %e, "no HTTP client for response_url answers; using chat.postEphemeral")
            }
        }
        self
    }

    /// The event whose `response_url` can carry this row: a private answer in a channel to a press or command
    /// whose URL still has uses.
    fn response_key<'r>(&self, row: &'r OutboxMessage, op: &Outbound) -> Option<&'r str> {
        let (responses, _) = self.responses.as_ref()?;
        if !matches!(
            op,
            Outbound::Private {
                channel: Some(_),
                ..
            }
        ) {
            return None;
        }
        let key = crate::engine::answered_event(&row.idempotency_key, Platform::Slack)?;
        responses.usable(key, self.clock.now()).then_some(key)
    }

    /// Sends the answer through the event's `response_url`. `None` when it cannot (used up, refused, Slack
    /// not answering well): the Web API then carries it.
    async fn respond(&self, key: &str, message: &Message) -> Option<Sent> {
        let (responses, client) = self.responses.as_ref()?;
        let url = responses.take(key, self.clock.now())?;
        let rendered = render_message(message);
        let body = Response {
            response_type: "ephemeral",
            replace_original: false,
            text: &rendered.text,
            blocks: &rendered.blocks,
        };
        let body = serde_json::to_vec(&body).ok()?;
        let request = client
            .post(&url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .body(body);
        match request.send().await {
            Ok(answer) if answer.status().is_success() => Some(Sent::default()),
            Ok(answer) => {
                let status = answer.status();
                let text = answer.text().await.unwrap_or_default();
                tracing::debug!(%status, answer = %text.chars().take(80).collect::<String>(), "response_url refused; answering with chat.postEphemeral");
                responses.spent(key);
                None
            }
            Err(e) => {
                tracing::debug!(error = %e, "response_url did not answer; answering with chat.postEphemeral");
                None
            }
        }
    }

    fn pacing(&self) -> std::sync::MutexGuard<'_, Pacing> {
        self.pacing.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The scopes a row's send uses, with the spacing each needs.
    fn plan(&self, op: &Outbound) -> Plan {
        let method = |m: &str| (m.to_string(), method_interval(m));
        match op {
            Outbound::Send { to, .. } => {
                // chat.postMessage is "special": about one a second per channel. Its workspace-wide limit is
                // undocumented ("several hundred a minute") and left to 429s.
                let mut plan = vec![(post_scope(to), CHANNEL_INTERVAL)];
                if let Destination::Person(user) = to {
                    if !self.dm_channels_lock().contains_key(user) {
                        plan.push(method("conversations.open"));
                    }
                }
                plan
            }
            Outbound::Update { .. } => vec![method("chat.update")],
            Outbound::Private {
                channel: Some(_), ..
            } => vec![method("chat.postEphemeral")],
            Outbound::Private {
                person,
                channel: None,
                ..
            } => vec![(
                post_scope(&Destination::Person(person.clone())),
                CHANNEL_INTERVAL,
            )],
            Outbound::OpenModal { .. } => vec![method("views.open")],
            Outbound::Home { .. } => vec![method("views.publish")],
        }
    }

    fn dm_channels_lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.dm_channels.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn dm_channel(&self, user: &str) -> Result<String, ApiError> {
        if let Some(channel) = self.dm_channels_lock().get(user) {
            return Ok(channel.clone());
        }
        let opened: Opened = self
            .api
            .post("conversations.open", &OpenConversation { users: user })
            .await?;
        self.dm_channels_lock()
            .insert(user.to_string(), opened.channel.id.clone());
        Ok(opened.channel.id)
    }

    async fn post(&self, channel: &str, rendered: &Rendered) -> Result<Sent, ApiError> {
        let posted: Posted = self
            .api
            .post(
                "chat.postMessage",
                &PostMessage {
                    channel,
                    text: &rendered.text,
                    blocks: &rendered.blocks,
                    unfurl_links: false,
                    unfurl_media: false,
                },
            )
            .await?;
        Ok(Sent {
            platform_ref: Some(message_ref(&posted.channel, &posted.ts)),
        })
    }

    async fn deliver(&self, op: &Outbound) -> Result<Sent, SendError> {
        let scope = primary_scope(op);
        let sorted = |e: ApiError| sort(e, &scope);
        match op {
            Outbound::Send { to, message, .. } => {
                let channel = match to {
                    Destination::Person(user) => self.dm_channel(user).await.map_err(sorted)?,
                    Destination::Channel(channel) => channel.clone(),
                };
                self.post(&channel, &render_message(message))
                    .await
                    .map_err(sorted)
            }
            Outbound::Update {
                original_key,
                message,
                ..
            } => {
                let (channel, ts) = self.original(original_key).await?;
                let rendered = render_message(message);
                let updated: Posted = self
                    .api
                    .post(
                        "chat.update",
                        &Update {
                            channel: &channel,
                            ts: &ts,
                            text: &rendered.text,
                            blocks: &rendered.blocks,
                        },
                    )
                    .await
                    .map_err(sorted)?;
                Ok(Sent {
                    platform_ref: Some(message_ref(&updated.channel, &updated.ts)),
                })
            }
            Outbound::Private {
                person,
                channel: Some(channel),
                message,
                ..
            } => {
                let rendered = render_message(message);
                let ephemeral: Result<Nothing, ApiError> = self
                    .api
                    .post(
                        "chat.postEphemeral",
                        &Ephemeral {
                            channel,
                            user: person,
                            text: &rendered.text,
                            blocks: &rendered.blocks,
                        },
                    )
                    .await;
                match ephemeral {
                    // An ephemeral message cannot be updated later: nothing to keep.
                    Ok(_) => Ok(Sent::default()),
                    // `/amplify` typed in a channel the bot is not in: answer in the person's DM instead.
                    Err(ApiError::Slack { code, .. }) if NOT_THERE.contains(&code.as_str()) => {
                        let dm = self.dm_channel(person).await.map_err(sorted)?;
                        self.post(&dm, &rendered).await.map_err(sorted)
                    }
                    Err(e) => Err(sorted(e)),
                }
            }
            Outbound::Private {
                person,
                channel: None,
                message,
                ..
            } => {
                let channel = self.dm_channel(person).await.map_err(sorted)?;
                self.post(&channel, &render_message(message))
                    .await
                    .map_err(sorted)
            }
            Outbound::Home {
                person, message, ..
            } => self.publish_home(person, message).await,
            Outbound::OpenModal {
                trigger,
                modal,
                person,
                ..
            } => {
                let Some(trigger_id) = trigger_of(trigger) else {
                    return Err(SendError::Permanent(format!(
                        "cannot open a Slack modal for {trigger}: it is not an interaction with a trigger_id"
                    )));
                };
                let opened: Result<ViewOpened, ApiError> = self
                    .api
                    .post(
                        "views.open",
                        &OpenView {
                            trigger_id,
                            view: &render_modal(modal),
                        },
                    )
                    .await;
                match opened {
                    Ok(opened) => Ok(Sent {
                        platform_ref: Some(opened.view.id),
                    }),
                    Err(ApiError::Slack { code, .. }) if code == "expired_trigger_id" => {
                        self.form_again(person, modal).await
                    }
                    Err(e) => Err(sorted(e)),
                }
            }
        }
    }

    /// A form whose `trigger_id` expired before it could open: the person gets a DM with a button that opens
    /// it again (every form opens from a press of its own action), never silence.
    async fn form_again(&self, person: &str, modal: &Modal) -> Result<Sent, SendError> {
        tracing::warn!(form = %modal.title, "the form's trigger expired before it could open; sending the button again");
        let scope = post_scope(&Destination::Person(person.to_string()));
        let sorted = |e: ApiError| sort(e, &scope);
        let message = Message::new(FORM_AGAIN)
            .say(FORM_AGAIN)
            .buttons(vec![Button::Action {
                label: modal.title.clone(),
                action: modal.action.clone(),
                style: ButtonStyle::Primary,
            }]);
        let channel = self.dm_channel(person).await.map_err(sorted)?;
        self.post(&channel, &render_message(&message))
            .await
            .map_err(sorted)
    }

    /// Publishes a person's App Home tab (`views.publish`), for `Outbound::Home`.
    pub async fn publish_home(
        &self,
        person: &str,
        message: &crate::chat::Message,
    ) -> Result<Sent, SendError> {
        let published: ViewOpened = self
            .api
            .post(
                "views.publish",
                &PublishHome {
                    user_id: person,
                    view: &render_home(message),
                },
            )
            .await
            .map_err(|e| sort(e, "views.publish"))?;
        Ok(Sent {
            platform_ref: Some(published.view.id),
        })
    }

    /// The channel and ts of the message an `Update` replaces.
    async fn original(&self, key: &str) -> Result<(String, String), SendError> {
        let row = self
            .store
            .outbox_by_key(key)
            .await
            .map_err(|e| SendError::Transient(format!("cannot read outbox row {key}: {e}")))?;
        let Some(row) = row else {
            return Err(SendError::Permanent(format!(
                "the message to update ({key}) was never enqueued"
            )));
        };
        match (
            &row.status,
            row.platform_ref.as_deref().and_then(parse_message_ref),
        ) {
            (_, Some((channel, ts))) => Ok((channel.to_string(), ts.to_string())),
            (OutboxStatus::Failed, None) => Err(SendError::Permanent(format!(
                "the message to update ({key}) was never delivered"
            ))),
            (OutboxStatus::Sent, None) => Err(SendError::Permanent(format!(
                "the message to update ({key}) has no Slack reference to edit"
            ))),
            // Not sent yet: the update waits for it.
            _ => Err(SendError::Transient(format!(
                "the message to update ({key}) is not sent yet"
            ))),
        }
    }
}

/// Errors of chat.postEphemeral that mean "the bot cannot speak in that channel", not "the person is gone".
const NOT_THERE: &[&str] = &["channel_not_found", "not_in_channel", "is_archived"];

fn post_scope(to: &Destination) -> String {
    match to {
        Destination::Person(user) => format!("chat.postMessage:@{user}"),
        Destination::Channel(channel) => format!("chat.postMessage:{channel}"),
    }
}

/// The scope a row is held under after a 429 (the same words in `rate_scope` and `RateLimited`).
fn primary_scope(op: &Outbound) -> String {
    match op {
        Outbound::Send { to, .. } => post_scope(to),
        Outbound::Update { .. } => "chat.update".to_string(),
        Outbound::Private {
            channel: Some(_), ..
        } => "chat.postEphemeral".to_string(),
        Outbound::Private { person, .. } => post_scope(&Destination::Person(person.clone())),
        Outbound::OpenModal { .. } => "views.open".to_string(),
        Outbound::Home { .. } => "views.publish".to_string(),
    }
}

fn sort(error: ApiError, scope: &str) -> SendError {
    match error {
        ApiError::RateLimited {
            method,
            retry_after,
        } => SendError::RateLimited {
            retry_after,
            // A limit on the DM lookup holds the lookup, not the channel.
            scope: if method == "conversations.open" {
                method
            } else {
                scope.to_string()
            },
        },
        e if e.is_permanent() => SendError::Permanent(format!("Slack refused it: {e}")),
        e => SendError::Transient(e.to_string()),
    }
}

fn read(row: &OutboxMessage) -> Result<Outbound, SendError> {
    serde_json::from_str(&row.payload_json)
        .map_err(|e| SendError::Permanent(format!("unreadable outbound message: {e}")))
}

#[async_trait]
impl Transport for SlackTransport {
    fn platform(&self) -> Platform {
        Platform::Slack
    }

    fn rate_scope(&self, message: &OutboxMessage) -> Option<String> {
        let op = read(message).ok()?;
        Some(match self.response_key(message, &op) {
            Some(key) => format!("response_url:{key}"),
            None => primary_scope(&op),
        })
    }

    fn wait_before(&self, message: &OutboxMessage, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let op = read(message).ok()?;
        if matches!(op, Outbound::OpenModal { .. }) {
            // A trigger_id lives 3 seconds: a form never waits for pacing (Slack's tiers allow bursts; a 429
            // still holds it, and a form too late to open is answered with its button again).
            return None;
        }
        if self.response_key(message, &op).is_some() {
            // Outside the Web API's tiers: nothing to wait for.
            return None;
        }
        let plan = self.plan(&op);
        self.pacing().wait_before(message.id.0, &plan, now)
    }

    async fn send(&self, row: &OutboxMessage) -> Result<Sent, SendError> {
        let op = read(row)?;
        if let (Some(key), Outbound::Private { message, .. }) = (self.response_key(row, &op), &op) {
            if let Some(sent) = self.respond(key, message).await {
                return Ok(sent);
            }
        }
        if let Outbound::OpenModal { person, modal, .. } = &op {
            if self.clock.now() - row.created_at > TRIGGER_DEADLINE {
                // Its trigger_id has expired (or will have by the time views.open arrives).
                return self.form_again(person, modal).await;
            }
        }
        let plan = self.plan(&op);
        let result = self.deliver(&op).await;
        if !matches!(&result, Err(SendError::Transient(_))) {
            // Slack saw the call: the scopes' next calls are spaced from now, whatever the slot was.
            self.pacing().sent(&plan, self.clock.now());
        }
        if let Err(SendError::RateLimited { retry_after, scope }) = &result {
            let until =
                self.clock.now() + chrono::Duration::from_std(*retry_after).unwrap_or_default();
            self.pacing().hold(scope, until);
        }
        result
    }
}
