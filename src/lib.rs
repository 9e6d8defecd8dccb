//! Amplifier: a weekly thought-leadership routine for Slack and Discord teams.
//!
//! The binary (`src/main.rs`) is a thin shell over [`cli`]; everything else is library code that tests reach.

pub mod chat;
pub mod cli;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod demo;
pub mod discord;
pub mod doctor;
pub mod domain;
pub mod engine;
pub mod export;
pub mod http;
pub mod prompts;
pub mod rounds;
pub mod runner;
pub mod schedule;
pub mod shell;
pub mod slack;
pub mod store;
pub mod teams;
pub mod telemetry;
pub mod zone;
