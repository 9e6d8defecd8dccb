//! The real `amplifier run` on unreliable platforms: 10 % of calls answered 5xx and 5 % 429 with a
//! `Retry-After` (seeded, the seed printed), the Slack Socket Mode and Discord gateway sockets dropped every
//! 30 seconds of fake time, through a fan-out of 600 nudges and the week's prompts. Everything is delivered,
//! once; nothing is sent before its `Retry-After`; the bot provokes no 429 of its own on Discord (whose
//! invalid-request budget is 10,000 401/403/429 per 10 minutes).

mod support;

use amplifier::clock::ScaledClock;
use libtest_mimic::{Arguments, Trial};
use serde_json::json;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::binary::{self, delivered_nudge, Failed, FanOut};
use support::chaos::Faults;
use support::fake_discord::FakeDiscord;
use support::fake_slack::socket::FakeSocket;
use support::fake_slack::{FakeSlack, TEAM};

fn main() {
    let args = Arguments::from_args();
    let trials = vec![Trial::test(
        "faults_and_socket_drops_deliver_everything_once_and_never_early",
        || faults_and_socket_drops().map_err(Into::into),
    )];
    libtest_mimic::run(&args, trials).exit();
}

const SCALE: f64 = 60.0;
/// A round opens at 10:05, five minutes into the run; no digest.
const SCHEDULE: &str = "prompt_schedule = \"5 10 * * *\"\ndigest_schedule = \"off\"";

/// The key of a delivered prompt or nudge row a log line reports.
fn delivered_row(line: &str) -> Option<String> {
    if binary::delivered(line, "ask:") && line.contains(":prompt\"") {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        return v["key"].as_str().map(str::to_string);
    }
    delivered_nudge(line)
}

