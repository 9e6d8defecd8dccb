//! Inbound events from any platform, already translated by its adapter; each carries the key that makes it apply once.

use super::Action;
use crate::domain::Platform;

/// Something a person did in chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub platform: Platform,
    /// Slack workspace id, Discord guild id, or the shell's workspace name.
    pub workspace_id: String,
    /// The platform user id of the person who acted.
    pub person: String,
    /// Where it happened (a DM or channel id), when the platform says.
    pub channel: Option<String>,
    /// The platform's own id for this event (Slack event id, Discord interaction or message id): a redelivery
    /// carries the same key and is applied once.
    pub key: String,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// A message in the person's DM with the bot (a leader's reply joins their open draft).
    DirectMessage {
        text: String,
    },
    /// A button press; `action` is `None` when the id was malformed (a forged or stale payload).
    Button {
        action: Option<Action>,
        raw_id: String,
    },
    /// A modal submitted, with its field values by input id.
    ModalSubmit {
        action: Option<Action>,
        raw_id: String,
        fields: Vec<(String, String)>,
    },
    /// `/amplify …` with the text after the command (mentions normalized to `<@ID>` / `<#ID>`).
    Command {
        text: String,
    },
    /// "Draft an insight from this": a message shortcut or context command on someone's message.
    DraftFromMessage {
        text: String,
    },
    /// The person opened the bot's home tab.
    HomeOpened,
    /// The person joined or left a channel (the share channel's members are the team when so configured).
    MemberJoined,
    MemberLeft,
}
