//! Gateway payloads (as serenity parsed them) → the parts of a neutral chat event. Pure: which workspace a DM
//! belongs to is decided by the gateway handler, which can read the store.

use super::commands::{flatten, is_slash_command, DRAFT_FROM_MESSAGE};
use super::interactions::Interaction;
use crate::chat::{Action, EventKind};
use serenity::all::{
    ActionRowComponent, CommandType, ComponentInteractionDataKind,
    Interaction as SerenityInteraction, Message,
};

/// An event for the engine, but for its workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The Discord message or interaction id: a replay after a resume carries the same one.
    pub key: String,
    /// `None` in a DM.
    pub guild: Option<String>,
    pub person: String,
    /// The channel it happened in; the engine answers interactions privately there (through the token).
    pub channel: String,
    pub kind: EventKind,
}

/// A DM from a person. `None` for guild messages (the bot reads none) and for the bot's (or any bot's) own
/// messages, which would otherwise join a draft.
pub fn from_message(message: &Message, bot_id: Option<&str>) -> Option<Incoming> {
    let author = message.author.id.to_string();
    if message.guild_id.is_some() || message.author.bot || bot_id == Some(author.as_str()) {
        return None;
    }
    if message.content.trim().is_empty() {
        return None;
    }
    Some(Incoming {
        key: message.id.to_string(),
        guild: None,
        person: author,
        channel: message.channel_id.to_string(),
        kind: EventKind::DirectMessage {
            text: message.content.clone(),
        },
    })
}

/// An interaction: its key, how to answer it, and the event when it is one the engine handles (`None` for a
/// command or component the bot does not own). Pings and autocompletes are not answered through the token:
/// `None`.
pub fn from_interaction(
    interaction: &SerenityInteraction,
) -> Option<(String, Interaction, Option<Incoming>)> {
    let (id, token, guild, user, channel, component) = match interaction {
        SerenityInteraction::Command(c) => {
            (c.id, &c.token, c.guild_id, c.user.id, c.channel_id, false)
        }
        SerenityInteraction::Component(c) => {
            (c.id, &c.token, c.guild_id, c.user.id, c.channel_id, true)
        }
        SerenityInteraction::Modal(m) => {
            (m.id, &m.token, m.guild_id, m.user.id, m.channel_id, false)
        }
        _ => return None,
    };
    let key = id.to_string();
    let answer = Interaction {
        id: key.clone(),
        token: token.clone(),
        component,
    };
    let kind = match interaction {
        SerenityInteraction::Component(c) => match c.data.kind {
            ComponentInteractionDataKind::Button => Some(EventKind::Button {
                action: Action::parse(&c.data.custom_id),
                raw_id: c.data.custom_id.clone(),
            }),
            _ => None,
        },
        SerenityInteraction::Modal(m) => Some(EventKind::ModalSubmit {
            action: Action::parse(&m.data.custom_id),
            raw_id: m.data.custom_id.clone(),
            fields: m
                .data
                .components
                .iter()
                .flat_map(|row| row.components.iter())
                .filter_map(|c| match c {
                    ActionRowComponent::InputText(input) => Some((
                        input.custom_id.clone(),
                        input.value.clone().unwrap_or_default(),
                    )),
                    _ => None,
                })
                .collect(),
        }),
        SerenityInteraction::Command(c) => match c.data.kind {
            CommandType::ChatInput if is_slash_command(&c.data.name) => {
                serde_json::to_value(&c.data)
                    .ok()
                    .map(|data| EventKind::Command {
                        text: flatten(&data),
                    })
            }
            CommandType::Message if c.data.name == DRAFT_FROM_MESSAGE => c
                .data
                .target_id
                .and_then(|target| c.data.resolved.messages.get(&target.to_message_id()))
                .map(|m| EventKind::DraftFromMessage {
                    text: m.content.clone(),
                }),
            _ => None,
        },
        _ => None,
    };
    let incoming = kind.map(|kind| Incoming {
        key: key.clone(),
        guild: guild.map(|g| g.to_string()),
        person: user.to_string(),
        channel: channel.to_string(),
        kind,
    });
    Some((key, answer, incoming))
}
