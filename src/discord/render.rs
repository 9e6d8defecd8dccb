//! Renders the neutral [`Message`] and [`Modal`] into Discord's message and modal bodies, within Discord's
//! limits, with user text escaped and `allowed_mentions` naming only the people the bot means to mention.
//!
//! Pure: no network, no clock. The limits here are the documented ones (LIMITS.md 2h), several of which the
//! official OpenAPI spec cannot express (2,000 content for bots, 6,000 across embeds, 5 action rows, 1–5 modal
//! rows), so they live in code and in the fake Discord that checks them.

use super::commands::spelled_for_discord;
use crate::chat::{Block, Button, ButtonStyle, Inline, Message, Modal};
use serde::Serialize;

/// A bot message's `content` (the spec says 4,000; the docs and Discord say 2,000 for bots).
pub const CONTENT_MAX: usize = 2000;
/// One embed's description.
pub const EMBED_DESCRIPTION_MAX: usize = 4096;
/// Every embed of one message together (title + description + fields + footer + author).
pub const EMBEDS_TOTAL_MAX: usize = 6000;
/// Embeds per message.
pub const EMBEDS_MAX: usize = 10;
/// Legacy action rows per message, and buttons per row.
pub const ROWS_MAX: usize = 5;
pub const BUTTONS_PER_ROW: usize = 5;
pub const CUSTOM_ID_MAX: usize = 100;
pub const BUTTON_LABEL_MAX: usize = 80;
pub const LINK_URL_MAX: usize = 512;
pub const MODAL_TITLE_MAX: usize = 45;
pub const MODAL_ROWS_MAX: usize = 5;
pub const INPUT_LABEL_MAX: usize = 45;
pub const INPUT_VALUE_MAX: usize = 4000;
/// `nonce` is at most 25 characters.
pub const NONCE_MAX: usize = 25;
/// Shown where text had to be cut or continued.
pub const CUT_MARKER: &str = "… (continued)";

/// The body of a create- or edit-message request, and of an interaction's message callback data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiscordMessage {
    pub content: String,
    pub embeds: Vec<Embed>,
    pub components: Vec<ActionRow>,
    pub allowed_mentions: AllowedMentions,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Embed {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub description: String,
}

impl Embed {
    /// The characters this embed counts towards the 6,000 total.
    pub fn chars(&self) -> usize {
        self.title.as_deref().map_or(0, len) + len(&self.description)
    }
}

/// Who a message may ping: never `parse` anything (so `@everyone`, `@here` and role mentions in user text stay
/// inert), only the users (or the one role) the bot means.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AllowedMentions {
    pub parse: Vec<String>,
    pub users: Vec<String>,
    pub roles: Vec<String>,
    pub replied_user: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionRow {
    /// Always 1.
    #[serde(rename = "type")]
    pub kind: u8,
    pub components: Vec<Component>,
}

/// A button (type 2) or a text input (type 4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Component {
    Button(ButtonComponent),
    TextInput(TextInput),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ButtonComponent {
    /// Always 2.
    #[serde(rename = "type")]
    pub kind: u8,
    /// 1 primary, 2 secondary, 4 danger, 5 link.
    pub style: u8,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextInput {
    /// Always 4.
    #[serde(rename = "type")]
    pub kind: u8,
    pub custom_id: String,
    /// 1 short, 2 paragraph.
    pub style: u8,
    pub label: String,
    pub max_length: usize,
    pub required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// The `data` of a MODAL (type 9) interaction callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiscordModal {
    pub custom_id: String,
    pub title: String,
    pub components: Vec<ActionRow>,
}

fn len(s: &str) -> usize {
    s.chars().count()
}

/// The first `max` characters of `s`, ending in `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if len(s) <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Escapes user text for Discord markdown: formatting characters and mention syntax (`<@…>`, `<#…>`,
/// `@everyone`, `@here`) are shown literally, control characters are dropped. Line-start markers (headings,
/// quotes, lists) are escaped too, so a user cannot restyle the bot's message.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut line_start = true;
    for c in text.chars() {
        if c == '\n' {
            out.push('\n');
            line_start = true;
            continue;
        }
        if c.is_control() && c != '\t' {
            continue;
        }
        // Zero-width and bidi controls could hide a mention from the escaping below.
        if matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
        {
            continue;
        }
        let always = matches!(
            c,
            '\\' | '*' | '_' | '~' | '`' | '|' | '<' | '>' | '@' | '[' | ']'
        );
        let at_start = line_start && matches!(c, '#' | '-' | '+');
        if always || at_start {
            out.push('\\');
        }
        out.push(c);
        if !c.is_whitespace() {
            line_start = false;
        }
    }
    out
}

