//! Crash safety of the real `amplifier run`: a fan-out of 1,000 nudges (500 Slack and 500 Discord members),
//! killed with SIGKILL at random points 20 times (seeded, the seed printed) and restarted each time, leaves
//! every Discord member exactly one nudge (nonces) and every Slack member one, plus at most one extra per crash;
//! SIGTERM mid fan-out exits 0 at once, releases its claimed rows, and the restart finishes with no loss and
//! no double.

mod support;

use amplifier::store::{NudgeStatus, PostId};
use chrono::{TimeZone, Utc};
use libtest_mimic::{Arguments, Trial};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::binary::{self, Failed, Running, Setup};
use support::chaos::Rng;
use support::fake_discord::FakeDiscord;
use support::fake_slack::FakeSlack;

fn main() {
    let args = Arguments::from_args();
    let trials = vec![
        Trial::test(
            "sigkill_twenty_times_mid_fan_out_loses_nothing_and_doubles_only_on_slack",
            || sigkill_twenty_times_mid_fan_out().map_err(Into::into),
        ),
        Trial::test(
            "sigterm_mid_fan_out_exits_at_once_releases_claims_and_loses_nothing",
            || sigterm_mid_fan_out().map_err(Into::into),
        ),
    ];
    libtest_mimic::run(&args, trials).exit();
}

/// The fake platforms, a SQLite database with an approved post per team, and the clock they share.
struct World {
    rt: tokio::runtime::Runtime,
    discord: FakeDiscord,
    slack: FakeSlack,
    _socket: support::fake_slack::socket::FakeSocket,
    discord_members: Vec<String>,
    slack_members: Vec<String>,
    config: std::path::PathBuf,
    database_url: String,
    clock_setting: String,
    posts: Vec<PostId>,
    _dir: tempfile::TempDir,
}

/// A Tuesday 10:00 UTC: inside everyone's working hours for the whole run.
fn start() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 3, 10, 0, 0).unwrap()
}

/// Clock speed: the fakes' rate limits (one DM opened per second on Discord, Slack's tier 3 for
/// `conversations.open`) let a 1,000-member fan-out finish in about 20 s, while the delivery lease (120 s)
/// is still 2 s of real time and Discord's nonce window (5 min) 5 s.
const SCALE: f64 = 60.0;

fn world(members: usize) -> Result<World, Failed> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (clock_setting, clock) = binary::scaled_clock(start(), SCALE);
    let clock: Arc<dyn amplifier::clock::Clock> = Arc::new(clock);
    let (discord, slack, socket) = rt.block_on(async {
        let discord = FakeDiscord::start(clock.clone()).await;
        let slack = FakeSlack::start(clock.clone()).await;
        let socket = slack.socket_mode().await;
        (discord, slack, socket)
    });
    let discord_members = binary::discord_members(members);
    let slack_members = binary::slack_members(members);
    for (i, m) in slack_members.iter().enumerate() {
        slack.add_user(m, &format!("member{i}"), "UTC");
    }
    let dir = tempfile::tempdir()?;
    let database_url = format!("sqlite://{}", dir.path().join("amplifier.db").display());
    let text = binary::config(&Setup {
        database_url: &database_url,
        slack: Some(&slack),
        discord: Some(&discord),
        slack_members: &slack_members,
        discord_members: &discord_members,
        // No prompt slot and no digest during the run: the fan-out alone.
        team_extra: "prompt_schedule = \"0 9 1 1 *\"\ndigest_schedule = \"off\"",
    });
    let config = binary::write_config(dir.path(), &text);
    let posts = rt.block_on(binary::seed_approved_posts(&config, start()))?;
    Ok(World {
        rt,
        discord,
        slack,
        _socket: socket,
        discord_members,
        slack_members,
        config,
        database_url,
        clock_setting,
        posts,
        _dir: dir,
    })
}

impl World {
    fn start(&self, name: &str) -> Result<Running, Failed> {
        Running::start(name, &self.config, &self.clock_setting, &[])
    }

    fn total(&self) -> usize {
        self.discord_members.len() + self.slack_members.len()
    }

    /// Every nudge row of every post, from the database: (pending or not sent, total).
    fn nudge_statuses(&self) -> Result<Vec<NudgeStatus>, Failed> {
        let statuses = self.rt.block_on(async {
            let store = amplifier::store::open(&self.database_url).await?;
            let mut all = Vec::new();
            for post in &self.posts {
                all.extend(store.nudges(*post).await?.into_iter().map(|n| n.status));
            }
            store.close().await;
            anyhow::Ok(all)
        })?;
        Ok(statuses)
    }

