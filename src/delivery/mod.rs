//! Delivery workers: drain the outbox through each platform's [`Transport`], interactive rows
//! before bulk ones, with backoff on transient errors, `Retry-After` holds per rate-limit scope,
//! adapter pacing, and no row ever dropped.
//!
//! The engine never sends: it commits outbox rows with its state changes and calls
//! `wake.notify_one()`. [`Delivery::run`] is the long-running loop; [`Delivery::run_once`] drains
//! what is due now, for tests, the shell adapter and `amplifier demo`.
//!
//! What happens to a claimed row:
//! - sent → `mark_sent` with the platform's reference;
//! - held by a 429 this worker saw on its scope, or paced by the adapter's `wait_before`, or for a
//!   platform with no transport → released with `retry_later` until that instant (a *deferral*:
//!   it does not count against `max_attempts`: the row's `deferrals` column counts it);
//! - `RateLimited` → released until `now + retry_after` (never earlier), and the scope is held;
//! - `Transient` → `retry_later` after [`backoff`], or after `max_attempts` failed sends
//!   `mark_failed` + a `delivery.failed` audit entry;
//! - `Permanent` → `mark_failed` + a `delivery.failed` audit entry, never retried.
//!
//! Every acknowledgement is owner-checked: if the lease expired and another worker took the row,
//! the ack changes nothing and the row is counted as a lost claim.

mod policy;
mod report;
mod transport;

pub use policy::{backoff, DeliveryConfig, MIN_DELAY};
pub use report::{Counts, DeliveryReport};
pub use transport::{SendError, Sent, Transport, GLOBAL_SCOPE};

use crate::clock::Clock;
use crate::store::{AuditEntry, Lane, OutboxMessage, Platform, Release, Store, StoreError};
use chrono::{DateTime, Utc};
use policy::{after, failures, RateLimits};
use report::Outcome;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tracing::Instrument;

/// Seconds a platform's `Retry-After` told delivery to wait, per 429 (its sum is the time spent waiting).
pub const RATE_LIMIT_WAIT: &str = "amplifier_rate_limit_wait_seconds";
/// Buckets for [`RATE_LIMIT_WAIT`].
pub const RATE_LIMIT_BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0];

/// The audit action recorded when a row is given up; the digest tells admins about these.
pub const AUDIT_FAILED: &str = "delivery.failed";
/// The audit actor of the delivery workers.
pub const AUDIT_ACTOR: &str = "delivery";

/// How long `run` waits after a store error before trying again (at most `max_idle`).
const ERROR_NAP: Duration = Duration::from_secs(5);

/// Why the workers could not start or could not go on.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("{0}")]
    Config(String),
    #[error("two transports for {0}: configure one adapter per platform")]
    DuplicateTransport(Platform),
    /// Claimed rows that were not acknowledged are retried when their lease expires.
    #[error("delivery could not {doing}: {source} (rows it had claimed are retried when their lease expires; check the database)")]
    Store {
        doing: &'static str,
        #[source]
        source: StoreError,
    },
}

fn store_error(doing: &'static str) -> impl FnOnce(StoreError) -> DeliveryError {
    move |source| DeliveryError::Store { doing, source }
}

/// The delivery workers of one process (one owner). Share it behind an `Arc`; passes of one
/// instance may run concurrently but normally one `run` loop drives it.
pub struct Delivery {
    store: Arc<dyn Store>,
    transports: HashMap<Platform, Arc<dyn Transport>>,
    config: DeliveryConfig,
    limits: Mutex<RateLimits>,
    /// Platforms already warned about having no transport (once per process is enough).
    warned_unroutable: Mutex<HashSet<Platform>>,
}