/// Text for a fenced code block: a fence inside cannot close it early, mentions inside do not render.
fn fence(text: &str) -> String {
    let inner = text.replace("```", "`\u{200B}``");
    format!("```\n{inner}\n```")
}

/// One rendered block, kept apart so long ones can move into embeds.
struct Piece {
    text: String,
    /// Quotes and copy texts may move into an embed when the content is too long.
    movable: Option<(Option<String>, String)>,
}

fn inline(parts: &[Inline], users: &mut Vec<String>, roles: &mut Vec<String>) -> String {
    parts
        .iter()
        .map(|p| match p {
            Inline::Text(t) => escape(&spelled_for_discord(t)),
            Inline::Strong(t) => format!("**{}**", escape(&spelled_for_discord(t))),
            Inline::User(id) => {
                if is_snowflake(id) {
                    if !users.contains(id) {
                        users.push(id.clone());
                    }
                    format!("<@{id}>")
                } else {
                    format!("\\@{}", escape(id))
                }
            }
            // The team's opt-in role, the one group the bot may ping (and then only that role).
            Inline::Role(id) => {
                if is_snowflake(id) {
                    if !roles.contains(id) {
                        roles.push(id.clone());
                    }
                    format!("<@&{id}>")
                } else {
                    format!("\\@{}", escape(id))
                }
            }
            Inline::Link { url, label } => {
                if url.starts_with("https://") || url.starts_with("http://") {
                    // A masked link; the URL goes in angle brackets so Discord shows no preview card.
                    format!("[{}](<{}>)", escape(label), url.replace('>', "%3E"))
                } else {
                    format!("{} {}", escape(label), escape(url))
                }
            }
        })
        .collect()
}

/// Whether `id` is a Discord snowflake (all digits, 17–20 of them).
pub fn is_snowflake(id: &str) -> bool {
    (17..=20).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
}

