//! Click cost: button presses through Socket Mode → engine → database → reply, at 1, 10 and 50 presses in
//! flight, for the real `amplifier run` (release binary, its own process) on SQLite and on PostgreSQL, beside
//! a do-nothing bot (this same executable in a child process) that only acks each envelope and calls
//! `chat.update`, which shows the fake's own cost and latency floor.
//!
//! Each press is *Shared on LinkedIn / X / Bluesky* on one of 100 published posts by one of 50 members, each
//! member working through its own posts and networks (every press records a new share, audits it and answers
//! the member with an ephemeral message). Closed loop: each of the N presses in flight waits for its visible
//! reply (the fake receiving `chat.postEphemeral`, or the do-nothing bot's `chat.update`) before the next. The
//! fake's tier limits are lifted: this measures cost, not pacing. CPU is the bot process's user+system time
//! from `/proc/PID/stat` over each level, divided by the presses answered.
//!
//! Run: `cargo bench --bench clicks` (PostgreSQL from `AMPLIFIER_BENCH_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`; a scratch database is created and dropped).

mod common;
#[path = "../tests/support/mod.rs"]
#[allow(unused_imports)]
mod support;

use amplifier::chat::Action;
use amplifier::clock::ScaledClock;
use amplifier::config::Config;
use amplifier::domain::Network;
use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::fake_slack::socket::FakeSocket;
use support::fake_slack::{FakeSlack, TEAM};
use tokio::sync::oneshot;

const NULL_BOT_VAR: &str = "AMPLIFIER_BENCH_NULL_BOT";
const MEMBERS: usize = 50;
const CLOCK_SCALE: f64 = 1000.0;
const POSTS: usize = 100;
const NETWORKS: [Network; 3] = [Network::Linkedin, Network::X, Network::Bluesky];
/// (presses in flight, presses measured)
const LEVELS: [(usize, usize); 3] = [(1, 300), (10, 1500), (50, 2500)];

fn member(i: usize) -> String {
    format!("U0M{i:07}")
}

fn main() -> anyhow::Result<()> {
    if let Ok(api) = std::env::var(NULL_BOT_VAR) {
        return null_bot(&api);
    }
    let admin = std::env::var("AMPLIFIER_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    println!(
        "clicks: presses through Socket Mode → engine → database → reply ({})",
        common::machine()
    );
    if std::env::var("AMPLIFIER_BENCH_CLICKS_DEBUG").is_ok() {
        runtime.block_on(run(Bot::Amplifier(None)))?;
        return Ok(());
    }
    let mut results = Vec::new();
    results.push((
        "do-nothing bot (acks, chat.update)",
        runtime.block_on(run(Bot::Null))?,
    ));
    results.push((
        "amplifier on SQLite",
        runtime.block_on(run(Bot::Amplifier(None)))?,
    ));
    let pg = runtime.block_on(async {
        let (url, database) = support::create_database(&admin)
            .await
            .map_err(anyhow::Error::msg)?;
        let outcome = run(Bot::Amplifier(Some(url))).await;
        support::drop_database(&admin, &database)
            .await
            .map_err(anyhow::Error::msg)?;
        outcome
    })?;
    results.push(("amplifier on PostgreSQL", pg));
    println!();
    println!("| bot | in flight | presses/s | ack p50 ms | ack p99 ms | reply p50 ms | reply p99 ms | bot CPU ms/press | fake+driver CPU ms/press |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (name, levels) in &results {
        for l in levels {
            println!(
                "| {name} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.3} | {:.3} |",
                l.in_flight,
                l.rate,
                l.ack_p50,
                l.ack_p99,
                l.reply_p50,
                l.reply_p99,
                l.bot_cpu_ms,
                l.fake_cpu_ms
            );
        }
    }
    println!();
    let null = &results[0].1;
    for (name, levels) in &results[1..] {
        for (l, n) in levels.iter().zip(null) {
            let cpu = l.bot_cpu_ms - n.bot_cpu_ms;
            let ack = l.ack_p99 - n.ack_p99;
            println!(
                "{name}, {} in flight: the bot adds {cpu:.3} ms CPU per press (target ≤ 0.25) → {}; {ack:+.2} ms to the ack p99 (target ≤ 2) → {}",
                l.in_flight,
                common::verdict(cpu <= 0.25),
                common::verdict(ack <= 2.0)
            );
        }
    }
    Ok(())
}

