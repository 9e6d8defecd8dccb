//! The Slack adapter: Block Kit rendering of the neutral chat model, within Slack's limits and with user text
//! escaped. Only this module knows Slack's limits and escaping.

pub mod blocks;
pub mod escape;