/// Renders a message. Never fails: whatever does not fit is moved into embeds, split with a visible marker, or
/// (past every limit) cut with one.
pub fn message(msg: &Message) -> DiscordMessage {
    let mut users = Vec::new();
    let mut roles = Vec::new();
    let mut overflow_links = Vec::new();
    let mut pieces: Vec<Piece> = Vec::new();
    let mut rows: Vec<ActionRow> = Vec::new();
    let mut seen_ids: Vec<String> = Vec::new();
    let mut dropped_buttons = 0usize;
    for block in &msg.blocks {
        match block {
            Block::Section(parts) => pieces.push(Piece {
                text: inline(parts, &mut users, &mut roles),
                movable: None,
            }),
            Block::Context(parts) => pieces.push(Piece {
                text: format!("-# {}", inline(parts, &mut users, &mut roles)),
                movable: None,
            }),
            Block::Quote(text) => pieces.push(Piece {
                text: text
                    .lines()
                    .map(|l| format!("> {}", escape(l)))
                    .collect::<Vec<_>>()
                    .join("\n"),
                movable: Some((None, escape(text))),
            }),
            Block::Copy { label, text } => pieces.push(Piece {
                text: format!("{}\n{}", escape(label), fence(text)),
                movable: Some((Some(truncate(label, 256)), fence(text))),
            }),
            Block::Divider => pieces.push(Piece {
                text: "\u{2014}\u{2014}\u{2014}".to_string(),
                movable: None,
            }),
            Block::Buttons(buttons) => {
                let mut row: Vec<Component> = Vec::new();
                for button in buttons {
                    let component = match button {
                        Button::Action {
                            label,
                            action,
                            style,
                        } => {
                            if action.is_empty()
                                || len(action) > CUSTOM_ID_MAX
                                || seen_ids.contains(action)
                            {
                                dropped_buttons += 1;
                                continue;
                            }
                            seen_ids.push(action.clone());
                            ButtonComponent {
                                kind: 2,
                                style: match style {
                                    ButtonStyle::Primary => 1,
                                    ButtonStyle::Default => 2,
                                    ButtonStyle::Danger => 4,
                                },
                                label: truncate(label, BUTTON_LABEL_MAX),
                                custom_id: Some(action.clone()),
                                url: None,
                            }
                        }
                        Button::Link { label, url } => {
                            if len(url) > LINK_URL_MAX || !url.starts_with("http") {
                                // Too long for a link button: the URL goes into the text instead.
                                overflow_links.push(format!("{}: {}", escape(label), url));
                                continue;
                            }
                            ButtonComponent {
                                kind: 2,
                                style: 5,
                                label: truncate(label, BUTTON_LABEL_MAX),
                                custom_id: None,
                                url: Some(url.clone()),
                            }
                        }
                    };
                    if row.len() == BUTTONS_PER_ROW {
                        rows.push(ActionRow {
                            kind: 1,
                            components: std::mem::take(&mut row),
                        });
                    }
                    row.push(Component::Button(component));
                }
                if !row.is_empty() {
                    rows.push(ActionRow {
                        kind: 1,
                        components: row,
                    });
                }
            }
        }
    }
    if rows.len() > ROWS_MAX {
        dropped_buttons += rows[ROWS_MAX..]
            .iter()
            .map(|r| r.components.len())
            .sum::<usize>();
        rows.truncate(ROWS_MAX);
    }
    if dropped_buttons > 0 {
        tracing::warn!(
            dropped_buttons,
            "a message had more buttons than Discord shows (5 rows of 5, unique ids ≤ 100): the rest were left out"
        );
    }
    for link in overflow_links {
        pieces.push(Piece {
            text: link,
            movable: None,
        });
    }
    if pieces.is_empty() && rows.is_empty() {
        pieces.push(Piece {
            text: escape(&msg.fallback),
            movable: None,
        });
    }
    let (content, embeds) = fit(pieces);
    users.truncate(100);
    DiscordMessage {
        content,
        embeds,
        components: rows,
        allowed_mentions: AllowedMentions {
            users,
            roles,
            ..AllowedMentions::default()
        },
    }
}