    /// Outbox rows given up (audited `delivery.failed`).
    fn failed_deliveries(&self) -> Result<Vec<String>, Failed> {
        let failed = self.rt.block_on(async {
            let store = amplifier::store::open(&self.database_url).await?;
            let log = store.audit_log(None, 100_000).await?;
            store.close().await;
            anyhow::Ok(
                log.into_iter()
                    .filter(|e| e.action == amplifier::delivery::AUDIT_FAILED)
                    .map(|e| format!("{} {}", e.subject, e.detail_json))
                    .collect::<Vec<_>>(),
            )
        })?;
        Ok(failed)
    }
}

/// The nudge row whose delivery a log line reports.
fn delivered_nudge(line: &str) -> Option<String> {
    delivered_on(line).map(|(key, _)| key)
}

/// The nudge row whose delivery a log line reports, and its platform.
fn delivered_on(line: &str) -> Option<(String, String)> {
    if !binary::delivered(line, "nudge:") {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    Some((v["key"].as_str()?.to_string(), v["platform"].as_str()?.to_string()))
}

/// Runs `run` until every nudge row was reported delivered (by it or an earlier process), within `within`.
fn until_all_delivered(
    run: &mut Running,
    delivered: &mut HashSet<String>,
    total: usize,
    within: Duration,
) -> Result<(), Failed> {
    let deadline = Instant::now() + within;
    while delivered.len() < total {
        match run.next_matching(deadline, |l| delivered_nudge(l).is_some())? {
            Some(line) => {
                delivered.extend(delivered_nudge(&line));
            }
            None => {
                return Err(format!(
                    "{} exited with {} of {total} nudges delivered:\n{}",
                    run.name,
                    delivered.len(),
                    run.tail(40)
                )
                .into())
            }
        }
    }
    Ok(())
}

fn sigkill_twenty_times_mid_fan_out() -> Result<(), Failed> {
    const CRASHES: usize = 20;
    let began = Instant::now();
    let seed = support::chaos::seed("sigkill");
    let mut rng = Rng::new(seed);
    let w = world(500)?;
    let total = w.total();
    let mut delivered: HashSet<String> = HashSet::new();
    for crash in 0..CRASHES {
        let mut run = w.start(&format!("run {crash}"))?;
        let deadline = Instant::now() + Duration::from_secs(60);
        // A fifth of the kills land during start-up (migrations, team sync, connecting), the rest after a
        // random number of this process's deliveries: 40 on average, so the twenty crashes spread over most
        // of the fan-out, Discord's part (sent first) and Slack's.
        let during_startup = rng.unit() < 0.2;
        let how_far = if during_startup {
            let lines = rng.between(1, 12);
            for _ in 0..lines {
                if run.next_matching(deadline, |_| true)?.is_none() {
                    break;
                }
            }
            format!("after {lines} log lines")
        } else {
            let sends = rng.between(1, 80);
            let mut last = String::from("none");
            let mut seen = 0;
            while seen < sends && delivered.len() < total {
                let Some(line) = run.next_matching(deadline, |l| delivered_nudge(l).is_some())? else {
                    return Err(format!("{} exited on its own:\n{}", run.name, run.tail(40)).into());
                };
                if let Some((key, on)) = delivered_on(&line) {
                    delivered.insert(key);
                    last = on;
                    seen += 1;
                }
            }
            format!("after {seen} deliveries (the last to {last})")
        };
        // Lands the kill anywhere in the next send (before the request, mid-request, before its ack).
        std::thread::sleep(Duration::from_micros(rng.between(0, 20_000)));
        let log = run.kill()?;
        delivered.extend(log.iter().filter_map(|l| delivered_nudge(l)));
        println!(
            "crash {crash}: SIGKILL {how_far}; {} of {total} nudges delivered so far",
            delivered.len()
        );
    }
    let mut last = w.start("final run")?;
    until_all_delivered(&mut last, &mut delivered, total, Duration::from_secs(90))?;
    let (exit, _, _) = last.terminate(Duration::from_secs(10))?;
    assert!(exit.success(), "the last run exits 0 on SIGTERM: {exit:?}");

    let discord = binary::discord_nudges(&w.discord, &w.discord_members);
    let wrong: Vec<_> = discord.iter().filter(|(_, n)| *n != 1).collect();
    assert!(
        wrong.is_empty(),
        "every Discord member has exactly one nudge; not so for {} of them: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(10)]
    );
    let slack = binary::slack_nudges(&w.slack, &w.slack_members);
    let missing: Vec<_> = slack.iter().filter(|(_, n)| *n == 0).collect();
    assert!(missing.is_empty(), "Slack members without a nudge: {missing:?}");
    let extra: usize = slack.iter().map(|(_, n)| n - 1).sum();
    assert!(
        extra <= CRASHES,
        "at most one extra Slack nudge per crash: {extra} extra after {CRASHES} crashes"
    );
    let statuses = w.nudge_statuses()?;
    assert_eq!(statuses.len(), total, "one nudge row per member and post");
    assert!(
        statuses.iter().all(|s| *s == NudgeStatus::Sent),
        "every nudge is marked sent: {statuses:?}"
    );
    assert_eq!(w.failed_deliveries()?, Vec::<String>::new(), "no row was given up");
    assert_eq!(w.discord.violations(), Vec::<String>::new());
    assert_eq!(w.discord.early(), Vec::<String>::new());
    // Known and left as is: at each start the people sync asks `users.info` about everyone until a 429, so a
    // process started within a minute of a killed one calls it before the 429 the dead process got said to.
    // A restart cannot know that 429; nothing the routine sends is early.
    let slack_violations: Vec<String> = w
        .slack
        .violations()
        .into_iter()
        .filter(|v| !v.starts_with("users.info called at"))
        .collect();
    assert_eq!(slack_violations, Vec::<String>::new());
    println!(
        "seed {seed}: {CRASHES} crashes; Discord answered {} resends from their nonce; {extra} extra Slack nudges; {:.1} s",
        w.discord.nonce_dedupes(),
        began.elapsed().as_secs_f64()
    );
    Ok(())
}

fn sigterm_mid_fan_out() -> Result<(), Failed> {
    let began = Instant::now();
    let seed = support::chaos::seed("sigterm");
    let mut rng = Rng::new(seed);
    let w = world(300)?;
    let total = w.total();
    let mut delivered: HashSet<String> = HashSet::new();
    let mut run = w.start("first run")?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let sends = rng.between(20, 200);
    for _ in 0..sends {
        match run.next_matching(deadline, |l| delivered_nudge(l).is_some())? {
            Some(line) => {
                delivered.extend(delivered_nudge(&line));
            }
            None => return Err(format!("exited on its own:\n{}", run.tail(40)).into()),
        }
    }
    let (exit, took, log) = run.terminate(Duration::from_secs(10))?;
    delivered.extend(log.iter().filter_map(|l| delivered_nudge(l)));
    assert!(exit.success(), "SIGTERM exits 0: {exit:?}");
    assert!(
        took < Duration::from_secs(3),
        "SIGTERM ends the run promptly, not after {took:?}"
    );
    assert!(
        delivered.len() < total,
        "the SIGTERM came mid fan-out ({} of {total} delivered)",
        delivered.len()
    );
    // The shutdown pass reports the claimed rows it put back (a batch is claimed ahead of its sends).
    let released: u64 = log
        .iter()
        .filter(|l| l.contains("\"delivery pass\""))
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["fields"]["released"].as_u64().or(v["released"].as_u64()))
        .sum();
    assert!(
        released > 0,
        "the log shows the claimed rows released at shutdown:\n{}",
        log[log.len().saturating_sub(15)..].join("\n")
    );
    assert!(
        log.iter().any(|l| l.contains("delivery stopped")),
        "delivery says it stopped"
    );
    println!(
        "seed {seed}: SIGTERM after {sends} deliveries; exited in {took:?}; {released} claimed rows released"
    );

    let mut again = w.start("restart")?;
    until_all_delivered(&mut again, &mut delivered, total, Duration::from_secs(60))?;
    let (exit, _, _) = again.terminate(Duration::from_secs(10))?;
    assert!(exit.success());
    for (platform, counts) in [
        ("Discord", binary::discord_nudges(&w.discord, &w.discord_members)),
        ("Slack", binary::slack_nudges(&w.slack, &w.slack_members)),
    ] {
        let wrong: Vec<_> = counts.iter().filter(|(_, n)| *n != 1).collect();
        assert!(
            wrong.is_empty(),
            "every {platform} member has exactly one nudge after a SIGTERM: {wrong:?}"
        );
    }
    assert_eq!(
        w.discord.nonce_dedupes(),
        0,
        "a graceful stop leaves nothing for Discord's nonce to catch"
    );
    assert_eq!(w.failed_deliveries()?, Vec::<String>::new());
    assert_eq!(w.discord.violations(), Vec::<String>::new());
    assert_eq!(w.slack.violations(), Vec::<String>::new());
    println!("sigterm: {:.1} s", began.elapsed().as_secs_f64());
    Ok(())
}
