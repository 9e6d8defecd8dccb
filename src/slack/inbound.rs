//! What Slack sends (Events API callbacks, interactions, slash commands), read into typed payloads and turned
//! into neutral `chat::Event`s. Shared by Socket Mode and HTTP events; anything we do not act on becomes `None`.

use super::trigger_key;
use crate::chat::{Action, Event, EventKind};
use crate::domain::Platform;
use serde::Deserialize;
use std::collections::HashMap;

/// The slash command Amplifier answers.
pub const COMMAND: &str = "/amplify";
/// The message shortcut "Draft an insight from this" (its callback id in the manifest).
pub const SHORTCUT: &str = "draft_insight";

/// An Events API `event_callback`.
#[derive(Debug, Deserialize)]
pub struct EventCallback {
    pub team_id: String,
    pub event_id: String,
    pub event: PushEvent,
}

/// The inner event; only the fields Amplifier reads.
#[derive(Debug, Deserialize)]
pub struct PushEvent {
    #[serde(rename = "type")]
    pub kind: String,
    pub user: Option<String>,
    pub text: Option<String>,
    pub channel: Option<String>,
    pub channel_type: Option<String>,
    pub subtype: Option<String>,
    pub bot_id: Option<String>,
    pub tab: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Id {
    pub id: String,
}

/// An interaction payload (`block_actions`, `view_submission`, `message_action`, …).
#[derive(Debug, Deserialize)]
pub struct Interaction {
    #[serde(rename = "type")]
    pub kind: String,
    pub team: Option<Id>,
    pub user: Id,
    pub trigger_id: Option<String>,
    #[serde(default)]
    pub actions: Vec<ActionInfo>,
    pub channel: Option<Id>,
    pub view: Option<ViewPayload>,
    pub callback_id: Option<String>,
    pub message: Option<MessagePayload>,
}

#[derive(Debug, Deserialize)]
pub struct ActionInfo {
    pub action_id: String,
}

#[derive(Debug, Deserialize)]
pub struct ViewPayload {
    pub id: String,
    pub hash: Option<String>,
    pub team_id: Option<String>,
    #[serde(default)]
    pub callback_id: String,
    pub state: Option<ViewState>,
}

#[derive(Debug, Deserialize)]
pub struct ViewState {
    #[serde(default)]
    pub values: HashMap<String, HashMap<String, StateValue>>,
}

#[derive(Debug, Deserialize)]
pub struct StateValue {
    pub value: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct MessagePayload {
    pub text: Option<String>,
}

/// A slash command's fields (JSON in Socket Mode, a form over HTTP).
#[derive(Debug, Deserialize)]
pub struct SlashCommand {
    pub team_id: String,
    pub channel_id: Option<String>,
    pub user_id: String,
    pub command: String,
    #[serde(default)]
    pub text: String,
    pub trigger_id: Option<String>,
}

/// Slack's escaping undone: the engine keeps what the person typed, and adapters escape it again on the way out.
pub fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Slack's link markup in typed text (`<https://x>`, `<https://x|x>`, `<mailto:a@b|a@b>`) back to what the
/// person pasted, so a pasted post link reads as a plain URL. Mentions stay as they are.
pub fn plain_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        match tail.find('>') {
            Some(end) if tail[1..].starts_with("http") || tail[1..].starts_with("mailto:") => {
                let inner = &tail[1..end];
                let target = inner.split('|').next().unwrap_or(inner);
                out.push_str(target.strip_prefix("mailto:").unwrap_or(target));
                rest = &tail[end + 1..];
            }
            _ => {
                out.push('<');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `<@U123|name>` → `<@U123>`, `<#C123|name>` → `<#C123>`, as the command grammar expects.
pub fn normalize_mentions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        match tail.find('>') {
            Some(end) if tail.starts_with("<@") || tail.starts_with("<#") => {
                let inner = &tail[1..end];
                let id = inner.split('|').next().unwrap_or(inner);
                out.push('<');
                out.push_str(id);
                out.push('>');
                rest = &tail[end + 1..];
            }
            _ => {
                out.push('<');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn event(team: &str, person: &str, channel: Option<String>, key: String, kind: EventKind) -> Event {
    Event {
        platform: Platform::Slack,
        workspace_id: team.to_string(),
        person: person.to_string(),
        channel,
        key,
        kind,
    }
}

/// An Events API callback as a chat event; `bot_user` is our own user id (its messages are ignored).
pub fn from_callback(callback: &EventCallback, bot_user: &str) -> Option<Event> {
    let e = &callback.event;
    let person = e.user.as_deref()?;
    let kind = match e.kind.as_str() {
        "message"
            if e.channel_type.as_deref() == Some("im")
                // Edits, deletions, joins and bot posts are not a leader's reply.
                && e.subtype.is_none()
                && e.bot_id.is_none()
                && person != bot_user =>
        {
            EventKind::DirectMessage {
                text: unescape(&plain_links(e.text.as_deref()?)),
            }
        }
        "app_home_opened" if e.tab.as_deref().unwrap_or("home") == "home" => EventKind::HomeOpened,
        "member_joined_channel" => EventKind::MemberJoined,
        "member_left_channel" => EventKind::MemberLeft,
        _ => return None,
    };
    Some(event(
        &callback.team_id,
        person,
        e.channel.clone(),
        callback.event_id.clone(),
        kind,
    ))
}

/// An interaction as a chat event. Link buttons and unknown types are `None` (acknowledged, nothing to do).
pub fn from_interaction(i: &Interaction) -> Option<Event> {
    let team = i
        .team
        .as_ref()
        .map(|t| t.id.clone())
        .or_else(|| i.view.as_ref().and_then(|v| v.team_id.clone()))?;
    let channel = i.channel.as_ref().map(|c| c.id.clone());
    let key = |fallback: String| i.trigger_id.as_deref().map(trigger_key).unwrap_or(fallback);
    let (key, kind) = match i.kind.as_str() {
        "block_actions" => {
            let pressed = i.actions.first()?;
            if pressed.action_id.starts_with("link:") {
                return None;
            }
            (
                key(format!("slack-action:{}", pressed.action_id)),
                EventKind::Button {
                    action: Action::parse(&pressed.action_id),
                    raw_id: pressed.action_id.clone(),
                },
            )
        }
        "view_submission" => {
            let view = i.view.as_ref()?;
            let mut fields: Vec<(String, String)> = view
                .state
                .iter()
                .flat_map(|s| s.values.values())
                .flat_map(|inputs| inputs.iter())
                .map(|(id, v)| (id.clone(), v.value.clone().unwrap_or_default()))
                .collect();
            fields.sort();
            (
                key(format!(
                    "slack-view:{}:{}",
                    view.id,
                    view.hash.as_deref().unwrap_or("")
                )),
                EventKind::ModalSubmit {
                    action: Action::parse(&view.callback_id),
                    raw_id: view.callback_id.clone(),
                    fields,
                },
            )
        }
        "message_action" if i.callback_id.as_deref() == Some(SHORTCUT) => (
            key(String::new()),
            EventKind::DraftFromMessage {
                text: unescape(i.message.as_ref()?.text.as_deref().unwrap_or("")),
            },
        ),
        _ => return None,
    };
    if key.is_empty() {
        return None;
    }
    Some(event(&team, &i.user.id, channel, key, kind))
}

/// `/amplify …` as a chat event.
pub fn from_command(c: &SlashCommand) -> Option<Event> {
    if c.command != COMMAND {
        return None;
    }
    Some(event(
        &c.team_id,
        &c.user_id,
        c.channel_id.clone(),
        trigger_key(c.trigger_id.as_deref()?),
        EventKind::Command {
            text: unescape(&normalize_mentions(c.text.trim())),
        },
    ))
}

#[cfg(test)]
mod tests;