#[derive(Clone)]
enum Bot {
    /// The do-nothing bot.
    Null,
    /// `amplifier run`, on SQLite (`None`) or this PostgreSQL database.
    Amplifier(Option<String>),
}

struct Level {
    in_flight: usize,
    rate: f64,
    ack_p50: f64,
    ack_p99: f64,
    reply_p50: f64,
    reply_p99: f64,
    bot_cpu_ms: f64,
    fake_cpu_ms: f64,
}

/// Waiting presses: the envelope's push instant (for the ack) and who waits for the reply, by reply key.
#[derive(Default)]
struct Pending {
    pushed: HashMap<String, Instant>,
    acks: Vec<f64>,
    replies: HashMap<String, oneshot::Sender<Instant>>,
}

async fn run(bot: Bot) -> anyhow::Result<Vec<Level>> {
    // The bot and the fake share a clock running CLOCK_SCALE times faster, so the bot's own pacing of its
    // replies (chat.postEphemeral is Tier 4: one every 0.6 s of Slack time) is not what limits presses per
    // second; latencies and CPU are wall-clock.
    let origin = Utc::now();
    let start = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
    let clock = Arc::new(ScaledClock::new(start, origin, CLOCK_SCALE));
    let fake = FakeSlack::start(clock.clone()).await;
    fake.lift_rate_limits();
    let socket = fake.socket_mode().await;
    let members: Vec<String> = (0..MEMBERS).map(member).collect();
    for m in &members {
        fake.add_user(m, &m.to_lowercase(), "UTC");
    }
    let dir = tempfile::tempdir()?;
    let is_null = matches!(bot, Bot::Null);
    let child = match &bot {
        Bot::Null => {
            let exe = std::env::current_exe()?;
            std::process::Command::new(exe)
                .env(NULL_BOT_VAR, &fake.api_url)
                .stdout(std::process::Stdio::null())
                .spawn()?
        }
        Bot::Amplifier(pg) => {
            let url = pg
                .clone()
                .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("amp.db").display()));
            let text = common::slack_config(&fake.api_url, &url, &members);
            let config = Config::parse(&text).map_err(anyhow::Error::msg)?;
            let store = amplifier::store::open(&url).await?;
            store.migrate().await?;
            amplifier::teams::sync_config_teams(&*store, &config, Utc::now()).await?;
            common::seed_posts(&*store, "Leadership", "U0ALICE001", POSTS, Utc::now()).await?;
            store.close().await;
            let path = dir.path().join("amplifier.toml");
            std::fs::write(&path, text)?;
            let setting = format!(
                "start={} origin={} scale={CLOCK_SCALE}",
                start.to_rfc3339(),
                origin.timestamp_millis()
            );
            common::spawn_bot(&path, &[("AMPLIFIER_TEST_CLOCK", setting)])
        }
    };
    let pid = child.id().to_string();
    socket
        .wait_for(
            "the bot's Socket Mode connection",
            Duration::from_secs(60),
            |s| s.live() >= 1,
        )
        .await;
    // Let start-up work (people sync, the first tick) finish before measuring.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let pending = Arc::new(Mutex::new(Pending::default()));
    let mut acks = socket.ack_tap();
    let p = pending.clone();
    tokio::spawn(async move {
        while let Some((id, at)) = acks.recv().await {
            let mut p = p.lock().unwrap();
            if let Some(pushed) = p.pushed.remove(&id) {
                p.acks.push((at - pushed).as_secs_f64() * 1000.0);
            }
        }
    });
    let mut requests = fake.tap();
    let p = pending.clone();
    tokio::spawn(async move {
        while let Some((r, at)) = requests.recv().await {
            // The bot answers a press in the member's DM (its IM channel, as the press's container), by an
            // ephemeral message or a DM; the do-nothing bot updates the pressed message (keyed by its ts).
            let key = match r.method.as_str() {
                "chat.postEphemeral" | "chat.postMessage" => r.args.get("channel"),
                "chat.update" => r.args.get("ts"),
                _ => None,
            };
            if let Some(key) = key.and_then(Value::as_str) {
                if let Some(waiter) = p.lock().unwrap().replies.remove(key) {
                    let _ = waiter.send(at);
                }
            }
        }
    });

    let next_combo: Arc<Vec<Mutex<usize>>> =
        Arc::new((0..MEMBERS).map(|_| Mutex::new(0)).collect());
    let seq = Arc::new(Mutex::new(0u64));
    let press = {
        let socket = socket.clone();
        let fake = fake.clone();
        let pending = pending.clone();
        move |user: usize| {
            let (socket, fake, pending, next_combo, seq) = (
                socket.clone(),
                fake.clone(),
                pending.clone(),
                next_combo.clone(),
                seq.clone(),
            );
            async move {
                let uid = member(user);
                let combo = {
                    let mut c = next_combo[user].lock().unwrap();
                    *c += 1;
                    *c - 1
                };
                let action = Action::Shared {
                    post: 1 + ((combo / NETWORKS.len()) % POSTS) as i64,
                    network: NETWORKS[combo % NETWORKS.len()],
                };
                let ts = {
                    let mut s = seq.lock().unwrap();
                    *s += 1;
                    format!("1764000000.{:06}", *s)
                };
                let im = fake.im_of(&uid);
                let payload = json!({"type": "block_actions", "team": {"id": TEAM, "domain": "fake-team"},
                    "user": {"id": uid, "username": uid, "team_id": TEAM}, "api_app_id": "A0FAKEAPP1", "token": "x",
                    "container": {"type": "message", "channel_id": im.clone(), "message_ts": ts.clone()}, "trigger_id": fake.new_trigger(),
                    "channel": {"id": im.clone()}, "message": {"ts": ts.clone(), "text": "nudge"},
                    "response_url": "http://127.0.0.1:1/actions/x",
                    "actions": [{"action_id": action.to_string(), "block_id": "b", "type": "button", "action_ts": "1"}]});
                let (tx, rx) = oneshot::channel();
                let key = if is_null { ts } else { im };
                let started = Instant::now();
                {
                    let mut p = pending.lock().unwrap();
                    p.replies.insert(key, tx);
                }
                let id = push(&socket, &pending, payload);
                let _ = id;
                match tokio::time::timeout(Duration::from_secs(30), rx).await {
                    Ok(Ok(at)) => Some((at - started).as_secs_f64() * 1000.0),
                    _ => None,
                }
            }
        }
    };

    // Warm-up; a bot that does not answer at all ends the benchmark with what the fake saw.
    for u in 0..MEMBERS {
        if press(u).await.is_none() {
            let seen: Vec<String> = fake
                .requests()
                .iter()
                .rev()
                .take(8)
                .map(|r| {
                    format!(
                        "{} {} {:?} {}",
                        r.method,
                        r.status,
                        r.error,
                        Value::Object(r.args.clone())
                    )
                })
                .collect();
            common::stop(child);
            anyhow::bail!(
                "no reply to a press within 30 s; the fake's last requests: {seen:#?}; violations: {:?}",
                fake.violations()
            );
        }
    }
    // What the bot spends doing nothing for two seconds (its clock work every minute of fast time).
    let idle_cpu = common::cpu_of(&pid);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_ms_per_s = (common::cpu_of(&pid) - idle_cpu).as_secs_f64() * 1000.0 / 2.0;
    println!(
        "  idle: the bot uses {idle_ms_per_s:.1} ms CPU per second of wall time between presses"
    );
    let mut levels = Vec::new();
    for (in_flight, total) in LEVELS {
        pending.lock().unwrap().acks.clear();
        let cpu_bot = common::cpu_of(&pid);
        let cpu_self = common::cpu_of_self();
        let started = Instant::now();
        let per_user = total / in_flight;
        let mut workers = Vec::new();
        for u in 0..in_flight {
            let press = press.clone();
            workers.push(tokio::spawn(async move {
                let mut replies = Vec::new();
                for _ in 0..per_user {
                    match press(u).await {
                        Some(ms) => replies.push(ms),
                        // No reply within 30 s: the bot is not answering; stop rather than wait forever.
                        None => break,
                    }
                }
                replies
            }));
        }
        let mut replies = Vec::new();
        for w in workers {
            replies.extend(w.await?);
        }
        let elapsed = started.elapsed().as_secs_f64();
        let bot_cpu = (common::cpu_of(&pid) - cpu_bot).as_secs_f64() * 1000.0;
        let fake_cpu = (common::cpu_of_self() - cpu_self).as_secs_f64() * 1000.0;
        // Let the last acks land.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let acks = pending.lock().unwrap().acks.clone();
        let answered = replies.len().max(1) as f64;
        if replies.len() < per_user * in_flight {
            println!(
                "  warning: {} of {} presses got no reply within 30 s",
                per_user * in_flight - replies.len(),
                per_user * in_flight
            );
        }
        let level = Level {
            in_flight,
            rate: replies.len() as f64 / elapsed,
            ack_p50: common::percentile(&acks, 0.5),
            ack_p99: common::percentile(&acks, 0.99),
            reply_p50: common::percentile(&replies, 0.5),
            reply_p99: common::percentile(&replies, 0.99),
            bot_cpu_ms: bot_cpu / answered,
            fake_cpu_ms: fake_cpu / answered,
        };
        println!(
            "  {}: {in_flight} in flight, {} presses in {elapsed:.1} s: {:.0}/s, ack p50 {:.2} ms p99 {:.2} ms, reply p50 {:.2} ms p99 {:.2} ms, bot CPU {:.3} ms/press, fake+driver {:.3} ms/press",
            match &bot { Bot::Null => "do-nothing", Bot::Amplifier(None) => "sqlite", Bot::Amplifier(Some(_)) => "postgres" },
            replies.len(), level.rate, level.ack_p50, level.ack_p99, level.reply_p50, level.reply_p99, level.bot_cpu_ms, level.fake_cpu_ms
        );
        levels.push(level);
    }
    let violations = fake.violations();
    if !violations.is_empty() {
        println!(
            "  fake saw {} violations, first: {}",
            violations.len(),
            violations[0]
        );
    }
    common::stop(child);
    let warnings = common::bot_warnings(&dir.path().join("amplifier.toml"));
    if !warnings.is_empty() {
        // The kinds of warning, without their timestamps and fields.
        let mut kinds: HashMap<String, usize> = HashMap::new();
        for w in &warnings {
            let kind = w.rsplit("\u{1b}[0m").next().unwrap_or(w);
            let kind: String = kind.chars().take(100).collect();
            *kinds.entry(kind).or_default() += 1;
        }
        println!(
            "  the bot logged {} warnings/errors: {kinds:?}; e.g. {}",
            warnings.len(),
            warnings[warnings.len() - 1]
        );
    }
    Ok(levels)
}

