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

impl Event {
    /// The event with every NUL removed from its ids and text: PostgreSQL cannot store NUL in text, so one NUL
    /// would fail the event on every redelivery. No platform means one; a forged payload can carry it anywhere.
    pub fn without_nul(&self) -> std::borrow::Cow<'_, Event> {
        let mut event = self.clone();
        let mut strings: Vec<&mut String> =
            vec![&mut event.workspace_id, &mut event.person, &mut event.key];
        strings.extend(event.channel.as_mut());
        match &mut event.kind {
            EventKind::DirectMessage { text }
            | EventKind::Command { text }
            | EventKind::DraftFromMessage { text } => strings.push(text),
            EventKind::Button { raw_id, .. } => strings.push(raw_id),
            EventKind::ModalSubmit { raw_id, fields, .. } => {
                strings.push(raw_id);
                for (id, value) in fields.iter_mut() {
                    strings.push(id);
                    strings.push(value);
                }
            }
            EventKind::HomeOpened | EventKind::MemberJoined | EventKind::MemberLeft => {}
        }
        let mut changed = false;
        for s in strings {
            if s.contains('\0') {
                s.retain(|c| c != '\0');
                changed = true;
            }
        }
        if changed {
            std::borrow::Cow::Owned(event)
        } else {
            std::borrow::Cow::Borrowed(self)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_characters_are_removed_from_every_string_of_an_event() {
        let event = Event {
            platform: Platform::Slack,
            workspace_id: "T1\0".into(),
            person: "U\0X".into(),
            channel: Some("\0C1".into()),
            key: "k\0".into(),
            kind: EventKind::ModalSubmit {
                action: None,
                raw_id: "nd\0".into(),
                fields: vec![("insight\0".into(), "a\0b\0".into())],
            },
        };
        let clean = event.without_nul();
        assert_eq!(clean.workspace_id, "T1");
        assert_eq!(clean.person, "UX");
        assert_eq!(clean.channel.as_deref(), Some("C1"));
        assert_eq!(clean.key, "k");
        assert_eq!(
            clean.kind,
            EventKind::ModalSubmit {
                action: None,
                raw_id: "nd".into(),
                fields: vec![("insight".into(), "ab".into())],
            }
        );
        let plain = Event {
            kind: EventKind::DirectMessage {
                text: "no nul here".into(),
            },
            ..event.clone()
        }
        .without_nul()
        .into_owned();
        assert!(matches!(plain.without_nul(), std::borrow::Cow::Borrowed(_)));
    }
}
