//! Fan-out: 2,000 nudge DMs through the real delivery workers and transports, on the fakes' rate limits, with
//! the bot and the fakes sharing one `ScaledClock` so a long fan-out runs in seconds.
//!
//! - Discord: the fake enforces the global 50 requests per second (its per-route buckets are opened wide so
//!   only the global limit binds, as the bound assumes); each nudge is two calls (open the DM, post), so 4,000
//!   requests take at least 80 s of Discord time.
//! - Slack: the fake enforces the method tiers (conversations.open 50/min, chat.postMessage 100/min and one
//!   message per second per channel); 2,000 conversations.open need at least 2,400 s of Slack time.
//! - Interactive during the Slack fan-out: members press *Shared on …* through Socket Mode every 250 ms of
//!   wall time while it runs; each press is timed from its envelope reaching the socket to the bot's ack and
//!   to its visible reply (the fake receiving `chat.postEphemeral` or the DM in the presser's channel), in wall time.
//!
//! The rows are enqueued as the engine enqueues nudges (bulk lane, one per member, due now), so what is measured
//! is delivery: claiming, pacing (`Transport::wait_before`), sending, recording.
//!
//! Run: `cargo bench --bench fanout` (scales from `AMPLIFIER_BENCH_DISCORD_SCALE`, default 10, and
//! `AMPLIFIER_BENCH_SLACK_SCALE`, default 100; `AMPLIFIER_BENCH_FANOUT_ONLY=discord|slack` runs one half).

mod common;
#[path = "../tests/support/mod.rs"]
#[allow(unused_imports)]
mod support;

use amplifier::chat::{Action, Button, Destination, Message, Outbound};
use amplifier::clock::{Clock, ScaledClock};
use amplifier::config::Config;
use amplifier::delivery::{Delivery, DeliveryConfig, Transport};
use amplifier::discord::interactions::Interactions;
use amplifier::discord::rest::Rest;
use amplifier::discord::DiscordTransport;
use amplifier::domain::{Network, Platform};
use amplifier::engine::Engine;
use amplifier::store::{Lane, NewOutboxMessage, Store};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::fake_discord::{FakeDiscord, APPLICATION_ID};
use support::fake_slack::{FakeSlack, TEAM};
use tokio::sync::Notify;

const NUDGES: usize = 2_000;
const DISCORD_GUILD: &str = "100000000000000009";

fn scale(var: &str, default: f64) -> f64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn start() -> DateTime<Utc> {
    // Tuesday 2026-12-01 10:00 UTC.
    Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
}

fn nudge(workspace: &str, to: &str, post: i64) -> Outbound {
    let text = "Dana published a new post: \"Small teams ship faster when reviews are same-day.\" Share it?";
    Outbound::Send {
        workspace_id: workspace.to_string(),
        to: Destination::Person(to.to_string()),
        message: Message::new(text).say(text).buttons(vec![
            Button::primary(
                "Shared on LinkedIn",
                Action::Shared {
                    post,
                    network: Network::Linkedin,
                },
            ),
            Button::action(
                "Shared on X",
                Action::Shared {
                    post,
                    network: Network::X,
                },
            ),
            Button::action("Not this time", Action::NotThisTime { post }),
        ]),
    }
}

async fn enqueue_nudges(
    store: &dyn Store,
    platform: Platform,
    workspace: &str,
    users: &[String],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for (i, user) in users.iter().enumerate() {
        store
            .enqueue(
                &NewOutboxMessage {
                    idempotency_key: format!("nudge:{i}"),
                    platform,
                    workspace_id: workspace.to_string(),
                    lane: Lane::Bulk,
                    payload_json: serde_json::to_string(&nudge(workspace, user, 1))?,
                    not_before: now,
                },
                now,
            )
            .await?;
    }
    Ok(())
}

