//! The shell's side of delivery: renders outbound messages as terminal text with numbered buttons and keeps
//! what a person at the keyboard can click or fill in.

use crate::chat::{Block, Button, Destination, Inline, Message, Modal, Outbound};
use crate::delivery::{SendError, Sent, Transport};
use crate::domain::Platform;
use crate::store::OutboxMessage;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// A button shown in the transcript: who can see it and what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownButton {
    pub number: usize,
    pub label: String,
    /// `None` for a channel post (everyone sees it).
    pub owner: Option<String>,
    pub target: ButtonTarget,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonTarget {
    Action(String),
    Link(String),
}

/// What the terminal has shown, and what can still be clicked or filled in.
#[derive(Debug, Default)]
pub struct ShellWorld {
    inner: Mutex<World>,
}

#[derive(Debug, Default)]
struct World {
    lines: Vec<String>,
    buttons: Vec<ShownButton>,
    forms: HashMap<String, Modal>,
    /// Messages in the channel by the key that sent them, for updates.
    sent: HashMap<String, String>,
    counts: HashMap<&'static str, usize>,
}

impl ShellWorld {
    pub fn new() -> ShellWorld {
        ShellWorld::default()
    }

    /// Takes the lines printed since the last call.
    pub fn drain_lines(&self) -> Vec<String> {
        std::mem::take(&mut self.lock().lines)
    }

    /// A line of the session's own (what the person typed, notes).
    pub fn note(&self, line: impl Into<String>) {
        self.lock().lines.push(line.into());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, World> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Button `n`, if `person` can see it.
    pub fn button(&self, person: &str, n: usize) -> Result<ShownButton, String> {
        let world = self.lock();
        let Some(button) = world.buttons.iter().find(|b| b.number == n) else {
            return Err(format!("there is no button {n}"));
        };
        match &button.owner {
            Some(owner) if owner != person => Err(format!(
                "button {n} is in {owner}'s messages, not yours: /as {owner} first"
            )),
            _ => Ok(button.clone()),
        }
    }

    /// The newest button with this label (case-insensitive) that `person` can see.
    pub fn button_by_label(&self, person: &str, label: &str) -> Result<ShownButton, String> {
        let world = self.lock();
        world
            .buttons
            .iter()
            .rev()
            .find(|b| {
                b.label.eq_ignore_ascii_case(label.trim())
                    && b.owner.as_deref().is_none_or(|o| o == person)
            })
            .cloned()
            .ok_or_else(|| format!("no button \"{label}\" in {person}'s view"))
    }

    /// The form waiting for `person`, if any.
    pub fn take_form(&self, person: &str) -> Option<Modal> {
        self.lock().forms.remove(person)
    }

    pub fn has_form(&self, person: &str) -> bool {
        self.lock().forms.contains_key(person)
    }

    /// How many of each kind of thing were shown (`dm`, `channel`, `update`, `private`, `form`).
    pub fn count(&self, kind: &'static str) -> usize {
        self.lock().counts.get(kind).copied().unwrap_or(0)
    }

    fn show(&self, header: String, owner: Option<&str>, message: &Message, kind: &'static str) {
        let mut world = self.lock();
        *world.counts.entry(kind).or_default() += 1;
        world.lines.push(header);
        for block in &message.blocks {
            match block {
                Block::Section(parts) => world.lines.push(format!("  {}", inline(parts))),
                Block::Context(parts) => world.lines.push(format!("  ({})", inline(parts))),
                Block::Quote(text) => {
                    for line in text.lines() {
                        world.lines.push(format!("  │ {}", clean(line)));
                    }
                }
                Block::Copy { label, text } => {
                    world.lines.push(format!("  {label} (copy):"));
                    for line in text.lines() {
                        world.lines.push(format!("  ┆ {}", clean(line)));
                    }
                }
                Block::Buttons(buttons) => {
                    let mut shown = Vec::new();
                    for button in buttons {
                        let number = world.buttons.len() + 1;
                        let (label, target) = match button {
                            Button::Action { label, action, .. } => {
                                (label.clone(), ButtonTarget::Action(action.clone()))
                            }
                            Button::Link { label, url } => {
                                (format!("{label} ↗"), ButtonTarget::Link(url.clone()))
                            }
                        };
                        shown.push(format!("[{number} {label}]"));
                        world.buttons.push(ShownButton {
                            number,
                            label: label.trim_end_matches(" ↗").to_string(),
                            owner: owner.map(str::to_string),
                            target,
                        });
                    }
                    world.lines.push(format!("  {}", shown.join(" ")));
                }
                Block::Divider => world.lines.push("  ─────".to_string()),
            }
        }
    }
}

/// Terminal text can't hide control characters: show them as '?'.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\t' { '?' } else { c })
        .collect()
}

