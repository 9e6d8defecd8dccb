//! The Slack adapter: Block Kit rendering of the neutral chat model within Slack's limits and with user text
//! escaped, the Web API transport with Slack's pacing, and the events that come back. Only this module knows
//! Slack's limits and escaping.

pub mod adapter;
pub mod api;
pub mod blocks;
pub mod doctor;
pub mod escape;
pub mod http;
pub mod inbound;
pub mod members;
pub mod opt_in;
pub mod pacing;
pub mod people;
pub mod receive;
pub mod responses;
pub mod scopes;
pub mod signature;
pub mod socket;
pub mod transport;

pub use adapter::{connect, SlackConnection, SlackStartError};
pub use transport::SlackTransport;

/// The event key of an interaction that carries a `trigger_id` (button, command, shortcut). The engine hands
/// an event's key back as the `trigger` of the modal it opens, so the trigger travels inside the key: no
/// map to expire, and a restart loses nothing (Slack's trigger itself lives 3 seconds).
pub fn trigger_key(trigger_id: &str) -> String {
    format!("{TRIGGER_PREFIX}{trigger_id}")
}

/// The `trigger_id` inside a [`trigger_key`].
pub fn trigger_of(key: &str) -> Option<&str> {
    key.strip_prefix(TRIGGER_PREFIX).filter(|t| !t.is_empty())
}

const TRIGGER_PREFIX: &str = "slack-trigger:";