/// Runs delivery until every row is sent; returns the fake-clock instant of the end.
async fn deliver_all(
    store: Arc<dyn Store>,
    transport: Arc<dyn Transport>,
    clock: Arc<ScaledClock>,
    wake: Arc<Notify>,
) -> anyhow::Result<DateTime<Utc>> {
    let delivery = Arc::new(Delivery::new(
        store.clone(),
        vec![transport],
        DeliveryConfig::new("bench-fanout"),
    )?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = {
        let (delivery, clock, wake) = (delivery.clone(), clock.clone(), wake.clone());
        tokio::spawn(async move {
            delivery
                .run(&*clock, wake, async move {
                    let _ = stopped.await;
                })
                .await
        })
    };
    let wall = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let depth = store.outbox_depth().await?;
        if depth.bulk == 0 && depth.interactive == 0 {
            break;
        }
        anyhow::ensure!(
            wall.elapsed() < Duration::from_secs(900),
            "fan-out did not finish: {depth:?}"
        );
    }
    let end = clock.now();
    let _ = stop.send(());
    let _ = worker.await;
    Ok(end)
}

fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("amp.db").display())
}

/// 429s after the first one in the same scope and second (a client that learnt nothing from the first).
fn beyond_first(limited: &[(String, DateTime<Utc>)]) -> usize {
    let mut seen: HashMap<(String, i64), usize> = HashMap::new();
    for (scope, at) in limited {
        *seen.entry((scope.clone(), at.timestamp())).or_default() += 1;
    }
    seen.values().map(|n| n - 1).sum()
}

async fn discord(scale: f64) -> anyhow::Result<()> {
    let clock = Arc::new(ScaledClock::new(start(), Utc::now(), scale));
    let fake = FakeDiscord::start(clock.clone()).await;
    fake.set_route_limit(100_000, chrono::Duration::seconds(1));
    let dir = tempfile::tempdir()?;
    let store = amplifier::store::open(&sqlite_url(&dir)).await?;
    store.migrate().await?;
    let transport = Arc::new(DiscordTransport::new(
        Rest::new(&fake.base_url, "bench-token").map_err(anyhow::Error::msg)?,
        APPLICATION_ID,
        store.clone(),
        clock.clone(),
        Arc::new(Interactions::default()),
    ));
    let users: Vec<String> = (0..NUDGES)
        .map(|i| format!("1300000000000{i:05}"))
        .collect();
    enqueue_nudges(
        &*store,
        Platform::Discord,
        DISCORD_GUILD,
        &users,
        clock.now(),
    )
    .await?;
    let began = clock.now();
    let wall = Instant::now();
    deliver_all(
        store.clone(),
        transport,
        clock.clone(),
        Arc::new(Notify::new()),
    )
    .await?;
    let wall = wall.elapsed().as_secs_f64();
    let requests = fake.requests();
    let accepted = requests.iter().filter(|r| r.status == 200).count();
    let last = requests
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.at)
        .max()
        .unwrap_or(began);
    let limited: Vec<(String, DateTime<Utc>)> = requests
        .iter()
        .filter(|r| r.status == 429)
        .map(|r| ("global".to_string(), r.at))
        .collect();
    let elapsed = (last - began).num_milliseconds() as f64 / 1000.0;
    let why = fake.limited();
    if !why.is_empty() {
        println!(
            "  Discord ×{scale}: the first 429s: {:?}",
            why.iter().take(3).collect::<Vec<_>>()
        );
    }
    let bound = (2 * NUDGES) as f64 / 50.0;
    let ratio = elapsed / bound;
    println!(
        "  Discord ×{scale}: {NUDGES} nudges, {accepted} requests accepted, {} refused for limits; elapsed {elapsed:.1} s of Discord time ({wall:.1} s wall) ÷ bound {bound:.0} s = {ratio:.3} (target ≤ 1.05) → {}; 429s: {} ({} beyond the first of a window; target 0) → {}; early requests after a 429: {}; spec violations: {}",
        limited.len(),
        common::verdict(ratio <= 1.05),
        limited.len(),
        beyond_first(&limited),
        common::verdict(beyond_first(&limited) == 0),
        fake.early().len(),
        fake.violations().len(),
    );
    store.close().await;
    Ok(())
}