fn inline(parts: &[Inline]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Inline::Text(t) => clean(t),
            Inline::Strong(t) => clean(t),
            Inline::User(id) => format!("@{id}"),
            Inline::Role(id) => format!("@&{id}"),
            Inline::Link { url, label } => format!("{} <{}>", clean(label), clean(url)),
        })
        .collect()
}

/// Delivery's transport for the shell: every send succeeds at once, into the transcript.
pub struct ShellTransport {
    world: std::sync::Arc<ShellWorld>,
}

impl ShellTransport {
    pub fn new(world: std::sync::Arc<ShellWorld>) -> ShellTransport {
        ShellTransport { world }
    }
}

#[async_trait]
impl Transport for ShellTransport {
    fn platform(&self) -> Platform {
        Platform::Shell
    }

    fn wait_before(&self, _message: &OutboxMessage, _now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        None
    }

    async fn send(&self, row: &OutboxMessage) -> Result<Sent, SendError> {
        let op: Outbound = serde_json::from_str(&row.payload_json)
            .map_err(|e| SendError::Permanent(format!("unreadable outbound message: {e}")))?;
        match &op {
            Outbound::Send {
                to: Destination::Person(person),
                message,
                ..
            } => {
                self.world
                    .show(format!("→ DM to {person}:"), Some(person), message, "dm");
            }
            Outbound::Send {
                to: Destination::Channel(channel),
                message,
                ..
            } => {
                self.world
                    .show(format!("→ #{channel}:"), None, message, "channel");
                self.world
                    .lock()
                    .sent
                    .insert(row.idempotency_key.clone(), channel.clone());
            }
            Outbound::Update {
                original_key,
                message,
                ..
            } => {
                let channel = self
                    .world
                    .lock()
                    .sent
                    .get(original_key)
                    .cloned()
                    .unwrap_or_else(|| "?".to_string());
                self.world
                    .show(format!("→ #{channel} (updated):"), None, message, "update");
            }
            Outbound::Home {
                person, message, ..
            } => {
                self.world.show(
                    format!("→ home tab of {person}:"),
                    Some(person),
                    message,
                    "home",
                );
            }
            Outbound::Private {
                person, message, ..
            } => {
                self.world.show(
                    format!("→ only {person} sees:"),
                    Some(person),
                    message,
                    "private",
                );
            }
            Outbound::OpenModal { person, modal, .. } => {
                let mut world = self.world.lock();
                *world.counts.entry("form").or_default() += 1;
                world
                    .lines
                    .push(format!("→ form for {person}: {}", modal.title));
                if let Some(first) = modal.inputs.first() {
                    world.lines.push(format!(
                        "  {} (type it as {person}, or /cancel)",
                        question(&first.label)
                    ));
                }
                world.forms.insert(person.clone(), modal.clone());
            }
        }
        Ok(Sent {
            platform_ref: Some(row.idempotency_key.clone()),
        })
    }
}

/// A form label as a prompt: "What should change?" stays, "Your insight" becomes "Your insight?".
pub fn question(label: &str) -> String {
    if label.ends_with(['?', ':']) {
        label.to_string()
    } else {
        format!("{label}?")
    }
}
