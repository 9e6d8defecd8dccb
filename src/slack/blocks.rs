//! Block Kit rendering of `chat::Message` and `chat::Modal`: user text escaped, every Slack limit respected by
//! splitting or shortening with a visible marker, never by a platform error.

use super::escape::{escape, is_user_id, split_escaped, truncate};
use crate::chat::{Block, Button, ButtonStyle, Inline, Message, Modal};
use serde::Serialize;

/// Blocks per message (modals and the Home tab allow 100).
pub const MAX_MESSAGE_BLOCKS: usize = 50;
pub const MAX_VIEW_BLOCKS: usize = 100;
/// Characters in a section's text.
pub const MAX_SECTION_TEXT: usize = 3000;
/// Characters in a context element (kept well under the section limit).
pub const MAX_CONTEXT_TEXT: usize = 2000;
pub const MAX_BUTTON_TEXT: usize = 75;
pub const MAX_BUTTON_URL: usize = 3000;
pub const MAX_ACTION_ID: usize = 255;
pub const MAX_ACTIONS_ELEMENTS: usize = 25;
pub const MAX_VIEW_TITLE: usize = 24;
pub const MAX_INPUT_LABEL: usize = 2000;
pub const MAX_INPUT_LENGTH: usize = 3000;
/// Slack truncates `text` beyond 40,000 characters and recommends at most 4,000.
pub const MAX_FALLBACK_TEXT: usize = 4000;

/// Put at the start of each piece after the first when a long text was split.
pub const CONTINUED: &str = "_(continued)_";

/// A text object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Text {
    Mrkdwn { text: String },
    PlainText { text: String, emoji: bool },
}

impl Text {
    fn plain(text: &str, max: usize) -> Text {
        Text::PlainText {
            text: truncate(text, max),
            emoji: true,
        }
    }
}

/// The Block Kit elements Amplifier uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SlackBlock {
    Section {
        text: Text,
    },
    Context {
        elements: Vec<Text>,
    },
    Actions {
        elements: Vec<SlackButton>,
    },
    Divider,
    Input {
        block_id: String,
        label: Text,
        optional: bool,
        element: TextInput,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlackButton {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub action_id: String,
    pub text: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextInput {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub action_id: String,
    pub multiline: bool,
    pub max_length: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_value: Option<String>,
}

/// A message ready for `chat.postMessage` / `chat.update` / `chat.postEphemeral`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The notification and screen-reader text (mrkdwn, escaped).
    pub text: String,
    pub blocks: Vec<SlackBlock>,
}

/// A modal ready for `views.open`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct View {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub callback_id: String,
    pub title: Text,
    pub submit: Text,
    pub close: Text,
    pub blocks: Vec<SlackBlock>,
}

fn inline_mrkdwn(parts: &[Inline]) -> String {
    parts
        .iter()
        .map(|part| match part {
            Inline::Text(t) => escape(t),
            Inline::Strong(t) if t.trim().is_empty() => escape(t),
            // Slack bolds `*text*` only when no space touches the asterisks inside.
            Inline::Strong(t) => {
                let start = &t[..t.len() - t.trim_start().len()];
                let end = &t[t.trim_end().len()..];
                format!("{start}*{}*{end}", escape(t.trim()))
            }
            Inline::User(id) if is_user_id(id) => format!("<@{id}>"),
            Inline::User(id) => escape(&format!("@{id}")),
            // The team's opt-in user group (`S…`), the one group the bot may mention.
            Inline::Role(id) if is_group_id(id) => format!("<!subteam^{id}>"),
            Inline::Role(id) => escape(&format!("@{id}")),
            Inline::Link { url, label } => link(url, label),
        })
        .collect()
}

/// A Slack user group id: `S` and capital letters or digits.
fn is_group_id(id: &str) -> bool {
    id.len() >= 7
        && id.starts_with('S')
        && id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// `<url|label>` for web links only; anything else is shown as text so a payload cannot smuggle a
/// `<!channel>` through a URL.
fn link(url: &str, label: &str) -> String {
    let safe = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= MAX_BUTTON_URL
        && !url
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | '|'));
    if safe {
        format!(
            "<{}|{}>",
            url.replace('&', "&amp;"),
            escape(label).replace('|', "¦")
        )
    } else {
        format!("{} ({})", escape(label), escape(url))
    }
}

/// Long mrkdwn as sections of at most 3,000 characters, each after the first marked as continued.
fn sections(mrkdwn: &str, out: &mut Vec<SlackBlock>) {
    let room = MAX_SECTION_TEXT - CONTINUED.chars().count() - 1;
    for (i, piece) in split_escaped(mrkdwn, room).into_iter().enumerate() {
        let text = if i == 0 {
            piece
        } else {
            format!("{CONTINUED} {piece}")
        };
        if text.trim().is_empty() {
            continue;
        }
        out.push(SlackBlock::Section {
            text: Text::Mrkdwn { text },
        });
    }
}