impl Delivery {
    pub fn new(
        store: Arc<dyn Store>,
        transports: Vec<Arc<dyn Transport>>,
        config: DeliveryConfig,
    ) -> Result<Self, DeliveryError> {
        config.validate().map_err(DeliveryError::Config)?;
        let mut by_platform = HashMap::new();
        for transport in transports {
            let platform = transport.platform();
            if by_platform.insert(platform, transport).is_some() {
                return Err(DeliveryError::DuplicateTransport(platform));
            }
        }
        Ok(Delivery {
            store,
            transports: by_platform,
            config,
            limits: Mutex::new(RateLimits::default()),
            warned_unroutable: Mutex::new(HashSet::new()),
        })
    }

    pub fn config(&self) -> &DeliveryConfig {
        &self.config
    }

    /// Drains everything due now, once: claims in batches until nothing is due. Interactive rows
    /// go first; bulk rows are claimed one at a time after each bulk send, so an interactive row
    /// that arrives mid-pass is sent next.
    pub async fn run_once(&self, clock: &dyn Clock) -> Result<DeliveryReport, DeliveryError> {
        self.pass(clock, &AtomicBool::new(false)).await
    }

    /// The long-running loop: a pass, then sleep until the earliest of the next pending row's
    /// `not_before` (whoever released it; one indexed query), `max_idle`, a `wake.notify_one()` (the
    /// engine enqueued something), or `shutdown`. On shutdown mid-pass the in-flight send finishes and is acknowledged, rows
    /// claimed but not started are released, and the loop returns. Store errors are logged and
    /// retried; nothing here panics.
    pub async fn run(
        &self,
        clock: &dyn Clock,
        wake: Arc<Notify>,
        shutdown: impl Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        let stop = AtomicBool::new(false);
        tracing::info!(owner = %self.config.owner, platforms = ?self.transports.keys().collect::<Vec<_>>(), "delivery running");
        loop {
            let pass = self.pass(clock, &stop);
            tokio::pin!(pass);
            let outcome = tokio::select! {
                biased;
                outcome = &mut pass => outcome,
                _ = &mut shutdown => {
                    stop.store(true, Ordering::SeqCst);
                    match pass.await {
                        // Says how many claimed rows went back to the queue (`released`).
                        Ok(report) => log_report(&report),
                        Err(e) => {
                            tracing::error!(error = %e, "delivery pass failed while shutting down")
                        }
                    }
                    break;
                }
            };
            let nap = match outcome {
                Ok(report) => {
                    if report.total.handled() > 0 {
                        log_report(&report);
                    }
                    match self.store.next_outbox_due().await {
                        Ok(stored) => {
                            let due = report.next_due.into_iter().chain(stored).min();
                            nap_until(due, clock.now(), &report, self.config.max_idle)
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "delivery could not read when the next row is due; trying again shortly");
                            ERROR_NAP.min(self.config.max_idle)
                        }
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "delivery pass failed; trying again shortly");
                    ERROR_NAP.min(self.config.max_idle)
                }
            };
            tokio::select! {
                biased;
                _ = &mut shutdown => break,
                _ = wake.notified() => {}
                _ = tokio::time::sleep(clock.real(nap)) => {}
            }
        }
        tracing::info!(owner = %self.config.owner, "delivery stopped");
    }

    async fn pass(
        &self,
        clock: &dyn Clock,
        stop: &AtomicBool,
    ) -> Result<DeliveryReport, DeliveryError> {
        let mut report = DeliveryReport::default();
        // Claimed, not yet handled; interactive first, then oldest.
        let mut queue: Vec<OutboxMessage> = Vec::new();
        let mut top_up = false;
        loop {
            if stop.load(Ordering::SeqCst) {
                self.release(queue, clock, &mut report).await?;
                break;
            }
            if queue.is_empty() || top_up {
                let limit = if queue.is_empty() {
                    self.config.batch
                } else {
                    1
                };
                let claimed = self
                    .store
                    .claim_outbox(&self.config.owner, clock.now(), self.config.lease, limit)
                    .await
                    .map_err(store_error("claim outbox rows"))?;
                queue.extend(claimed);
                queue.sort_by_key(|m| (m.lane != Lane::Interactive, m.id));
            }
            if queue.is_empty() {
                break;
            }
            let message = queue.remove(0);
            let span = tracing::info_span!(
                "delivery",
                key = %message.idempotency_key,
                platform = %message.platform,
                lane = %message.lane,
                attempt = message.attempts,
            );
            let (platform, lane) = (message.platform, message.lane);
            let outcome = self
                .deliver(message, clock, &mut report)
                .instrument(span)
                .await?;
            report.count(platform, outcome);
            let transport_called = matches!(
                outcome,
                Outcome::Sent
                    | Outcome::Retried
                    | Outcome::LostClaim
                    | Outcome::RateLimited { sent: true }
                    | Outcome::Failed
            );
            top_up = lane == Lane::Bulk && transport_called && !queue.is_empty();
        }
        report.record_metrics();
        Ok(report)
    }

    /// Handles one claimed row; see the module docs for the rules.
    async fn deliver(
        &self,
        message: OutboxMessage,
        clock: &dyn Clock,
        report: &mut DeliveryReport,
    ) -> Result<Outcome, DeliveryError> {
        let now = clock.now();
        if message.claim_expires_at.is_none_or(|end| end <= now) {
            // Another worker may hold it by now; sending could double it. Leave it.
            tracing::warn!("the claim expired before this row's turn; not sending it");
            return Ok(self.lost_claim());
        }
        let Some(transport) = self.transports.get(&message.platform) else {
            self.warn_unroutable(message.platform);
            let until = after(now, self.config.unroutable_delay);
            let reason = format!(
                "no {} transport is configured; waiting for its credentials",
                message.platform
            );
            return self
                .defer(&message, until, &reason, Outcome::Unroutable, report)
                .await;
        };

        let scope = transport.rate_scope(&message);
        let held = self
            .limits()
            .held_until(message.platform, scope.as_deref(), now);
        if let Some(until) = held {
            tracing::debug!(%until, "held by an earlier rate limit on this scope");
            let reason = format!(
                "held: {} rate limit on {} until {until}",
                message.platform,
                scope.as_deref().unwrap_or(GLOBAL_SCOPE)
            );
            return self
                .defer(
                    &message,
                    until,
                    &reason,
                    Outcome::RateLimited { sent: false },
                    report,
                )
                .await;
        }
        if let Some(at) = transport.wait_before(&message, now).filter(|at| *at > now) {
            tracing::debug!(until = %at, "paced by the adapter");
            let reason = format!("paced by the {} adapter until {at}", message.platform);
            return self
                .defer(&message, at, &reason, Outcome::Paced, report)
                .await;
        }

        let result = transport.send(&message).await;
        let now = clock.now();
        match result {
            Ok(sent) => {
                let acked = self
                    .store
                    .mark_sent(
                        message.id,
                        &self.config.owner,
                        now,
                        sent.platform_ref.as_deref(),
                    )
                    .await
                    .map_err(store_error("mark a row sent"))?;
                if acked {
                    // Counted at once, so `/metrics` agrees with what the platform has seen.
                    metrics::counter!("amplifier_messages_sent_total", "platform" => message.platform.as_str())
                        .increment(1);
                    tracing::debug!(key = %message.idempotency_key, platform = %message.platform, "delivered");
                    Ok(Outcome::Sent)
                } else {
                    Ok(self.lost_claim())
                }
            }
            Err(SendError::RateLimited { retry_after, scope }) => {
                let until = after(now, retry_after.max(MIN_DELAY));
                self.limits().hold(message.platform, &scope, until);
                metrics::histogram!(RATE_LIMIT_WAIT, "platform" => message.platform.as_str())
                    .record((until - now).num_milliseconds() as f64 / 1000.0);
                tracing::warn!(%scope, ?retry_after, "rate limited; holding this scope");
                let reason = SendError::RateLimited { retry_after, scope }.to_string();
                self.defer(
                    &message,
                    until,
                    &reason,
                    Outcome::RateLimited { sent: true },
                    report,
                )
                .await
            }
            Err(SendError::Transient(error)) => {
                let failed = failures(message.attempts, message.deferrals);
                if failed >= self.config.max_attempts {
                    let reason = format!("gave up after {failed} failed attempts: {error}");
                    return self.fail(&message, &reason, "gave_up", now).await;
                }
                let until = after(now, backoff(&self.config, message.id, failed));
                tracing::info!(error = %error, failed, %until, "send failed; retrying later");
                let kept = self
                    .store
                    .retry_later(
                        message.id,
                        &self.config.owner,
                        until,
                        &error,
                        Release::Failed,
                    )
                    .await
                    .map_err(store_error("schedule a retry"))?;
                if kept {
                    report.due_again(until);
                    Ok(Outcome::Retried)
                } else {
                    Ok(self.lost_claim())
                }
            }
            Err(SendError::Permanent(error)) => self.fail(&message, &error, "permanent", now).await,
            Err(SendError::DmsClosed(error)) => {
                self.record_dms_closed(&message).await?;
                self.fail(&message, &error, "dms_closed", now).await
            }
        }
    }

    /// Releases a row without a send until `until`, counting one more deferral.
    async fn defer(
        &self,
        message: &OutboxMessage,
        until: DateTime<Utc>,
        reason: &str,
        outcome: Outcome,
        report: &mut DeliveryReport,
    ) -> Result<Outcome, DeliveryError> {
        let kept = self
            .store
            .retry_later(
                message.id,
                &self.config.owner,
                until,
                reason,
                Release::Deferred,
            )
            .await
            .map_err(store_error("release a row until later"))?;
        if kept {
            report.due_again(until);
            Ok(outcome)
        } else {
            Ok(self.lost_claim())
        }
    }

    /// Marks the person a DM was for as not accepting DMs.
    async fn record_dms_closed(&self, message: &OutboxMessage) -> Result<(), DeliveryError> {
        let Ok(crate::chat::Outbound::Send {
            to: crate::chat::Destination::Person(user),
            ..
        }) = serde_json::from_str::<crate::chat::Outbound>(&message.payload_json)
        else {
            return Ok(());
        };
        let person = self
            .store
            .person_by_platform_id(message.platform, &message.workspace_id, &user)
            .await
            .map_err(store_error("find the person of a DM"))?;
        if let Some(person) = person {
            self.store
                .set_person_dms_closed(person.id, true)
                .await
                .map_err(store_error("record closed DMs"))?;
        }
        Ok(())
    }

    /// Gives a row up and audits it, in one transaction (no failed row without its audit entry).
    async fn fail(
        &self,
        message: &OutboxMessage,
        reason: &str,
        kind: &str,
        now: DateTime<Utc>,
    ) -> Result<Outcome, DeliveryError> {
        let tx = self
            .store
            .begin()
            .await
            .map_err(store_error("start a transaction"))?;
        let failed = tx
            .mark_failed(message.id, &self.config.owner, reason)
            .await
            .map_err(store_error("mark a row failed"))?;
        if !failed {
            tx.rollback()
                .await
                .map_err(store_error("roll back a transaction"))?;
            return Ok(self.lost_claim());
        }
        let detail = serde_json::json!({
            "reason": reason,
            "kind": kind,
            "platform": message.platform,
            "workspace_id": message.workspace_id,
            "lane": message.lane,
            "attempts": message.attempts,
            "owner": self.config.owner,
        });
        tx.audit(&AuditEntry {
            at: now,
            team_id: None,
            actor: AUDIT_ACTOR.to_string(),
            action: AUDIT_FAILED.to_string(),
            subject: message.idempotency_key.clone(),
            detail_json: detail.to_string(),
        })
        .await
        .map_err(store_error("audit a failed row"))?;
        tx.commit()
            .await
            .map_err(store_error("commit a failed row"))?;
        tracing::warn!(%reason, kind, "giving this message up: it will not be retried");
        Ok(Outcome::Failed)
    }

    /// Rows claimed but not started when shutdown came: back to the queue at once, instead of
    /// waiting out the lease.
    async fn release(
        &self,
        queue: Vec<OutboxMessage>,
        clock: &dyn Clock,
        report: &mut DeliveryReport,
    ) -> Result<(), DeliveryError> {
        let now = clock.now();
        for message in queue {
            let until = message.not_before.min(now);
            let outcome = self
                .defer(
                    &message,
                    until,
                    "released unsent at shutdown",
                    Outcome::Released,
                    report,
                )
                .await?;
            report.count(message.platform, outcome);
        }
        Ok(())
    }

    fn lost_claim(&self) -> Outcome {
        tracing::warn!(
            owner = %self.config.owner,
            "lost the claim on this row (its lease expired and another worker took it): changed nothing; \
             if this repeats, raise the delivery lease above the slowest send"
        );
        Outcome::LostClaim
    }

    fn warn_unroutable(&self, platform: Platform) {
        let first = self
            .warned_unroutable
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(platform);
        if first {
            tracing::warn!(
                %platform,
                retry_every = ?self.config.unroutable_delay,
                "outbox rows for {platform} are waiting: no {platform} transport is configured. \
                 Add the {platform} credentials to the config (or remove the {platform} teams); \
                 the rows are kept and retried"
            );
        }
    }

    fn limits(&self) -> std::sync::MutexGuard<'_, RateLimits> {
        self.limits.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The least nap after a pass that handled nothing although a row looked due: it may be held by a worker
