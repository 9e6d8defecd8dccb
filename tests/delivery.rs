//! Delivery workers over a real store, on SQLite and PostgreSQL, with a scripted fake transport:
//! interactive before bulk, backoff, max attempts, 429 holds per scope, permanent failures,
//! pacing, lost claims, two workers on one outbox, platforms without a transport, and the run loop.

mod support;

use amplifier::clock::{Clock, ManualClock};
use amplifier::delivery::{
    backoff, Delivery, DeliveryConfig, DeliveryReport, SendError, Sent, Transport, AUDIT_FAILED,
};
use amplifier::store::{Lane, NewOutboxMessage, OutboxMessage, OutboxStatus, Platform, Store};
use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::Case;
use tokio::sync::{watch, Notify};

const CASES: &[(&str, Case)] = &[
    ("interactive_rows_go_before_bulk", |s| {
        Box::pin(interactive_rows_go_before_bulk(s))
    }),
    ("an_interactive_row_arriving_mid_pass_goes_next", |s| {
        Box::pin(an_interactive_row_arriving_mid_pass_goes_next(s))
    }),
    ("a_transient_failure_is_retried_after_backoff", |s| {
        Box::pin(a_transient_failure_is_retried_after_backoff(s))
    }),
    ("max_attempts_fails_and_audits", |s| {
        Box::pin(max_attempts_fails_and_audits(s))
    }),
    ("waits_do_not_use_up_max_attempts", |s| {
        Box::pin(waits_do_not_use_up_max_attempts(s))
    }),
    ("a_429_holds_its_scope_and_other_scopes_proceed", |s| {
        Box::pin(a_429_holds_its_scope_and_other_scopes_proceed(s))
    }),
    (
        "a_person_who_refuses_dms_is_recorded_and_the_row_failed",
        |s| Box::pin(a_person_who_refuses_dms_is_recorded_and_the_row_failed(s)),
    ),
    ("a_permanent_failure_is_audited_and_never_retried", |s| {
        Box::pin(a_permanent_failure_is_audited_and_never_retried(s))
    }),
    ("pacing_delays_a_row_without_failing_it", |s| {
        Box::pin(pacing_delays_a_row_without_failing_it(s))
    }),
    ("a_lost_claim_changes_nothing", |s| {
        Box::pin(a_lost_claim_changes_nothing(s))
    }),
    ("two_workers_send_each_of_500_rows_exactly_once", |s| {
        Box::pin(two_workers_send_each_of_500_rows_exactly_once(s))
    }),
    ("rows_without_a_transport_wait_and_are_not_lost", |s| {
        Box::pin(rows_without_a_transport_wait_and_are_not_lost(s))
    }),
    ("run_wakes_on_notify_and_stops_on_shutdown", |s| {
        Box::pin(run_wakes_on_notify_and_stops_on_shutdown(s))
    }),
    (
        "shutdown_finishes_the_send_in_flight_and_releases_the_rest",
        |s| {
            Box::pin(shutdown_finishes_the_send_in_flight_and_releases_the_rest(
                s,
            ))
        },
    ),
];

fn main() {
    support::run_suite("delivery", CASES, Vec::new());
}

/// How long a test waits for something another task does before calling it a failure.
const DEADLINE: Duration = Duration::from_secs(20);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

fn secs(n: i64) -> Span {
    Span::seconds(n)
}

fn config(owner: &str) -> DeliveryConfig {
    DeliveryConfig {
        lease: Duration::from_secs(60),
        batch: 4,
        max_attempts: 3,
        base_backoff: Duration::from_secs(10),
        max_backoff: Duration::from_secs(300),
        unroutable_delay: Duration::from_secs(600),
        max_idle: Duration::from_secs(3600),
        ..DeliveryConfig::new(owner)
    }
}

// ---- the fake transport ----------------------------------------------------------------------