fn join(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Content within 2,000: the longest quotes and copy texts move into embeds first (split at 4,096 with a
/// marker, all embeds within 6,000), then whatever is still too long is cut with a marker.
fn fit(mut pieces: Vec<Piece>) -> (String, Vec<Embed>) {
    let mut embeds: Vec<Embed> = Vec::new();
    while len(&join(&pieces)) > CONTENT_MAX {
        let Some((index, _)) = pieces
            .iter()
            .enumerate()
            .filter(|(_, p)| p.movable.is_some())
            .max_by_key(|(_, p)| len(&p.text))
        else {
            break;
        };
        let (title, body) = pieces[index].movable.take().expect("filtered on movable");
        pieces[index].text = match &title {
            Some(t) => format!("({}: below)", escape(t)),
            None => "(the full text is below)".to_string(),
        };
        let chunks = split(&body, EMBED_DESCRIPTION_MAX - len(CUT_MARKER) - 1);
        let count = chunks.len();
        for (i, chunk) in chunks.into_iter().enumerate() {
            let description = if i + 1 < count {
                format!("{chunk}\n{CUT_MARKER}")
            } else {
                chunk
            };
            let title = title.clone().map(|t| {
                if count > 1 {
                    truncate(&format!("{t} ({}/{count})", i + 1), 256)
                } else {
                    t
                }
            });
            embeds.push(Embed { title, description });
        }
    }
    // All embeds together stay within 6,000 characters and 10 embeds.
    let mut total = 0;
    let mut kept = Vec::new();
    for mut embed in embeds.into_iter().take(EMBEDS_MAX) {
        let room = EMBEDS_TOTAL_MAX.saturating_sub(total);
        if embed.chars() > room {
            let title_len = embed.title.as_deref().map_or(0, len);
            if room <= title_len + len(CUT_MARKER) + 1 {
                break;
            }
            embed.description = cut(&embed.description, room - title_len);
        }
        total += embed.chars();
        kept.push(embed);
        if total >= EMBEDS_TOTAL_MAX {
            break;
        }
    }
    let content = join(&pieces);
    let content = if len(&content) > CONTENT_MAX {
        cut(&content, CONTENT_MAX)
    } else {
        content
    };
    (content, kept)
}

/// `text` cut to `max` characters with the marker at the end; never ends inside an escape.
fn cut(text: &str, max: usize) -> String {
    let keep = max - len(CUT_MARKER) - 1;
    let mut head: String = text.chars().take(keep).collect();
    // A trailing lone backslash would escape the newline; drop it.
    while head.ends_with('\\') {
        head.pop();
    }
    format!("{head}\n{CUT_MARKER}")
}

/// Splits at line or word boundaries into chunks of at most `max` characters.
fn split(text: &str, max: usize) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut rest: &str = text;
    while len(rest) > max {
        let byte_max = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        let window = &rest[..byte_max];
        let mut at = window
            .rfind('\n')
            .or_else(|| window.rfind(' '))
            .filter(|&i| i > byte_max / 2)
            .unwrap_or(byte_max);
        // Never split between a backslash and the character it escapes.
        while at > 0 && window[..at].ends_with('\\') {
            at -= 1;
        }
        chunks.push(rest[..at].trim_end().to_string());
        rest = rest[at..].trim_start_matches([' ', '\n']);
    }
    chunks.push(rest.to_string());
    chunks
}

/// Renders a form. Titles and labels are cut to 45, at most 5 inputs, values within each input's length.
pub fn modal(form: &Modal) -> DiscordModal {
    if form.inputs.len() > MODAL_ROWS_MAX {
        tracing::warn!(
            inputs = form.inputs.len(),
            "a form had more than 5 inputs: Discord shows 5, the rest were left out"
        );
    }
    let components = form
        .inputs
        .iter()
        .take(MODAL_ROWS_MAX)
        .map(|input| {
            let max_length = input.max_len.clamp(1, INPUT_VALUE_MAX);
            ActionRow {
                kind: 1,
                components: vec![Component::TextInput(TextInput {
                    kind: 4,
                    custom_id: truncate(&input.id, CUSTOM_ID_MAX),
                    style: if input.multiline { 2 } else { 1 },
                    label: truncate(&input.label, INPUT_LABEL_MAX),
                    max_length,
                    required: !input.optional,
                    value: input
                        .initial
                        .as_ref()
                        .filter(|v| !v.is_empty())
                        .map(|v| v.chars().take(max_length).collect()),
                })],
            }
        })
        .collect();
    DiscordModal {
        custom_id: form.action.clone(),
        title: truncate(&form.title, MODAL_TITLE_MAX),
        components,
    }
}

/// The `nonce` of an outbox row's create-message: derived from its idempotency key alone, so a resend of the same
/// row after a crash carries the same nonce and Discord (with `enforce_nonce`) returns the first message instead
/// of posting a second. FNV-1a: stable across processes and Rust versions, unlike `DefaultHasher`.
pub fn nonce(idempotency_key: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in idempotency_key.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("amp{hash:016x}")
}

#[cfg(test)]
mod tests;