fn push(socket: &FakeSocket, pending: &Mutex<Pending>, payload: Value) -> String {
    // Record the push instant under the id the socket will assign: push under the lock so the ack (which
    // needs the same lock) cannot be counted before the instant is stored.
    let mut p = pending.lock().unwrap();
    let now = Instant::now();
    let id = socket.push("interactive", payload);
    p.pushed.insert(id.clone(), now);
    id
}

/// The do-nothing bot: opens Socket Mode on the fake, acks every envelope at once and calls `chat.update` on
/// the pressed message; nothing else.
fn null_bot(api: &str) -> anyhow::Result<()> {
    use futures_util::{SinkExt, StreamExt};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let opened = http
            .post(format!("{api}/apps.connections.open"))
            .bearer_auth("xapp-fake-app-token")
            .send()
            .await?
            .bytes()
            .await?;
        let opened: Value = serde_json::from_slice(&opened)?;
        let url = opened["url"].as_str().unwrap_or_default().to_string();
        let (ws, _) = tokio_tungstenite::connect_async(url).await?;
        let (mut write, mut read) = ws.split();
        let (acks, mut to_send) = tokio::sync::mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            while let Some(text) = to_send.recv().await {
                if write
                    .send(tokio_tungstenite::tungstenite::Message::Text(text.into()))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        });
        while let Some(Ok(frame)) = read.next().await {
            let tokio_tungstenite::tungstenite::Message::Text(text) = frame else {
                continue;
            };
            let Ok(envelope) = serde_json::from_str::<Value>(text.as_str()) else {
                continue;
            };
            let Some(id) = envelope["envelope_id"].as_str() else {
                continue;
            };
            let _ = acks.send(json!({"envelope_id": id}).to_string());
            let payload = &envelope["payload"];
            let body = json!({"channel": payload["container"]["channel_id"], "ts": payload["container"]["message_ts"],
                "text": "Thanks!"});
            let http = http.clone();
            let api = api.to_string();
            tokio::spawn(async move {
                let _ = http
                    .post(format!("{api}/chat.update"))
                    .bearer_auth("xoxb-fake-bot-token")
                    .header("content-type", "application/json; charset=utf-8")
                    .body(body.to_string())
                    .send()
                    .await;
            });
        }
        anyhow::Ok(())
    })
}