/// What the fake answers to one send.
#[derive(Clone, Copy)]
enum Reply {
    Ok,
    RateLimited(u64, &'static str),
    Transient,
    Permanent(&'static str),
    DmsClosed,
}

type Hook = Arc<dyn Fn(OutboxMessage) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A transport that records every send and answers from a script per idempotency key (`Ok` once
/// the script runs out). The rate-limit scope of a row is its payload's `scope`.
struct Fake {
    platform: Platform,
    replies: Mutex<HashMap<String, VecDeque<Reply>>>,
    /// `wait_before` answers this instant for the key while it is in the future.
    pacing: Mutex<HashMap<String, DateTime<Utc>>>,
    /// Runs at the start of the key's next send (then is forgotten).
    hooks: Mutex<HashMap<String, Hook>>,
    sent: Mutex<Vec<String>>,
    calls: watch::Sender<usize>,
}

impl Fake {
    fn new(platform: Platform) -> Arc<Self> {
        Arc::new(Fake {
            platform,
            replies: Mutex::default(),
            pacing: Mutex::default(),
            hooks: Mutex::default(),
            sent: Mutex::default(),
            calls: watch::channel(0).0,
        })
    }

    fn script(&self, key: &str, replies: &[Reply]) {
        self.replies
            .lock()
            .unwrap()
            .insert(key.to_string(), replies.iter().cloned().collect());
    }

    fn pace(&self, key: &str, until: DateTime<Utc>) {
        self.pacing.lock().unwrap().insert(key.to_string(), until);
    }

    fn on_send(&self, key: &str, hook: Hook) {
        self.hooks.lock().unwrap().insert(key.to_string(), hook);
    }

    /// Every key the transport was asked to send, in order.
    fn sent(&self) -> Vec<String> {
        self.sent.lock().unwrap().clone()
    }

    /// Waits (with a deadline, never a fixed sleep) until at least `n` sends were made.
    async fn wait_for_calls(&self, n: usize) -> anyhow::Result<()> {
        let mut rx = self.calls.subscribe();
        tokio::time::timeout(DEADLINE, rx.wait_for(|c| *c >= n))
            .await
            .with_context(|| format!("no {n} sends within {DEADLINE:?}; sent {:?}", self.sent()))?
            .context("the fake transport went away")?;
        Ok(())
    }
}

#[async_trait]
impl Transport for Fake {
    fn platform(&self) -> Platform {
        self.platform
    }

    fn rate_scope(&self, message: &OutboxMessage) -> Option<String> {
        let payload: serde_json::Value = serde_json::from_str(&message.payload_json).ok()?;
        payload.get("scope")?.as_str().map(str::to_string)
    }

    fn wait_before(&self, message: &OutboxMessage, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.pacing
            .lock()
            .unwrap()
            .get(&message.idempotency_key)
            .copied()
            .filter(|at| *at > now)
    }

    async fn send(&self, message: &OutboxMessage) -> Result<Sent, SendError> {
        let key = message.idempotency_key.clone();
        self.sent.lock().unwrap().push(key.clone());
        self.calls.send_modify(|c| *c += 1);
        let hook = self.hooks.lock().unwrap().remove(&key);
        if let Some(hook) = hook {
            hook(message.clone()).await;
        }
        let reply = self
            .replies
            .lock()
            .unwrap()
            .get_mut(&key)
            .and_then(VecDeque::pop_front)
            .unwrap_or(Reply::Ok);
        match reply {
            Reply::Ok => Ok(Sent {
                platform_ref: Some(format!("ref:{key}")),
            }),
            Reply::RateLimited(s, scope) => Err(SendError::RateLimited {
                retry_after: Duration::from_secs(s),
                scope: scope.to_string(),
            }),
            Reply::Transient => Err(SendError::Transient("502 bad gateway".into())),
            Reply::Permanent(why) => Err(SendError::Permanent(why.into())),
            Reply::DmsClosed => Err(SendError::DmsClosed(
                "50007: cannot send messages to this user".into(),
            )),
        }
    }
}

// ---- helpers ---------------------------------------------------------------------------------

fn row(
    key: &str,
    platform: Platform,
    lane: Lane,
    scope: &str,
    at: DateTime<Utc>,
) -> NewOutboxMessage {
    NewOutboxMessage {
        idempotency_key: key.to_string(),
        platform,
        workspace_id: "T1".to_string(),
        lane,
        payload_json: serde_json::json!({ "scope": scope, "text": key }).to_string(),
        not_before: at,
    }
}

async fn enqueue(
    store: &dyn Store,
    key: &str,
    lane: Lane,
    scope: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let queued = store
        .enqueue(&row(key, Platform::Slack, lane, scope, now), now)
        .await?;
    anyhow::ensure!(queued, "{key} was already queued");
    Ok(())
}

/// The row behind an idempotency key (claims hand out ids; tests think in keys).
async fn by_key(store: &dyn Store, key: &str) -> anyhow::Result<OutboxMessage> {
    // Each case has a fresh database, so ids start at 1; allow for a few gaps.
    let mut misses = 0;
    for id in 1.. {
        match store.outbox_message(amplifier::store::OutboxId(id)).await? {
            Some(m) if m.idempotency_key == key => return Ok(m),
            Some(_) => misses = 0,
            None if misses < 20 => misses += 1,
            None => break,
        }
    }
    anyhow::bail!("no outbox row {key}")
}

fn delivery(
    store: &Arc<dyn Store>,
    transports: Vec<Arc<Fake>>,
    config: DeliveryConfig,
) -> anyhow::Result<Delivery> {
    let transports = transports
        .into_iter()
        .map(|t| t as Arc<dyn Transport>)
        .collect();
    Ok(Delivery::new(store.clone(), transports, config)?)
}

async fn pass(d: &Delivery, clock: &ManualClock) -> anyhow::Result<DeliveryReport> {
    Ok(d.run_once(clock).await?)
}

async fn failed_audits(store: &dyn Store) -> anyhow::Result<Vec<(String, serde_json::Value)>> {
    let mut out = Vec::new();
    for entry in store.audit_log(None, 100).await? {
        if entry.action == AUDIT_FAILED {
            out.push((entry.subject, serde_json::from_str(&entry.detail_json)?));
        }
    }
    Ok(out)
}

// ---- cases -----------------------------------------------------------------------------------

async fn interactive_rows_go_before_bulk(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let clock = ManualClock::new(t0());
    for i in 0..6 {
        enqueue(&*store, &format!("nudge:{i}"), Lane::Bulk, "dm", t0()).await?;
    }
    for i in 0..3 {
        enqueue(
            &*store,
            &format!("click:{i}"),
            Lane::Interactive,
            "dm",
            t0(),
        )
        .await?;
    }
    let slack = Fake::new(Platform::Slack);
    let d = delivery(&store, vec![slack.clone()], config("w1"))?;
    let report = pass(&d, &clock).await?;
    assert_eq!(
        slack.sent(),
        [
            "click:0", "click:1", "click:2", "nudge:0", "nudge:1", "nudge:2", "nudge:3", "nudge:4",
            "nudge:5"
        ]
    );
    assert_eq!(report.total.sent, 9);
    assert_eq!(report.platform(Platform::Slack).sent, 9);
    assert_eq!(report.total.handled(), 9);
    assert_eq!(report.next_due, None);
    let sent = by_key(&*store, "nudge:3").await?;
    assert_eq!(sent.status, OutboxStatus::Sent);
    assert_eq!(sent.platform_ref.as_deref(), Some("ref:nudge:3"));
    assert_eq!(sent.sent_at, Some(t0()));
    // Nothing left: a second pass does nothing.
    assert_eq!(pass(&d, &clock).await?.total.handled(), 0);
    assert_eq!(slack.sent().len(), 9);
    Ok(())
}

async fn an_interactive_row_arriving_mid_pass_goes_next(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let clock = Arc::new(ManualClock::new(t0()));
    for i in 0..5 {
        enqueue(&*store, &format!("nudge:{i}"), Lane::Bulk, "dm", t0()).await?;
    }
    let slack = Fake::new(Platform::Slack);
    // A button click is handled (and its reply enqueued) while the first nudge is being sent.
    let (hook_store, hook_clock) = (store.clone(), clock.clone());
    slack.on_send(
        "nudge:0",
        Arc::new(move |_| {
            let (store, clock) = (hook_store.clone(), hook_clock.clone());
            Box::pin(async move {
                enqueue(&*store, "click:late", Lane::Interactive, "dm", clock.now())
                    .await
                    .expect("enqueue mid-pass");
            })
        }),
    );
    let d = delivery(
        &store,
        vec![slack.clone()],
        DeliveryConfig {
            batch: 10,
            ..config("w1")
        },
    )?;
    let report = pass(&d, &clock).await?;
    assert_eq!(
        slack.sent(),
        [
            "nudge:0",
            "click:late",
            "nudge:1",
            "nudge:2",
            "nudge:3",
            "nudge:4"
        ],
        "the click waits for the bulk send in flight, not for the rest of the batch"
    );
    assert_eq!(report.total.sent, 6);
    Ok(())
}

async fn a_transient_failure_is_retried_after_backoff(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let clock = ManualClock::new(t0());
    enqueue(&*store, "nudge:1", Lane::Bulk, "dm", t0()).await?;
    let slack = Fake::new(Platform::Slack);
    slack.script("nudge:1", &[Reply::Transient, Reply::Transient]);
    let cfg = config("w1");
    let d = delivery(&store, vec![slack.clone()], cfg.clone())?;

    let report = pass(&d, &clock).await?;
    assert_eq!(report.total.retried, 1);
    let row = by_key(&*store, "nudge:1").await?;
    let first = backoff(&cfg, row.id, 1);
    assert!(
        first <= cfg.base_backoff && first >= cfg.base_backoff.mul_f64(0.8),
        "{first:?}"
    );
    let due = t0() + Span::from_std(first)?;
    assert_eq!(row.not_before, due);
    assert_eq!(report.next_due, Some(due));
    assert_eq!(row.status, OutboxStatus::Pending);
    assert_eq!(row.claim_owner, None, "released, not held");
    assert_eq!(row.last_error.as_deref(), Some("502 bad gateway"));

    // Nothing before the backoff has passed.
    clock.set(due - Span::milliseconds(1));
    assert_eq!(pass(&d, &clock).await?.total.handled(), 0);
    assert_eq!(slack.sent().len(), 1);

    clock.set(due);
    let report = pass(&d, &clock).await?;
    assert_eq!((report.total.retried, slack.sent().len()), (1, 2));
    let row = by_key(&*store, "nudge:1").await?;
    let second = backoff(&cfg, row.id, 2);
    assert!(
        second >= cfg.base_backoff.mul_f64(1.6),
        "the wait doubles: {second:?}"
    );
    let due = due + Span::from_std(second)?;
    assert_eq!(row.not_before, due);

    clock.set(due - Span::milliseconds(1));
    assert_eq!(pass(&d, &clock).await?.total.handled(), 0);
    clock.set(due);
    assert_eq!(pass(&d, &clock).await?.total.sent, 1);
    let row = by_key(&*store, "nudge:1").await?;
    assert_eq!((row.status, row.attempts), (OutboxStatus::Sent, 3));
    assert_eq!(slack.sent(), ["nudge:1"; 3]);
    assert!(failed_audits(&*store).await?.is_empty());
    Ok(())
}

async fn max_attempts_fails_and_audits(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let clock = ManualClock::new(t0());
    enqueue(&*store, "digest:7", Lane::Bulk, "dm", t0()).await?;
    let slack = Fake::new(Platform::Slack);
    slack.script("digest:7", &[Reply::Transient; 10]);
    let d = delivery(&store, vec![slack.clone()], config("w1"))?; // max_attempts = 3
    for attempt in 1..=3 {
        let report = pass(&d, &clock).await?;
        assert_eq!(slack.sent().len(), attempt);
        let row = by_key(&*store, "digest:7").await?;
        if attempt < 3 {
            assert_eq!(report.total.retried, 1);
            assert_eq!(row.status, OutboxStatus::Pending);
            clock.set(row.not_before);
        } else {
            assert_eq!(report.total.failed, 1);
            assert_eq!(row.status, OutboxStatus::Failed);
            let error = row.last_error.unwrap_or_default();
            assert!(
                error.contains("gave up after 3 failed attempts: 502 bad gateway"),
                "{error}"
            );
        }
    }
    let audits = failed_audits(&*store).await?;
    assert_eq!(audits.len(), 1, "{audits:?}");
    assert_eq!(audits[0].0, "digest:7");
    assert_eq!(audits[0].1["kind"], "gave_up");
    assert_eq!(audits[0].1["platform"], "slack");
    clock.advance(Span::days(2));
    assert_eq!(pass(&d, &clock).await?.total.handled(), 0);
    assert_eq!(slack.sent().len(), 3, "never retried after giving up");
    Ok(())
}

async fn waits_do_not_use_up_max_attempts(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let clock = ManualClock::new(t0());
    enqueue(&*store, "nudge:1", Lane::Bulk, "C1", t0()).await?;
    let slack = Fake::new(Platform::Slack);
    slack.pace("nudge:1", t0() + secs(5));
    slack.script("nudge:1", &[Reply::RateLimited(10, "C1"), Reply::Transient]);
    let d = delivery(
        &store,
        vec![slack.clone()],
        DeliveryConfig {
            max_attempts: 2,
            ..config("w1")
        },
    )?;

    assert_eq!(pass(&d, &clock).await?.total.paced, 1);
    clock.set(t0() + secs(5));
    assert_eq!(pass(&d, &clock).await?.total.rate_limited, 1);
    clock.set(t0() + secs(15));
    // Third claim, but only the first failed send: retried, not given up.
    let report = pass(&d, &clock).await?;
    assert_eq!((report.total.retried, report.total.failed), (1, 0));
    let row = by_key(&*store, "nudge:1").await?;
    assert_eq!((row.attempts, row.deferrals), (3, 2));
    assert_eq!(row.last_error.as_deref(), Some("502 bad gateway"));
    clock.set(row.not_before);
    assert_eq!(pass(&d, &clock).await?.total.sent, 1);
    assert_eq!(by_key(&*store, "nudge:1").await?.status, OutboxStatus::Sent);
    assert_eq!(slack.sent().len(), 3);
    Ok(())
}

async fn a_429_holds_its_scope_and_other_scopes_proceed(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let clock = ManualClock::new(t0());
    enqueue(&*store, "a:1", Lane::Bulk, "A", t0()).await?;
    enqueue(&*store, "a:2", Lane::Bulk, "A", t0()).await?;
    enqueue(&*store, "b:1", Lane::Bulk, "B", t0()).await?;
    let slack = Fake::new(Platform::Slack);
    slack.script("a:1", &[Reply::RateLimited(30, "A")]);
    let d = delivery(&store, vec![slack.clone()], config("w1"))?;

    let report = pass(&d, &clock).await?;
    assert_eq!(
        slack.sent(),
        ["a:1", "b:1"],
        "a:2 is not sent into the limit"
    );
    assert_eq!((report.total.rate_limited, report.total.sent), (2, 1));
    let until = t0() + secs(30);
    assert_eq!(report.next_due, Some(until));
    for key in ["a:1", "a:2"] {
        let row = by_key(&*store, key).await?;
        assert_eq!(
            (row.status, row.not_before),
            (OutboxStatus::Pending, until),
            "{key}"
        );
    }

    // A row of the same scope enqueued during the hold waits for it too; another scope does not.
    clock.set(t0() + secs(10));
    enqueue(&*store, "a:3", Lane::Interactive, "A", clock.now()).await?;
    enqueue(&*store, "b:2", Lane::Bulk, "B", clock.now()).await?;
    let report = pass(&d, &clock).await?;
    assert_eq!(slack.sent(), ["a:1", "b:1", "b:2"]);
    assert_eq!((report.total.rate_limited, report.total.sent), (1, 1));
    assert_eq!(by_key(&*store, "a:3").await?.not_before, until);

    clock.set(until - Span::milliseconds(1));
    assert_eq!(pass(&d, &clock).await?.total.handled(), 0);
    clock.set(until);
    let report = pass(&d, &clock).await?;
    assert_eq!(report.total.sent, 3);
    assert_eq!(slack.sent(), ["a:1", "b:1", "b:2", "a:3", "a:1", "a:2"]);
    Ok(())
}

async fn a_permanent_failure_is_audited_and_never_retried(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let clock = ManualClock::new(t0());
    enqueue(&*store, "nudge:9", Lane::Bulk, "dm", t0()).await?;
    enqueue(&*store, "nudge:10", Lane::Bulk, "dm", t0()).await?;
    let slack = Fake::new(Platform::Slack);
    slack.script("nudge:9", &[Reply::Permanent("DMs closed")]);
    let d = delivery(&store, vec![slack.clone()], config("w1"))?;
    let report = pass(&d, &clock).await?;
    assert_eq!((report.total.failed, report.total.sent), (1, 1));
    let row = by_key(&*store, "nudge:9").await?;
    assert_eq!(row.status, OutboxStatus::Failed);
    assert_eq!(row.last_error.as_deref(), Some("DMs closed"));
    let audits = failed_audits(&*store).await?;
    assert_eq!(audits.len(), 1);
    assert_eq!(audits[0].0, "nudge:9");
    assert_eq!(audits[0].1["reason"], "DMs closed");
    assert_eq!(audits[0].1["kind"], "permanent");
    clock.advance(Span::days(7));
    assert_eq!(pass(&d, &clock).await?.total.handled(), 0);
    assert_eq!(slack.sent(), ["nudge:9", "nudge:10"]);
    assert_eq!(store.outbox_depth().await?.bulk, 0);
    Ok(())
}

async fn pacing_delays_a_row_without_failing_it(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let clock = ManualClock::new(t0());
    enqueue(&*store, "post:1", Lane::Bulk, "C9", t0()).await?;
    enqueue(&*store, "post:2", Lane::Bulk, "C8", t0()).await?;
    let slack = Fake::new(Platform::Slack);
    let slot = t0() + secs(2);
    slack.pace("post:1", slot);
    let d = delivery(
        &store,
        vec![slack.clone()],
        DeliveryConfig {
            max_attempts: 1,
            ..config("w1")
        },
    )?;

    let report = pass(&d, &clock).await?;
    assert_eq!((report.total.paced, report.total.sent), (1, 1));
    assert_eq!(
        slack.sent(),
        ["post:2"],
        "the paced row is not sent; the others go on"
    );
    assert_eq!(report.next_due, Some(slot));
    let row = by_key(&*store, "post:1").await?;
    assert_eq!(
        (row.status, row.not_before, row.claim_owner),
        (OutboxStatus::Pending, slot, None)
    );
    assert_eq!(row.deferrals, 1);
    assert!(
        row.last_error.as_deref().unwrap_or("").starts_with("paced"),
        "{:?}",
        row.last_error
    );

    clock.set(slot);
    // max_attempts = 1, yet the paced claim did not use it up.
    assert_eq!(pass(&d, &clock).await?.total.sent, 1);
    assert_eq!(slack.sent(), ["post:2", "post:1"]);
    Ok(())
}

async fn a_lost_claim_changes_nothing(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let clock = Arc::new(ManualClock::new(t0()));
    let cfg = config("w1");
    let lease = cfg.lease;
    enqueue(&*store, "x:1", Lane::Bulk, "dm", t0()).await?;
    enqueue(&*store, "x:2", Lane::Bulk, "dm", t0()).await?;
    let slack = Fake::new(Platform::Slack);
    // While w1 sends x:1, its lease runs out and w2 takes both rows; w2 delivers x:1 itself.
    let steal = |store: Arc<dyn Store>, clock: Arc<ManualClock>, ack: bool| -> Hook {
        Arc::new(move |message: OutboxMessage| {
            let (store, clock) = (store.clone(), clock.clone());
            Box::pin(async move {
                clock.advance(Span::from_std(lease).expect("lease") + secs(1));
                let taken = store
                    .claim_outbox("w2", clock.now(), lease, 10)
                    .await
                    .expect("claim");
                assert!(taken.iter().any(|m| m.id == message.id), "w2 takes the row");
                if ack {
                    assert!(store
                        .mark_sent(message.id, "w2", clock.now(), Some("w2-ref"))
                        .await
                        .expect("ack"));
                }
            })
        })
    };
    slack.on_send("x:1", steal(store.clone(), clock.clone(), true));
    let d = delivery(&store, vec![slack.clone()], cfg)?;
    let report = pass(&d, &clock).await?;
    assert_eq!(report.total.lost_claims, 2, "{report:?}");
    assert_eq!(report.total.sent, 0);
    assert_eq!(
        slack.sent(),
        ["x:1"],
        "x:2's claim expired before its turn: not sent"
    );
    let x1 = by_key(&*store, "x:1").await?;
    assert_eq!(
        (x1.status, x1.platform_ref.as_deref()),
        (OutboxStatus::Sent, Some("w2-ref"))
    );
    let x2 = by_key(&*store, "x:2").await?;
    assert_eq!(
        (x2.status, x2.claim_owner.as_deref()),
        (OutboxStatus::Pending, Some("w2"))
    );

    // A permanent failure on a row w1 no longer holds is neither recorded nor audited.
    enqueue(&*store, "y:1", Lane::Bulk, "dm", clock.now()).await?;
    slack.script("y:1", &[Reply::Permanent("channel gone")]);
    slack.on_send("y:1", steal(store.clone(), clock.clone(), false));
    let report = pass(&d, &clock).await?;
    assert_eq!((report.total.lost_claims, report.total.failed), (1, 0));
    let y1 = by_key(&*store, "y:1").await?;
    assert_eq!(
        (y1.status, y1.claim_owner.as_deref(), y1.last_error),
        (OutboxStatus::Pending, Some("w2"), None)
    );
    assert!(failed_audits(&*store).await?.is_empty());
    Ok(())
}

async fn two_workers_send_each_of_500_rows_exactly_once(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let clock = Arc::new(ManualClock::new(t0()));
    let tx = store.begin().await?;
    for i in 0..500 {
        let lane = if i % 5 == 0 {
            Lane::Interactive
        } else {
            Lane::Bulk
        };
        let queued = tx
            .enqueue(
                &row(
                    &format!("m:{i}"),
                    Platform::Slack,
                    lane,
                    &format!("C{}", i % 7),
                    t0(),
                ),
                t0(),
            )
            .await?;
        anyhow::ensure!(queued);
    }
    tx.commit().await?;
    let slack = Fake::new(Platform::Slack);
    let workers = [
        Arc::new(delivery(
            &store,
            vec![slack.clone()],
            DeliveryConfig {
                batch: 16,
                ..config("w1")
            },
        )?),
        Arc::new(delivery(
            &store,
            vec![slack.clone()],
            DeliveryConfig {
                batch: 16,
                ..config("w2")
            },
        )?),
    ];
    let tasks: Vec<_> = workers
        .iter()
        .map(|d| {
            let (d, clock) = (d.clone(), clock.clone());
            tokio::spawn(async move { d.run_once(&*clock).await })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        let report = task.await??;
        assert_eq!(
            report.total.lost_claims + report.total.failed + report.total.retried,
            0,
            "{report:?}"
        );
        total += report.total.sent;
    }
    assert_eq!(total, 500);
    let sent = slack.sent();
    let distinct: HashSet<_> = sent.iter().collect();
    assert_eq!(
        (sent.len(), distinct.len()),
        (500, 500),
        "every row sent exactly once"
    );
    assert_eq!(store.outbox_depth().await?, Default::default());
    for d in &workers {
        assert_eq!(d.run_once(&*clock).await?.total.handled(), 0);
    }
    Ok(())
}

async fn rows_without_a_transport_wait_and_are_not_lost(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let clock = ManualClock::new(t0());
    store
        .enqueue(
            &row("d:1", Platform::Discord, Lane::Interactive, "g", t0()),
            t0(),
        )
        .await?;
    store
        .enqueue(&row("s:1", Platform::Shell, Lane::Bulk, "tty", t0()), t0())
        .await?;
    let shell = Fake::new(Platform::Shell);
    let d = delivery(&store, vec![shell.clone()], config("w1"))?;
    let report = pass(&d, &clock).await?;
    assert_eq!(report.platform(Platform::Discord).unroutable, 1);
    assert_eq!(report.platform(Platform::Shell).sent, 1);
    assert_eq!(shell.sent(), ["s:1"]);
    let waiting = by_key(&*store, "d:1").await?;
    assert_eq!(waiting.status, OutboxStatus::Pending);
    assert_eq!(waiting.not_before, t0() + secs(600));
    let error = waiting.last_error.unwrap_or_default();
    assert!(
        error.contains("no discord transport is configured"),
        "{error}"
    );

    // Still nobody to send it: it waits again, for as long as it takes.
    for _ in 0..10 {
        clock.advance(secs(600));
        assert_eq!(
            pass(&d, &clock)
                .await?
                .platform(Platform::Discord)
                .unroutable,
            1
        );
    }
    // The operator adds Discord credentials and restarts.
    clock.advance(secs(600));
    let discord = Fake::new(Platform::Discord);
    let d = delivery(&store, vec![shell, discord.clone()], config("w1-restarted"))?;
    assert_eq!(pass(&d, &clock).await?.platform(Platform::Discord).sent, 1);
    assert_eq!(discord.sent(), ["d:1"]);

    // One adapter per platform.
    let twice = Delivery::new(
        store.clone(),
        vec![discord.clone(), discord.clone()],
        config("w3"),
    );
    let err = twice.err().context("two Discord transports are refused")?;
    assert!(
        err.to_string().contains("two transports for discord"),
        "{err}"
    );
    Ok(())
}

async fn run_wakes_on_notify_and_stops_on_shutdown(store: Arc<dyn Store>) -> anyhow::Result<()> {
    let clock = Arc::new(ManualClock::new(t0()));
    let slack = Fake::new(Platform::Slack);
    // max_idle is an hour: only the notify can make it look again within the deadline.
    let d = Arc::new(delivery(&store, vec![slack.clone()], config("w1"))?);
    let wake = Arc::new(Notify::new());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = {
        let (d, clock, wake) = (d.clone(), clock.clone(), wake.clone());
        tokio::spawn(async move {
            d.run(&*clock, wake, async {
                let _ = stopped.await;
            })
            .await
        })
    };
    for i in 0..3 {
        enqueue(
            &*store,
            &format!("click:{i}"),
            Lane::Interactive,
            "dm",
            clock.now(),
        )
        .await?;
        wake.notify_one();
        slack.wait_for_calls(i + 1).await?;
    }
    assert_eq!(slack.sent(), ["click:0", "click:1", "click:2"]);
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .context("run did not stop within 5 s of shutdown")??;
    Ok(())
}

async fn shutdown_finishes_the_send_in_flight_and_releases_the_rest(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let clock = Arc::new(ManualClock::new(t0()));
    for i in 0..3 {
        enqueue(&*store, &format!("g:{i}"), Lane::Bulk, "dm", t0()).await?;
    }
    let slack = Fake::new(Platform::Slack);
    // g:0's send stays in flight until the test opens the gate.
    let gate = Arc::new(Notify::new());
    let hook_gate = gate.clone();
    slack.on_send(
        "g:0",
        Arc::new(move |_| {
            let gate = hook_gate.clone();
            Box::pin(async move { gate.notified().await })
        }),
    );
    let d = Arc::new(delivery(&store, vec![slack.clone()], config("w1"))?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let seen = Arc::new(Notify::new());
    let task = {
        let (d, clock, seen) = (d.clone(), clock.clone(), seen.clone());
        tokio::spawn(async move {
            d.run(&*clock, Arc::new(Notify::new()), async move {
                let _ = stopped.await;
                // Signalled as run takes the shutdown branch, before the pass is polled again.
                seen.notify_one();
            })
            .await
        })
    };
    slack.wait_for_calls(1).await?;
    let _ = stop.send(());
    tokio::time::timeout(DEADLINE, seen.notified())
        .await
        .context("run never saw the shutdown")?;
    gate.notify_one();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .context("run did not stop within 5 s of the in-flight send finishing")??;

    assert_eq!(slack.sent(), ["g:0"]);
    assert_eq!(
        by_key(&*store, "g:0").await?.status,
        OutboxStatus::Sent,
        "the send in flight is acknowledged"
    );
    for key in ["g:1", "g:2"] {
        let row = by_key(&*store, key).await?;
        assert_eq!(
            (row.status, row.claim_owner.as_deref()),
            (OutboxStatus::Pending, None),
            "{key} released"
        );
        assert!(row.not_before <= clock.now());
        assert_eq!(
            (row.deferrals, row.last_error.as_deref()),
            (1, Some("released unsent at shutdown"))
        );
    }
    // Another worker picks the released rows up at once, without waiting out a lease.
    let other = delivery(&store, vec![slack.clone()], config("w2"))?;
    assert_eq!(other.run_once(&*clock).await?.total.sent, 2);
    Ok(())
}

async fn a_person_who_refuses_dms_is_recorded_and_the_row_failed(
    store: Arc<dyn Store>,
) -> anyhow::Result<()> {
    let person = store
        .upsert_person(Platform::Slack, "T1", "U0DMCLOSED", t0())
        .await?
        .id();
    let dm = amplifier::chat::Outbound::Send {
        workspace_id: "T1".into(),
        to: amplifier::chat::Destination::Person("U0DMCLOSED".into()),
        message: amplifier::chat::Message::new("hello"),
    };
    let row = NewOutboxMessage {
        idempotency_key: "nudge:1".into(),
        platform: Platform::Slack,
        workspace_id: "T1".into(),
        lane: Lane::Bulk,
        payload_json: serde_json::to_string(&dm)?,
        not_before: t0(),
    };
    assert!(store.enqueue(&row, t0()).await?);
    let fake = Fake::new(Platform::Slack);
    fake.script("nudge:1", &[Reply::DmsClosed]);
    let clock = ManualClock::new(t0());
    let delivery = Delivery::new(store.clone(), vec![fake.clone()], config("w1"))?;
    delivery.run_once(&clock).await?;
    assert!(store.person(person).await?.context("person")?.dms_closed);
    assert_eq!(
        by_key(&*store, "nudge:1").await?.status,
        OutboxStatus::Failed
    );
    clock.advance(secs(3600));
    delivery.run_once(&clock).await?;
    assert_eq!(fake.sent(), vec!["nudge:1".to_string()], "never retried");
    Ok(())
}
