//! The Discord adapter: renders outbound messages for Discord, sends them over REST with Discord's rate limits,
//! and turns gateway events into neutral chat events. Only this module knows Discord's limits and escaping.

pub mod attribution;
pub mod commands;
pub mod doctor;
pub mod gateway;
pub mod inbound;
pub mod interactions;
pub mod opt_in;
pub mod permissions;
pub mod ratelimit;
pub mod render;
pub mod rest;
pub mod transport;

pub use gateway::{DiscordAdapter, GatewaySettings};
pub use transport::DiscordTransport;
