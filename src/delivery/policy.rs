//! The delivery rules that need no store and no network: configuration, backoff with jitter, the
//! deferral count kept in `last_error`, and the rate-limit holds learned from 429s.

use crate::store::{OutboxId, Platform};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::time::Duration;

use super::GLOBAL_SCOPE;

/// The shortest wait after a 429 or any release: a `Retry-After: 0` must not make a pass claim the
/// same row again at the same instant.
pub const MIN_DELAY: Duration = Duration::from_secs(1);

/// How the delivery workers of one process behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryConfig {
    /// Names this worker's claims; must be unique per process (two replicas with the same owner
    /// could acknowledge each other's rows).
    pub owner: String,
    /// How long a claimed row stays ours. A worker that dies mid-send leaves its rows to be
    /// reclaimed after this, so keep it well above `batch` × the slowest send (the adapters'
    /// timeouts): a row whose claim expired while it waited in the batch is not sent.
    pub lease: Duration,
    /// Rows claimed at once. Bulk rows are topped up one at a time after each send, so an
    /// interactive row enqueued mid-pass waits for at most one bulk send.
    pub batch: u32,
    /// Failed send attempts (transient errors, crashes mid-send) before a row is given up and
    /// audited. Rate limits, pacing and other waits do not count.
    pub max_attempts: u32,
    /// The wait after the first transient failure; it doubles with each further one.
    pub base_backoff: Duration,
    /// The longest wait between two attempts.
    pub max_backoff: Duration,
    /// How long a row for a platform without a configured transport waits before it is looked at
    /// again (it is never dropped: the operator may add the credentials).
    pub unroutable_delay: Duration,
    /// The longest `run` sleeps with nothing known to be due, so rows enqueued with a future
    /// `not_before` (working hours) or released by another replica are picked up.
    pub max_idle: Duration,
}

impl DeliveryConfig {
    /// Production defaults for a worker named `owner`.
    pub fn new(owner: impl Into<String>) -> Self {
        DeliveryConfig {
            owner: owner.into(),
            lease: Duration::from_secs(120),
            batch: 20,
            max_attempts: 8,
            base_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(30 * 60),
            unroutable_delay: Duration::from_secs(10 * 60),
            max_idle: Duration::from_secs(30),
        }
    }

    /// Every problem with the values, in one message.
    pub fn validate(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        if self.owner.trim().is_empty() {
            problems.push("owner is empty: give each process a unique worker name".to_string());
        }
        if self.lease < MIN_DELAY {
            problems.push(format!(
                "lease {:?} is shorter than {MIN_DELAY:?}: rows would be reclaimed while being sent",
                self.lease
            ));
        }
        if self.batch == 0 {
            problems.push("batch is 0: nothing would ever be claimed; use 1 or more".to_string());
        }
        if self.max_attempts == 0 {
            problems.push("max_attempts is 0: use 1 or more".to_string());
        }
        if self.base_backoff < MIN_DELAY {
            problems.push(format!(
                "base_backoff {:?} is shorter than {MIN_DELAY:?}",
                self.base_backoff
            ));
        }
        if self.max_backoff < self.base_backoff {
            problems.push(format!(
                "max_backoff {:?} is shorter than base_backoff {:?}",
                self.max_backoff, self.base_backoff
            ));
        }
        if self.unroutable_delay < MIN_DELAY {
            problems.push(format!(
                "unroutable_delay {:?} is shorter than {MIN_DELAY:?}",
                self.unroutable_delay
            ));
        }
        if self.max_idle.is_zero() {
            problems.push("max_idle is 0: the worker would spin; use a few seconds".to_string());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "invalid delivery settings: {}",
                problems.join("; ")
            ))
        }
    }
}

