//! The seam between the delivery workers and the platform adapters: what an adapter does with one
//! outbox row, and the three ways a send can fail.

use crate::store::{OutboxMessage, Platform};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The rate-limit scope that covers a whole platform (Discord's global limit, a Slack workspace
/// that is limited as a whole): a 429 with this scope holds every row of the platform.
pub const GLOBAL_SCOPE: &str = "global";

/// What an adapter does with one outbox row. Implemented by the Slack, Discord and shell adapters;
/// the delivery layer knows nothing of their payload formats.
#[async_trait]
pub trait Transport: Send + Sync {
    fn platform(&self) -> Platform;

    /// The rate-limit bucket this row's send falls into (e.g. `chat.postMessage:C123`, a Discord
    /// route's bucket), in the same words the adapter uses in [`SendError::RateLimited::scope`].
    /// After a 429 on a scope, the workers hold every other row of that scope until it passes
    /// instead of hammering the route. `None` (the default) means "cannot tell": such a row waits
    /// whenever any scope of its platform is limited.
    fn rate_scope(&self, _message: &OutboxMessage) -> Option<String> {
        None
    }

    /// Pacing hook: how long to wait before this row may be sent (the adapter models its
    /// platform's rate limits: Slack method tiers and 1 msg/s per channel, Discord's global 50/s
    /// and per-route buckets). `None`, or an instant not after `now`, means send now.
    ///
    /// A row told to wait is released until that instant and asked again when it comes due, so an
    /// adapter that paces a burst should hand out successive slots (reserve them), not the same
    /// instant to every row of a channel.
    fn wait_before(&self, message: &OutboxMessage, now: DateTime<Utc>) -> Option<DateTime<Utc>>;

    /// Sends the row. Must not retry on its own (the workers own retries and backoff) and should
    /// bound its own network time, since shutdown waits for an in-flight send to finish.
    async fn send(&self, message: &OutboxMessage) -> Result<Sent, SendError>;
}

/// A delivered row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sent {
    /// The platform's id of what was sent (Slack `ts`, Discord message id), kept on the row so a
    /// later update (the live share count) can edit it.
    pub platform_ref: Option<String>,
}

/// Why a row was not delivered this time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// 429: nothing for this scope before `retry_after` has passed.
    #[error("rate limited on {scope}: retry after {retry_after:?}")]
    RateLimited {
        retry_after: Duration,
        scope: String,
    },
    /// Worth retrying (5xx, timeouts, connection reset).
    #[error("{0}")]
    Transient(String),
    /// Never deliverable (user gone, channel gone): record and never retry.
    #[error("{0}")]
    Permanent(String),
    /// The person does not accept direct messages from the bot (Discord 50007): recorded on the person, so
    /// nothing more is sent to them (which would spend the invalid-request budget) and admins hear of it.
    #[error("{0}")]
    DmsClosed(String),
}
