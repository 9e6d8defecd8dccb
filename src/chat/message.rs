//! Outbound messages in one canonical markup, which each adapter renders (Block Kit, Discord components, terminal text).
//!
//! User text is always [`Inline::Text`]: adapters escape it for their platform, so it can never mention anyone or
//! format itself. Only the engine's own words use emphasis, and mentions are explicit [`Inline::User`] values.

use super::Action;
use serde::{Deserialize, Serialize};

/// A piece of a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Inline {
    /// Plain text; for user text always this (escaped by every adapter).
    Text(String),
    /// The bot's own emphasis.
    Strong(String),
    /// A mention of one person the bot means to mention.
    User(String),
    /// A mention of the team's opt-in role (a community's "Amplifiers"): the only group the bot ever pings.
    Role(String),
    /// A link with a label.
    Link { url: String, label: String },
}

/// A block of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Block {
    /// A paragraph (possibly long: adapters split it within their limits, with a visible marker).
    Section(Vec<Inline>),
    /// Small print under a section.
    Context(Vec<Inline>),
    /// A quoted user text, such as a draft: shown as a quote, always escaped.
    Quote(String),
    /// Text meant to be copied as is (a post to paste on LinkedIn).
    Copy {
        label: String,
        text: String,
    },
    /// A row of buttons.
    Buttons(Vec<Button>),
    Divider,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ButtonStyle {
    #[default]
    Default,
    Primary,
    Danger,
}

/// A button: an action for the bot, or a link that opens in the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Button {
    Action {
        label: String,
        action: String,
        style: ButtonStyle,
    },
    Link {
        label: String,
        url: String,
    },
}

impl Button {
    pub fn action(label: &str, action: Action) -> Button {
        Button::Action {
            label: label.to_string(),
            action: action.to_string(),
            style: ButtonStyle::Default,
        }
    }

    pub fn primary(label: &str, action: Action) -> Button {
        Button::Action {
            label: label.to_string(),
            action: action.to_string(),
            style: ButtonStyle::Primary,
        }
    }

    pub fn danger(label: &str, action: Action) -> Button {
        Button::Action {
            label: label.to_string(),
            action: action.to_string(),
            style: ButtonStyle::Danger,
        }
    }

    pub fn link(label: &str, url: &str) -> Button {
        Button::Link {
            label: label.to_string(),
            url: url.to_string(),
        }
    }
}

/// A chat message: blocks plus a plain-text fallback (notifications, screen readers, old clients).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Message {
    pub fallback: String,
    pub blocks: Vec<Block>,
}

impl Message {
    pub fn new(fallback: impl Into<String>) -> Message {
        Message {
            fallback: fallback.into(),
            blocks: Vec::new(),
        }
    }

    /// Adds a paragraph of the bot's own words.
    pub fn say(mut self, text: impl Into<String>) -> Message {
        self.blocks
            .push(Block::Section(vec![Inline::Text(text.into())]));
        self
    }

    pub fn section(mut self, inlines: Vec<Inline>) -> Message {
        self.blocks.push(Block::Section(inlines));
        self
    }

    pub fn context(mut self, text: impl Into<String>) -> Message {
        self.blocks
            .push(Block::Context(vec![Inline::Text(text.into())]));
        self
    }

    pub fn quote(mut self, text: impl Into<String>) -> Message {
        self.blocks.push(Block::Quote(text.into()));
        self
    }

    pub fn copy(mut self, label: impl Into<String>, text: impl Into<String>) -> Message {
        self.blocks.push(Block::Copy {
            label: label.into(),
            text: text.into(),
        });
        self
    }

    pub fn buttons(mut self, buttons: Vec<Button>) -> Message {
        if !buttons.is_empty() {
            self.blocks.push(Block::Buttons(buttons));
        }
        self
    }

    /// Every text of the message in reading order, for tests, transcripts and the shell.
    pub fn plain_text(&self) -> String {
        let inline = |parts: &[Inline]| {
            parts
                .iter()
                .map(|p| match p {
                    Inline::Text(t) | Inline::Strong(t) => t.clone(),
                    Inline::User(id) => format!("@{id}"),
                    Inline::Role(id) => format!("@&{id}"),
                    Inline::Link { url, label } => format!("{label} <{url}>"),
                })
                .collect::<String>()
        };
        let mut lines = Vec::new();
        for block in &self.blocks {
            match block {
                Block::Section(parts) | Block::Context(parts) => lines.push(inline(parts)),
                Block::Quote(text) => lines.extend(text.lines().map(|l| format!("> {l}"))),
                Block::Copy { label, text } => lines.push(format!("{label}:\n{text}")),
                Block::Buttons(buttons) => lines.push(
                    buttons
                        .iter()
                        .map(|b| match b {
                            Button::Action { label, .. } => format!("[{label}]"),
                            Button::Link { label, url } => format!("[{label} ↗ {url}]"),
                        })
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                Block::Divider => lines.push("---".to_string()),
            }
        }
        if lines.is_empty() {
            self.fallback.clone()
        } else {
            lines.join("\n")
        }
    }
}

/// A form: the editor for a draft, the comment box for a change request, a pasted link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Modal {
    pub title: String,
    pub submit_label: String,
    /// The compact action id the submit carries.
    pub action: String,
    pub inputs: Vec<Input>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    /// The field's id in the submit.
    pub id: String,
    pub label: String,
    pub initial: Option<String>,
    pub multiline: bool,
    pub max_len: usize,
    pub optional: bool,
}

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Destination {
    /// A direct message to a person (platform user id).
    Person(String),
    /// A post in a channel (platform channel id).
    Channel(String),
}

/// One outbox row's payload: what an adapter is asked to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum Outbound {
    /// A new message.
    Send {
        workspace_id: String,
        to: Destination,
        message: Message,
    },
    /// Replace an earlier message, named by the idempotency key of the outbox row that sent it.
    Update {
        workspace_id: String,
        original_key: String,
        message: Message,
    },
    /// A reply only `person` sees, in `channel` (command answers, refusals).
    Private {
        workspace_id: String,
        person: String,
        channel: Option<String>,
        message: Message,
    },
    /// Show `person` their home view (Slack's App Home tab): open asks, drafts, posts to share, stats.
    Home {
        workspace_id: String,
        person: String,
        message: Message,
    },
    /// Open a form for `person` in answer to the interaction `trigger` (platforms require a fresh one).
    OpenModal {
        workspace_id: String,
        person: String,
        trigger: String,
        modal: Modal,
    },
}