fn quote(text: &str) -> String {
    escape(text)
        .lines()
        .map(|line| format!("> {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn buttons(list: &[Button], out: &mut Vec<SlackBlock>) {
    let elements: Vec<SlackButton> = list
        .iter()
        .enumerate()
        .map(|(i, button)| match button {
            Button::Action {
                label,
                action,
                style,
            } => SlackButton {
                kind: "button",
                action_id: truncate(action, MAX_ACTION_ID),
                text: Text::plain(label, MAX_BUTTON_TEXT),
                url: None,
                style: match style {
                    ButtonStyle::Default => None,
                    ButtonStyle::Primary => Some("primary"),
                    ButtonStyle::Danger => Some("danger"),
                },
            },
            Button::Link { label, url } => SlackButton {
                kind: "button",
                // Slack still sends a block_actions when a link button is pressed: the engine ignores `link:` ids.
                action_id: format!("link:{i}"),
                text: Text::plain(label, MAX_BUTTON_TEXT),
                url: Some(truncate(url, MAX_BUTTON_URL)),
                style: None,
            },
        })
        .collect();
    for chunk in elements.chunks(MAX_ACTIONS_ELEMENTS) {
        out.push(SlackBlock::Actions {
            elements: chunk.to_vec(),
        });
    }
}

/// Renders a message for Slack; always within 50 blocks, with a fallback text.
pub fn render_message(message: &Message) -> Rendered {
    let mut blocks = Vec::new();
    for block in &message.blocks {
        match block {
            Block::Section(parts) => sections(&inline_mrkdwn(parts), &mut blocks),
            Block::Context(parts) => blocks.push(SlackBlock::Context {
                elements: vec![Text::Mrkdwn {
                    text: truncate(&inline_mrkdwn(parts), MAX_CONTEXT_TEXT),
                }],
            }),
            Block::Quote(text) => sections(&quote(text), &mut blocks),
            Block::Copy { label, text } => {
                sections(&format!("*{}*", escape(label)), &mut blocks);
                // Code blocks show the text as is (no formatting), ready to copy.
                let body = escape(text).replace("```", "`\u{200b}``");
                let room = MAX_SECTION_TEXT - CONTINUED.chars().count() - 8;
                for (i, piece) in split_escaped(&body, room).into_iter().enumerate() {
                    let marker = if i == 0 { "" } else { CONTINUED };
                    blocks.push(SlackBlock::Section {
                        text: Text::Mrkdwn {
                            text: format!("{marker}\n```{piece}```").trim_start().to_string(),
                        },
                    });
                }
            }
            Block::Buttons(list) => buttons(list, &mut blocks),
            Block::Divider => blocks.push(SlackBlock::Divider),
        }
    }
    if blocks.len() > MAX_MESSAGE_BLOCKS {
        let dropped = blocks.len() - (MAX_MESSAGE_BLOCKS - 1);
        // Keep the buttons at the end, if any: they are what the reader acts on.
        let tail = match blocks.last() {
            Some(SlackBlock::Actions { .. }) => blocks.pop(),
            _ => None,
        };
        blocks.truncate(MAX_MESSAGE_BLOCKS - 1 - usize::from(tail.is_some()));
        blocks.push(SlackBlock::Context {
            elements: vec![Text::Mrkdwn {
                text: format!(
                    "_(shortened: {dropped} more parts did not fit in one Slack message)_"
                ),
            }],
        });
        blocks.extend(tail);
    }
    let fallback = if message.fallback.trim().is_empty() {
        message.plain_text()
    } else {
        message.fallback.clone()
    };
    Rendered {
        text: truncate(&escape(&fallback), MAX_FALLBACK_TEXT),
        blocks,
    }
}

/// The App Home tab (`views.publish`): a message's blocks in a `home` view, within the view's 100 blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HomeView {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub blocks: Vec<SlackBlock>,
}

/// Renders the person's Home tab from the same canonical markup as a message.
pub fn render_home(message: &Message) -> HomeView {
    let mut blocks = Vec::new();
    for block in &message.blocks {
        // Each block rendered on its own, so the 50-block message cap does not apply; the view's 100 does.
        let one = Message {
            fallback: String::new(),
            blocks: vec![block.clone()],
        };
        blocks.extend(render_message(&one).blocks);
    }
    if blocks.len() > MAX_VIEW_BLOCKS {
        blocks.truncate(MAX_VIEW_BLOCKS - 1);
        blocks.push(SlackBlock::Context {
            elements: vec![Text::Mrkdwn {
                text: "_(shortened: type /amplify status for the rest)_".to_string(),
            }],
        });
    }
    HomeView {
        kind: "home",
        blocks,
    }
}

/// Renders a form as a modal view within Slack's limits.
pub fn render_modal(modal: &Modal) -> View {
    let blocks = modal
        .inputs
        .iter()
        .take(MAX_VIEW_BLOCKS)
        .map(|input| {
            let max_length = input.max_len.clamp(1, MAX_INPUT_LENGTH);
            SlackBlock::Input {
                block_id: truncate(&input.id, MAX_ACTION_ID),
                label: Text::plain(&input.label, MAX_INPUT_LABEL),
                optional: input.optional,
                element: TextInput {
                    kind: "plain_text_input",
                    action_id: truncate(&input.id, MAX_ACTION_ID),
                    multiline: input.multiline,
                    max_length,
                    initial_value: input
                        .initial
                        .as_deref()
                        .filter(|t| !t.is_empty())
                        .map(|t| t.chars().take(max_length).collect()),
                },
            }
        })
        .collect();
    View {
        kind: "modal",
        callback_id: truncate(&modal.action, MAX_ACTION_ID),
        title: Text::plain(&modal.title, MAX_VIEW_TITLE),
        submit: Text::plain(&modal.submit_label, MAX_VIEW_TITLE),
        close: Text::plain("Cancel", MAX_VIEW_TITLE),
        blocks,
    }
}

#[cfg(test)]
mod tests;