/// whose claim is ending, and a loop must not spin on it.
const IDLE_FLOOR: Duration = Duration::from_millis(5);

/// How long `run` sleeps after a pass: until the earliest row due (this worker's deferrals or any pending row
/// the store knows), at once if that instant has already come, and never longer than `max_idle`.
fn nap_until(
    due: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    report: &DeliveryReport,
    max_idle: Duration,
) -> Duration {
    let Some(due) = due else {
        return max_idle;
    };
    // An instant already past means "now", not "unknown".
    let nap = (due - now).to_std().unwrap_or(Duration::ZERO).min(max_idle);
    if report.total.handled() == 0 {
        nap.max(IDLE_FLOOR.min(max_idle))
    } else {
        nap
    }
}

fn log_report(report: &DeliveryReport) {
    let c = report.total;
    tracing::info!(
        sent = c.sent,
        retried = c.retried,
        rate_limited = c.rate_limited,
        paced = c.paced,
        failed = c.failed,
        lost_claims = c.lost_claims,
        unroutable = c.unroutable,
        released = c.released,
        next_due = ?report.next_due,
        "delivery pass"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_nap_ends_at_the_next_row_and_a_past_one_means_now() {
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
        let max = Duration::from_secs(30);
        let mut busy = DeliveryReport::default();
        busy.count(Platform::Slack, Outcome::Sent);
        let idle = DeliveryReport::default();
        let soon = now + chrono::Duration::milliseconds(1_000);
        assert_eq!(
            nap_until(Some(soon), now, &busy, max),
            Duration::from_secs(1)
        );
        // Already due (the pass ran past it): at once, never `max_idle`.
        let past = now - chrono::Duration::milliseconds(3);
        assert_eq!(nap_until(Some(past), now, &busy, max), Duration::ZERO);
        // After a pass that did nothing, a row that looks due is looked at again shortly, not in a spin.
        assert_eq!(nap_until(Some(past), now, &idle, max), IDLE_FLOOR);
        assert_eq!(nap_until(None, now, &idle, max), max);
        let far = now + chrono::Duration::hours(1);
        assert_eq!(nap_until(Some(far), now, &busy, max), max);
    }
}