fn faults_and_socket_drops() -> Result<(), Failed> {
    let began = Instant::now();
    let seed = support::chaos::seed("faults");
    let w = FanOut::new(300, SCALE, SCHEDULE)?;
    // Two prompts (one leader per team) and a nudge for every member.
    let total = w.total() + 2;
    let mut run = w.start("faulty run")?;
    run.wait_for("the scheduler", Duration::from_secs(60), |l| {
        l.contains("scheduler running")
    })?;
    // From here on (start-up itself is not retried: a supervisor restarts a process that cannot start).
    w.discord.set_faults(Some(Faults::new(seed, 0.10, 0.05)));
    w.slack
        .set_faults(Some(Faults::new(seed ^ 0x5eed, 0.10, 0.05)));
    // Drops of a live socket, per socket (one still reconnecting when its turn comes is left alone: Socket
    // Mode, whose reconnects go through `apps.connections.open` and its faults, is down more often).
    let drops = Arc::new([AtomicU32::new(0), AtomicU32::new(0)]);
    let dropper = {
        let (gateway, socket, clock, drops) = (
            w.discord.gateway.clone(),
            w.socket.clone(),
            w.clock,
            drops.clone(),
        );
        w.rt.spawn(async move {
            use amplifier::clock::Clock;
            loop {
                tokio::time::sleep(clock.real(Duration::from_secs(30))).await;
                if gateway.is_live() {
                    gateway.drop_connection();
                    drops[0].fetch_add(1, Ordering::SeqCst);
                }
                if socket.live() > 0 {
                    socket.drop_socket();
                    drops[1].fetch_add(1, Ordering::SeqCst);
                }
            }
        })
    };

    let mut delivered: HashSet<String> = HashSet::new();
    let mut writer = None;
    let deadline = Instant::now() + Duration::from_secs(90);
    while delivered.len() < total {
        match run.next_matching(deadline, |l| delivered_row(l).is_some())? {
            Some(line) => {
                delivered.extend(delivered_row(&line));
            }
            None => return Err(format!("the run ended early:\n{}", run.tail(40)).into()),
        }
        let prompted = delivered.iter().filter(|k| k.starts_with("ask:")).count() == 2;
        if prompted && writer.is_none() {
            writer = Some(w.rt.spawn(leaders_write(
                w.discord.clone(),
                w.slack.clone(),
                w.socket.clone(),
                w.clock,
            )));
        }
    }
    // The leaders' messages, sent over the dropping sockets, all reach their drafts.
    let pieces =
        w.rt.block_on(writer.ok_or("the leaders were never prompted")?)??;
    let written = pieces.len();
    let socket = w.socket.clone();
    let store_url = w.database_url.clone();
    let missing = w.rt.block_on(async move {
        let store = amplifier::store::open(&store_url).await?;
        let give_up = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            // What the bot has not acknowledged comes again, as Slack retries it.
            socket.redeliver_unacked();
            let bodies = draft_bodies(&*store).await?;
            let missing: Vec<String> = pieces
                .iter()
                .filter(|p| !bodies.iter().any(|b| b.contains(p.as_str())))
                .cloned()
                .collect();
            if missing.is_empty() || tokio::time::Instant::now() > give_up {
                store.close().await;
                return anyhow::Ok(missing);
            }
            // Polling the database for the drafts, with the deadline above.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })?;
    assert!(
        missing.is_empty(),
        "leaders' messages lost over the dropping sockets: {missing:?}"
    );
    dropper.abort();
    // Both sockets are back after the last drop.
    let (gateway, socket) = (w.discord.gateway.clone(), w.socket.clone());
    w.rt.block_on(async {
        gateway
            .wait_for("a live gateway session", Duration::from_secs(30), |g| {
                g.is_live()
            })
            .await;
        socket
            .wait_for(
                "a live Socket Mode connection",
                Duration::from_secs(30),
                |s| s.live() > 0,
            )
            .await;
    });
    let (exit, _, log) = run.terminate(Duration::from_secs(10))?;
    assert!(exit.success(), "exit 0 on SIGTERM: {exit:?}");

    let drops = [
        drops[0].load(Ordering::SeqCst),
        drops[1].load(Ordering::SeqCst),
    ];
    let gateway = &w.discord.gateway;
    let reconnects = gateway.connections() - 1;
    let socket_reconnects = w.socket.accepted() as u32 - 1;
    assert!(
        drops[0] >= 10 && drops[1] >= 5,
        "the sockets were dropped often ({drops:?} times)"
    );
    assert!(
        reconnects >= drops[0] && socket_reconnects >= drops[1],
        "every drop was followed by a reconnect: {drops:?} drops, {reconnects} gateway and \
         {socket_reconnects} Socket Mode reconnects"
    );
    assert!(
        !gateway.resumes().is_empty(),
        "the gateway resumed its session after drops"
    );

    for (platform, counts) in [
        (
            "Discord",
            binary::discord_nudges(&w.discord, &w.discord_members),
        ),
        ("Slack", binary::slack_nudges(&w.slack, &w.slack_members)),
    ] {
        let wrong: Vec<_> = counts.iter().filter(|(_, n)| *n != 1).collect();
        assert!(
            wrong.is_empty(),
            "every {platform} member has exactly one nudge: {wrong:?}"
        );
    }
    let discord_leader = w
        .discord
        .dm_channel_of(binary::DISCORD_LEADER)
        .ok_or("the Discord leader got no DM")?;
    let prompts = |texts: Vec<String>| {
        texts
            .iter()
            .filter(|t| t.contains("Your question this week"))
            .count()
    };
    let discord_prompts = prompts(
        w.discord
            .messages_in(&discord_leader)
            .iter()
            .filter_map(|m| m["content"].as_str().map(str::to_string))
            .collect(),
    );
    let slack_prompts = prompts(
        w.slack
            .messages_in(&w.slack.im_of(binary::SLACK_LEADER))
            .into_iter()
            .map(|(_, text, _)| text)
            .collect(),
    );
    assert_eq!(
        (discord_prompts, slack_prompts),
        (1, 1),
        "each leader got the week's question once"
    );

    // Never early, and the failures were real: both fakes injected plenty.
    assert_eq!(
        w.discord.early(),
        Vec::<String>::new(),
        "Discord: early requests"
    );
    assert_eq!(
        w.slack.violations(),
        Vec::<String>::new(),
        "Slack: early or invalid calls"
    );
    assert_eq!(w.discord.violations(), Vec::<String>::new());
    let (d5xx, d429) = w.discord.injected();
    let (s5xx, s429) = w.slack.injected();
    assert!(
        d5xx >= 20 && d429 >= 10 && s5xx >= 20 && s429 >= 10,
        "faults were injected: Discord {d5xx} 5xx + {d429} 429, Slack {s5xx} 5xx + {s429} 429"
    );
    // Discord's invalid-request budget: 401, 403 and 429 answers. Those injected are the platform's doing;
    // any other 429 the bot provoked by not pacing itself.
    let requests = w.discord.requests();
    let invalid: Vec<_> = requests
        .iter()
        .filter(|r| matches!(r.status, 401 | 403 | 429))
        .collect();
    let provoked_429 = invalid.iter().filter(|r| r.status == 429).count() - d429 as usize;
    assert_eq!(provoked_429, w.discord.limited().len());
    let auth_errors = invalid.iter().filter(|r| r.status != 429).count();
    assert_eq!(
        (provoked_429, auth_errors),
        (0, 0),
        "the bot provoked 429s ({:?}) or sent unauthorized requests on Discord",
        w.discord.limited()
    );
    let busiest_ten_minutes = invalid
        .iter()
        .map(|first| {
            invalid
                .iter()
                .filter(|r| r.at >= first.at && r.at - first.at < chrono::Duration::minutes(10))
                .count()
        })
        .max()
        .unwrap_or(0);
    assert!(busiest_ten_minutes < 10_000);
    assert_eq!(
        w.failed_deliveries()?,
        Vec::<String>::new(),
        "no row was given up"
    );
    let retried = log
        .iter()
        .filter(|l| l.contains("send failed; retrying later"))
        .count();
    let held = log
        .iter()
        .filter(|l| l.contains("rate limited; holding this scope"))
        .count();
    println!(
        "seed {seed}: {total} rows delivered through {drops:?} socket drops (gateway, Socket Mode) ({reconnects} gateway, \
         {socket_reconnects} Socket Mode reconnects); injected Discord {d5xx} 5xx + {d429} 429, Slack {s5xx} 5xx \
         + {s429} 429; the bot retried {retried} sends and held {held} times; Discord invalid requests in the \
         busiest 10 minutes: {busiest_ten_minutes}; all {written} leader messages reached their drafts; {:.1} s",
        began.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Each leader writes their answer in 12 messages, one every 20 s of fake time, over sockets that drop every
/// 30 s (a message sent while a socket is down is replayed on resume, or redelivered by Slack). Returns the
/// pieces written.
async fn leaders_write(
    discord: FakeDiscord,
    slack: FakeSlack,
    socket: FakeSocket,
    clock: ScaledClock,
) -> anyhow::Result<Vec<String>> {
    use amplifier::clock::Clock;
    use support::fake_discord::gateway::payloads;
    let discord_dm = discord
        .dm_channel_of(binary::DISCORD_LEADER)
        .ok_or_else(|| anyhow::anyhow!("no DM channel with the Discord leader"))?;
    let slack_dm = slack.im_of(binary::SLACK_LEADER);
    let mut pieces = Vec::new();
    for n in 0..12 {
        tokio::time::sleep(clock.real(Duration::from_secs(20))).await;
        let piece = format!("Discord piece {n} of the answer");
        discord.gateway.dispatch(
            "MESSAGE_CREATE",
            payloads::dm_message(
                &format!("{}", 1_400_000_000_000_000_000u64 + n),
                &discord_dm,
                binary::DISCORD_LEADER,
                &piece,
                false,
            ),
        );
        pieces.push(piece);
        let piece = format!("Slack piece {n} of the answer");
        let ts = format!("{}.{:06}", clock.now().timestamp(), n);
        socket.push(
            "events_api",
            json!({"token": "x", "team_id": TEAM, "api_app_id": "A0FAKEAPP1", "type": "event_callback",
                "event_id": format!("EvPIECE{n:04}"), "event_time": clock.now().timestamp(),
                "event": {"type": "message", "user": binary::SLACK_LEADER, "text": piece, "ts": ts,
                    "channel": slack_dm, "event_ts": ts, "channel_type": "im"}}),
        );
        pieces.push(piece);
    }
    Ok(pieces)
}

/// The text of every draft version in the database.
async fn draft_bodies(store: &dyn amplifier::store::Store) -> anyhow::Result<Vec<String>> {
    let mut bodies = Vec::new();
    for team in store.teams().await? {
        for draft in store.drafts_of_team(team.id).await? {
            for version in store.draft_versions(draft.id).await? {
                bodies.push(version.body);
            }
        }
    }
    Ok(bodies)
}