#[derive(Default)]
struct Presses {
    pushed: HashMap<String, Instant>,
    acks: Vec<f64>,
    waiting: HashMap<String, Instant>,
    replies: Vec<f64>,
}

async fn slack(scale: f64) -> anyhow::Result<()> {
    let clock = Arc::new(ScaledClock::new(start(), Utc::now(), scale));
    let fake = FakeSlack::start(clock.clone()).await;
    let socket = fake.socket_mode().await;
    let users: Vec<String> = (0..NUDGES).map(|i| format!("U1F{i:07}")).collect();
    for u in &users {
        fake.add_user(u, &u.to_lowercase(), "UTC");
    }
    let pressers: Vec<String> = (0..20).map(|i| format!("U0P{i:07}")).collect();
    for p in &pressers {
        fake.add_user(p, &p.to_lowercase(), "UTC");
    }
    let dir = tempfile::tempdir()?;
    let url = sqlite_url(&dir);
    let text = common::slack_config(&fake.api_url, &url, &pressers);
    let config = Config::parse(&text).map_err(anyhow::Error::msg)?;
    let store = amplifier::store::open(&url).await?;
    store.migrate().await?;
    amplifier::teams::sync_config_teams(&*store, &config, clock.now()).await?;
    common::seed_posts(&*store, "Leadership", "U0ALICE001", 50, clock.now()).await?;
    let engine = Arc::new(Engine::new(
        store.clone(),
        PathBuf::from("."),
        Duration::from_secs(6 * 3600),
    ));
    engine.load_prompt_packs().await?;
    let wake = Arc::new(Notify::new());
    let (stop_adapter, adapter_stopped) = tokio::sync::oneshot::channel::<()>();
    let connection = amplifier::slack::connect(
        config.slack.as_ref().expect("slack settings"),
        engine.clone(),
        clock.clone(),
        wake.clone(),
        async move {
            let _ = adapter_stopped.await;
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    socket
        .wait_for("Socket Mode", Duration::from_secs(30), |s| s.live() >= 1)
        .await;
    // The people sync after connecting (users.info for the team) is left to finish first.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = fake.requests().len();
    enqueue_nudges(&*store, Platform::Slack, TEAM, &users, clock.now()).await?;

    let presses = Arc::new(Mutex::new(Presses::default()));
    let mut acks = socket.ack_tap();
    let p = presses.clone();
    tokio::spawn(async move {
        while let Some((id, at)) = acks.recv().await {
            let mut p = p.lock().unwrap();
            if let Some(pushed) = p.pushed.remove(&id) {
                p.acks.push((at - pushed).as_secs_f64() * 1000.0);
            }
        }
    });
    let mut tap = fake.tap();
    let p = presses.clone();
    tokio::spawn(async move {
        while let Some((r, at)) = tap.recv().await {
            // The answer to a press comes in the presser's DM: ephemeral there, or a DM message.
            if r.method == "chat.postEphemeral" || r.method == "chat.postMessage" {
                if let Some(channel) = r.args.get("channel").and_then(Value::as_str) {
                    let mut p = p.lock().unwrap();
                    if let Some(pushed) = p.waiting.remove(channel) {
                        p.replies.push((at - pushed).as_secs_f64() * 1000.0);
                    }
                }
            }
        }
    });
    let (stop_pressing, mut pressing_stopped) = tokio::sync::oneshot::channel::<()>();
    let presser = {
        let (fake, socket, presses, pressers) = (
            fake.clone(),
            socket.clone(),
            presses.clone(),
            pressers.clone(),
        );
        tokio::spawn(async move {
            let mut n = 0usize;
            loop {
                tokio::select! {
                    _ = &mut pressing_stopped => break,
                    _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                }
                let user = &pressers[n % pressers.len()];
                let round = n / pressers.len();
                let action = Action::Shared {
                    post: 1 + (round / 3 % 50) as i64,
                    network: [Network::Linkedin, Network::X, Network::Bluesky][round % 3],
                };
                let im = fake.im_of(user);
                let payload = json!({"type": "block_actions", "team": {"id": TEAM, "domain": "fake-team"},
                    "user": {"id": user, "username": user, "team_id": TEAM}, "api_app_id": "A0FAKEAPP1", "token": "x",
                    "container": {"type": "message", "channel_id": im.clone(), "message_ts": format!("1764000000.{n:06}")},
                    "trigger_id": fake.new_trigger(), "channel": {"id": im.clone()},
                    "response_url": "http://127.0.0.1:1/actions/x",
                    "actions": [{"action_id": action.to_string(), "block_id": "b", "type": "button", "action_ts": "1"}]});
                let mut p = presses.lock().unwrap();
                let now = Instant::now();
                let id = socket.push("interactive", payload);
                p.pushed.insert(id, now);
                p.waiting.insert(im, now);
                n += 1;
            }
        })
    };

    let began = clock.now();
    let wall = Instant::now();
    deliver_all(
        store.clone(),
        connection.transport.clone(),
        clock.clone(),
        wake.clone(),
    )
    .await?;
    let wall = wall.elapsed().as_secs_f64();
    let _ = stop_pressing.send(());
    let _ = presser.await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let requests: Vec<_> = fake.requests().into_iter().skip(before).collect();
    let ok = |m: &str| {
        requests
            .iter()
            .filter(|r| r.method == m && r.status == 200)
            .count()
    };
    let limited: Vec<(String, DateTime<Utc>)> = requests
        .iter()
        .filter(|r| r.status == 429)
        .map(|r| (r.method.clone(), r.at))
        .collect();
    let last = requests
        .iter()
        .filter(|r| {
            r.status == 200 && (r.method == "chat.postMessage" || r.method == "conversations.open")
        })
        .map(|r| r.at)
        .max()
        .unwrap_or(began);
    let elapsed = (last - began).num_milliseconds() as f64 / 1000.0;
    let bound = NUDGES as f64 / 50.0 * 60.0;
    let ratio = elapsed / bound;
    println!(
        "  Slack ×{scale}: {NUDGES} nudges, {} conversations.open + {} chat.postMessage accepted; elapsed {elapsed:.0} s of Slack time ({wall:.1} s wall) ÷ bound {bound:.0} s (conversations.open, Tier 3) = {ratio:.3} (target ≤ 1.05) → {}; 429s: {} ({} beyond the first of a window; target 0) → {}; spec violations: {}",
        ok("conversations.open"),
        ok("chat.postMessage"),
        common::verdict(ratio <= 1.05),
        limited.len(),
        beyond_first(&limited),
        common::verdict(beyond_first(&limited) == 0),
        fake.violations().len(),
    );
    {
        let p = presses.lock().unwrap();
        let ack_p99 = common::percentile(&p.acks, 0.99);
        println!(
        "  interactive during the Slack fan-out: {} presses, {} acked, {} answered; ack p50 {:.2} ms p99 {ack_p99:.2} ms (target p99 < 100 ms) → {}; visible reply p50 {:.1} ms p99 {:.1} ms",
        p.acks.len() + p.pushed.len(),
        p.acks.len(),
        p.replies.len(),
        common::percentile(&p.acks, 0.5),
        common::verdict(ack_p99 < 100.0 && p.pushed.is_empty()),
        common::percentile(&p.replies, 0.5),
        common::percentile(&p.replies, 0.99),
    );
    }
    let _ = stop_adapter.send(());
    store.close().await;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    println!(
        "fanout: {NUDGES} nudges through delivery on the fakes' limits ({})",
        common::machine()
    );
    runtime.block_on(async {
        let only = std::env::var("AMPLIFIER_BENCH_FANOUT_ONLY").unwrap_or_default();
        if only != "slack" {
            discord(scale("AMPLIFIER_BENCH_DISCORD_SCALE", 10.0)).await?;
        }
        if only != "discord" {
            slack(scale("AMPLIFIER_BENCH_SLACK_SCALE", 100.0)).await?;
        }
        anyhow::Ok(())
    })
}