/// The wait after the `failure`-th transient failure (1-based) of row `id`:
/// `base · 2^(failure-1)`, capped at `max_backoff`, then shortened by a jitter of 0–20 % derived
/// from the row id and the failure number. Deterministic (tests can compute the instant) yet
/// spread (rows that failed together do not all come back in the same second), and never longer
/// than `max_backoff`.
pub fn backoff(config: &DeliveryConfig, id: OutboxId, failure: u32) -> Duration {
    let exponent = failure.saturating_sub(1);
    let doubled = 2u32
        .checked_pow(exponent)
        .and_then(|factor| config.base_backoff.checked_mul(factor))
        .unwrap_or(config.max_backoff);
    let capped = doubled.min(config.max_backoff);
    let fraction = unit_fraction(id.0 as u64 ^ (u64::from(failure) << 40));
    let jittered = capped.mul_f64(1.0 - 0.2 * fraction);
    // Whole milliseconds: both databases store the instant exactly.
    let millis = u64::try_from(jittered.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(millis).max(MIN_DELAY)
}

/// A number in [0, 1) from a seed (splitmix64), for jitter that needs no random state.
fn unit_fraction(seed: u64) -> f64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// `now + wait`, saturating far in the future instead of overflowing.
pub fn after(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(wait)
        .ok()
        .and_then(|w| now.checked_add_signed(w))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

// ---- failures -----------------------------------------------------------------------------------

/// Failed send attempts so far, counting the current claim as one: the store counts every claim as an
/// attempt, including those that ended without a send (a rate-limit hold, pacing, no transport, a release at
/// shutdown), which it counts as `deferrals` too, so those never use up `max_attempts`.
pub fn failures(attempts: i64, deferrals: i64) -> u32 {
    let failed = attempts.saturating_sub(deferrals).max(1);
    u32::try_from(failed).unwrap_or(u32::MAX)
}

// ---- rate-limit holds ----------------------------------------------------------------------------

/// The 429s this worker has seen and that have not yet passed, per platform and scope.
#[derive(Debug, Default)]
pub struct RateLimits {
    holds: HashMap<(Platform, String), DateTime<Utc>>,
}

impl RateLimits {
    /// Nothing of `scope` on `platform` before `until` (a later 429 on the same scope extends it).
    pub fn hold(&mut self, platform: Platform, scope: &str, until: DateTime<Utc>) {
        let entry = self
            .holds
            .entry((platform, scope.to_string()))
            .or_insert(until);
        *entry = (*entry).max(until);
    }

    /// Until when a row of `scope` (`None`: the adapter cannot tell) must wait, if at all. A
    /// platform-wide hold covers every scope; a row of unknown scope waits for any hold of its platform.
    pub fn held_until(
        &mut self,
        platform: Platform,
        scope: Option<&str>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        self.holds.retain(|_, until| *until > now);
        self.holds
            .iter()
            .filter(|((p, held), _)| {
                *p == platform && (held == GLOBAL_SCOPE || scope.is_none_or(|s| s == held.as_str()))
            })
            .map(|(_, until)| *until)
            .max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn config() -> DeliveryConfig {
        DeliveryConfig {
            base_backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(300),
            ..DeliveryConfig::new("w")
        }
    }

    #[test]
    fn backoff_doubles_within_twenty_percent_and_respects_the_cap() {
        let config = config();
        for id in 1..200 {
            for failure in 1..12u32 {
                let exact = Duration::from_secs(10 * 2u64.pow(failure - 1)).min(config.max_backoff);
                let got = backoff(&config, OutboxId(id), failure);
                assert!(got <= exact, "{id}/{failure}: {got:?} > {exact:?}");
                assert!(
                    got >= exact.mul_f64(0.8),
                    "{id}/{failure}: {got:?} < 80 % of {exact:?}"
                );
            }
        }
        assert!(backoff(&config, OutboxId(1), u32::MAX) <= config.max_backoff);
    }

    #[test]
    fn backoff_jitter_spreads_rows_that_failed_together() {
        let config = config();
        let distinct: std::collections::HashSet<_> = (1..50)
            .map(|id| backoff(&config, OutboxId(id), 1))
            .collect();
        assert!(distinct.len() > 40, "{} distinct waits", distinct.len());
    }

    #[test]
    fn deferrals_are_not_failures() {
        assert_eq!(failures(5, 3), 2);
        assert_eq!(failures(1, 1), 1, "the current claim is an attempt");
        assert_eq!(failures(1, 0), 1);
    }

    #[test]
    fn holds_cover_their_scope_the_whole_platform_or_unknown_scopes() {
        let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let later = t0 + chrono::Duration::seconds(30);
        let mut limits = RateLimits::default();
        limits.hold(Platform::Slack, "C1", later);
        assert_eq!(
            limits.held_until(Platform::Slack, Some("C1"), t0),
            Some(later)
        );
        assert_eq!(limits.held_until(Platform::Slack, Some("C2"), t0), None);
        assert_eq!(limits.held_until(Platform::Slack, None, t0), Some(later));
        assert_eq!(limits.held_until(Platform::Discord, Some("C1"), t0), None);
        assert_eq!(
            limits.held_until(Platform::Slack, Some("C1"), later),
            None,
            "passed"
        );
        limits.hold(Platform::Discord, GLOBAL_SCOPE, later);
        assert_eq!(
            limits.held_until(Platform::Discord, Some("route"), t0),
            Some(later)
        );
    }

    #[test]
    fn config_problems_are_reported_together() {
        let bad = DeliveryConfig {
            owner: " ".into(),
            batch: 0,
            max_backoff: Duration::from_secs(1),
            ..DeliveryConfig::new("w")
        };
        let err = bad.validate().unwrap_err();
        assert!(err.contains("owner is empty"), "{err}");
        assert!(err.contains("batch is 0"), "{err}");
        assert!(err.contains("max_backoff"), "{err}");
        assert!(DeliveryConfig::new("w").validate().is_ok());
    }
}
