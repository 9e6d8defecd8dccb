//! What one delivery pass did: counts per outcome, in total and per platform, and when to look again.

use crate::store::Platform;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// What happened to the rows of one pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub sent: u32,
    /// Transient failures scheduled for another attempt.
    pub retried: u32,
    /// Rows that got a 429, or were held because their scope was limited.
    pub rate_limited: u32,
    /// Rows the adapter's pacing hook asked to wait.
    pub paced: u32,
    /// Rows given up: permanent errors and transient ones past `max_attempts`.
    pub failed: u32,
    /// Acknowledgements that found the row no longer ours (lease expired, another worker took it).
    pub lost_claims: u32,
    /// Rows for a platform with no transport, released to wait.
    pub unroutable: u32,
    /// Claimed rows released unsent because `run` was shutting down.
    pub released: u32,
}

impl Counts {
    /// Rows this pass claimed and dealt with one way or another.
    pub fn handled(&self) -> u32 {
        self.sent
            + self.retried
            + self.rate_limited
            + self.paced
            + self.failed
            + self.lost_claims
            + self.unroutable
            + self.released
    }
}

/// The result of one pass over the outbox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub total: Counts,
    pub per_platform: HashMap<Platform, Counts>,
    /// The earliest instant this pass released a row until: when `run` should look again
    /// (rows deferred by others or enqueued for later are found within `max_idle`).
    pub next_due: Option<DateTime<Utc>>,
}

impl DeliveryReport {
    pub fn platform(&self, platform: Platform) -> Counts {
        self.per_platform
            .get(&platform)
            .copied()
            .unwrap_or_default()
    }

    pub(super) fn count(&mut self, platform: Platform, outcome: Outcome) {
        let field = |c: &mut Counts| {
            let slot = match outcome {
                Outcome::Sent => &mut c.sent,
                Outcome::Retried => &mut c.retried,
                Outcome::RateLimited { .. } => &mut c.rate_limited,
                Outcome::Paced => &mut c.paced,
                Outcome::Failed => &mut c.failed,
                Outcome::LostClaim => &mut c.lost_claims,
                Outcome::Unroutable => &mut c.unroutable,
                Outcome::Released => &mut c.released,
            };
            *slot += 1;
        };
        field(&mut self.total);
        field(self.per_platform.entry(platform).or_default());
    }

    pub(super) fn due_again(&mut self, at: DateTime<Utc>) {
        self.next_due = Some(self.next_due.map_or(at, |due| due.min(at)));
    }
}

/// What became of one claimed row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Sent,
    Retried,
    /// `sent`: the transport was called (a 429), not just held by an earlier one.
    RateLimited {
        sent: bool,
    },
    Paced,
    Failed,
    LostClaim,
    Unroutable,
    Released,
}

impl DeliveryReport {
    /// Adds this pass's retries, 429s and failures to the process's metrics (`/metrics`; sends are counted as
    /// they happen).
    pub fn record_metrics(&self) {
        for (platform, counts) in &self.per_platform {
            let platform = platform.to_string();
            metrics::counter!("amplifier_delivery_retries_total", "platform" => platform.clone())
                .increment(u64::from(counts.retried));
            metrics::counter!("amplifier_rate_limited_total", "platform" => platform.clone())
                .increment(u64::from(counts.rate_limited));
            metrics::counter!("amplifier_delivery_failed_total", "platform" => platform)
                .increment(u64::from(counts.failed));
        }
    }
}
