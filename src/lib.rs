//! Amplifier: a weekly thought-leadership routine for Slack and Discord teams.
pub mod store;
