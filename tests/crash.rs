//! Crash safety of the real `amplifier run`: a fan-out of 1,000 nudges (500 Slack and 500 Discord members),
//! killed with SIGKILL at random points 20 times (seeded, the seed printed) and restarted each time, leaves
//! every Discord member exactly one nudge (nonces) and every Slack member one, plus at most one extra per crash;
//! SIGTERM mid fan-out exits 0 at once, releases its claimed rows, and the restart finishes with no loss and
//! no double.

mod support;

use amplifier::store::NudgeStatus;
use libtest_mimic::{Arguments, Trial};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use support::binary::{self, delivered_nudge, delivered_on, until_all_delivered, Failed, FanOut};
use support::chaos::Rng;

/// Clock speed: the fakes' rate limits (one DM opened per second on Discord, Slack's tier 3 for
/// `conversations.open`) let a 500-member fan-out finish in about 10 s, while the delivery lease (120 s)
/// is still 2 s of real time and Discord's nonce window (5 min) 5 s.
const SCALE: f64 = 60.0;
/// No prompt slot and no digest during the run: the fan-out alone.
const QUIET: &str = "prompt_schedule = \"0 9 1 1 *\"\ndigest_schedule = \"off\"";

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

fn sigkill_twenty_times_mid_fan_out() -> Result<(), Failed> {
    const CRASHES: usize = 20;
    let began = Instant::now();
    let seed = support::chaos::seed("sigkill");
    let mut rng = Rng::new(seed);
    let w = FanOut::new(500, SCALE, QUIET)?;
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
                let Some(line) = run.next_matching(deadline, |l| delivered_nudge(l).is_some())?
                else {
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
    assert!(
        missing.is_empty(),
        "Slack members without a nudge: {missing:?}"
    );
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
    assert_eq!(
        w.failed_deliveries()?,
        Vec::<String>::new(),
        "no row was given up"
    );
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
    let w = FanOut::new(300, SCALE, QUIET)?;
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
        (
            "Discord",
            binary::discord_nudges(&w.discord, &w.discord_members),
        ),
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
