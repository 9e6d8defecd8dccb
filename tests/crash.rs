//! Crash safety of the real `amplifier run`: a fan-out of 1,000 nudges (500 Slack and 500 Discord members),
//! killed with SIGKILL at random points 20 times (seeded, the seed printed) and restarted each time, leaves
//! every Discord member exactly one nudge (nonces) and every Slack member one, plus at most one extra per crash;
//! SIGTERM mid fan-out exits 0 at once, releases its claimed rows, and the restart finishes with no loss and
//! no double.

mod support;

use amplifier::store::{DraftId, DraftStatus, NudgeStatus, Platform};
use libtest_mimic::{Arguments, Trial};
use serde_json::json;
use std::collections::HashSet;
use std::time::{Duration, Instant};
use support::binary::{self, delivered_nudge, delivered_on, until_all_delivered, Failed, FanOut};
use support::chaos::Rng;
use support::fake_discord::gateway::{payloads, Place};
use support::fake_slack::TEAM;

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
    let mut pressed: HashSet<String> = HashSet::new();
    let mut drafts: Vec<String> = Vec::new();
    // Discord button presses: (interaction id, member). Discord does not redeliver to a new session, so a
    // press the killed process never answered is one the member saw fail; every press answered must count.
    let mut discord_presses: Vec<(String, String)> = Vec::new();
    let in_review = w.rt.block_on(seed_drafts_in_review(&w, CRASHES))?;
    for (crash, &draft_in_review) in in_review.iter().enumerate() {
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
            let mut pressed_discord = false;
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
                // Halfway to the kill a Discord member presses *Shared* (the process is connected and has
                // a moment to answer, or dies answering).
                if seen == sends.div_ceil(2) && !pressed_discord {
                    pressed_discord = true;
                    if let Some((member, channel, custom_id)) = pick_discord_nudged(&w, &mut rng) {
                        let id = format!("{}", 1_500_000_000_000_000_000u64 + crash as u64);
                        w.discord.gateway.dispatch(
                            "INTERACTION_CREATE",
                            payloads::button(&id, &member, &Place::Dm { channel }, &custom_id),
                        );
                        discord_presses.push((id, member));
                    }
                }
            }
            format!("after {seen} deliveries (the last to {last})")
        };
        // People act while the process is about to die: a member confirms a share, the leader drafts. Slack
        // redelivers what was not acknowledged, so none of it may be lost.
        if let Some(member) = pick_nudged(&w, &mut rng) {
            press_shared(&w, &member);
            pressed.insert(member);
        }
        let draft = format!("Crash-safe insight number {crash}");
        w.socket.push("slash_commands", draft_command(&w, &draft));
        drafts.push(draft);
        approve(&w, draft_in_review);
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
    last.wait_for("Socket Mode", Duration::from_secs(60), |l| {
        l.contains("Slack Socket Mode connected")
    })?;
    // What no process acknowledged comes again, as Slack redelivers it.
    let socket = w.socket.clone();
    w.rt.block_on(async {
        for _ in 0..5 {
            if socket.unacked() == 0 {
                break;
            }
            socket.redeliver_unacked();
            // The outer timeout ends the wait (the inner one, which panics, is only a backstop).
            let _ = tokio::time::timeout(Duration::from_secs(3), async {
                socket
                    .wait_for(
                        "every envelope acknowledged",
                        Duration::from_secs(60),
                        |s| s.unacked() == 0,
                    )
                    .await
            })
            .await;
        }
    });
    assert_eq!(
        w.socket.unacked(),
        0,
        "every envelope was acknowledged in the end"
    );
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
    // Sent, or done for those who confirmed a share (Slack presses, and Discord presses that got through).
    let done = statuses.iter().filter(|s| **s == NudgeStatus::Done).count();
    let other: Vec<_> = statuses
        .iter()
        .filter(|s| !matches!(s, NudgeStatus::Sent | NudgeStatus::Done))
        .collect();
    assert!(other.is_empty(), "every nudge is marked sent: {other:?}");
    assert!(
        done >= pressed.len(),
        "the nudges of those who shared are done ({done} done, {} Slack presses)",
        pressed.len()
    );
    assert_eq!(
        w.failed_deliveries()?,
        Vec::<String>::new(),
        "no row was given up"
    );
    let (confirmed, drafted) = w.rt.block_on(inbound_outcome(&w))?;
    let answers = w.discord.interaction_answers();
    let answered: Vec<&(String, String)> = discord_presses
        .iter()
        .filter(|(id, _)| {
            answers
                .iter()
                .any(|r| r.path.starts_with(&format!("/interactions/{id}/")) && r.status < 300)
        })
        .collect();
    let lost: Vec<_> = answered
        .iter()
        .filter(|(_, m)| !confirmed.contains(m))
        .collect();
    assert!(
        lost.is_empty(),
        "Discord share confirmations answered but lost in the crashes: {lost:?}"
    );
    let lost: Vec<_> = pressed.iter().filter(|m| !confirmed.contains(*m)).collect();
    assert!(
        lost.is_empty(),
        "share confirmations lost in the crashes: {lost:?} (recorded: {confirmed:?})"
    );
    let lost: Vec<_> = drafts
        .iter()
        .filter(|d| !drafted.iter().any(|body| body.contains(d.as_str())))
        .collect();
    assert!(
        lost.is_empty(),
        "drafts lost in the crashes: {lost:?} (kept: {drafted:?})"
    );
    let unreviewed = w.rt.block_on(unreviewed(&w, &in_review))?;
    assert!(
        unreviewed.is_empty(),
        "approvals lost in the crashes: drafts {unreviewed:?} have no review or are not approved"
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
        "seed {seed}: {CRASHES} crashes; Discord answered {} resends from their nonce; {extra} extra Slack nudges; \
         {} Slack and {} answered Discord share confirmations (of {} pressed), {} drafts and {} approvals sent \
         around the kills, none lost; {:.1} s",
        w.discord.nonce_dedupes(),
        pressed.len(),
        answered.len(),
        discord_presses.len(),
        drafts.len(),
        in_review.len(),
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
        // Well inside the 30 s a container orchestrator waits before SIGKILL (the sends in flight finish
        // first; a loaded debug build takes a few hundred milliseconds to seconds).
        took < Duration::from_secs(5),
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

/// A Slack member whose nudge (with its share buttons) has arrived, if one is found.
fn pick_nudged(w: &FanOut, rng: &mut Rng) -> Option<String> {
    (0..20).find_map(|_| {
        let member = &w.slack_members[rng.between(0, w.slack_members.len() as u64 - 1) as usize];
        w.slack
            .button(&w.slack.im_of(member), SHARED)
            .map(|_| member.clone())
    })
}

const SHARED: &str = "Shared on LinkedIn";

/// The member presses "Shared on LinkedIn" under their nudge.
fn press_shared(w: &FanOut, member: &str) {
    let im = w.slack.im_of(member);
    let Some(action_id) = w.slack.button(&im, SHARED) else {
        return;
    };
    let payload = json!({"type": "block_actions", "team": {"id": TEAM, "domain": "fake-team"},
        "user": {"id": member, "username": member, "team_id": TEAM}, "api_app_id": "A0FAKEAPP1", "token": "x",
        "container": {"type": "message", "channel_id": im}, "trigger_id": w.slack.new_trigger(),
        "channel": {"id": im}, "response_url": "http://127.0.0.1:1/actions/x",
        "actions": [{"action_id": action_id, "block_id": "b", "type": "button", "action_ts": "1"}]});
    w.socket.push("interactive", payload);
}

/// `/amplify draft TEXT` from the Slack leader, in their DM with the bot.
fn draft_command(w: &FanOut, text: &str) -> serde_json::Value {
    json!({"token": "x", "team_id": TEAM, "team_domain": "fake-team",
        "channel_id": w.slack.im_of(binary::SLACK_LEADER), "channel_name": "directmessage",
        "user_id": binary::SLACK_LEADER, "user_name": "alice", "command": "/amplify",
        "text": format!("draft {text}"), "api_app_id": "A0FAKEAPP1", "is_enterprise_install": "false",
        "response_url": "http://127.0.0.1:1/commands/x", "trigger_id": w.slack.new_trigger()})
}

/// Who confirmed a share of a seeded post (Slack user ids), and the text of every draft version.
async fn inbound_outcome(w: &FanOut) -> anyhow::Result<(HashSet<String>, Vec<String>)> {
    let store = amplifier::store::open(&w.database_url).await?;
    let mut confirmed = HashSet::new();
    for post in &w.posts {
        for share in store.shares(*post).await? {
            if let Some(person) = store.person(share.person_id).await? {
                confirmed.insert(person.platform_user_id);
            }
        }
    }
    let mut bodies = Vec::new();
    for team in store.teams().await? {
        for draft in store.drafts_of_team(team.id).await? {
            for version in store.draft_versions(draft.id).await? {
                bodies.push(version.body);
            }
        }
    }
    store.close().await;
    Ok((confirmed, bodies))
}

/// `n` drafts by the Slack leader waiting for review (the team allows self-approval).
async fn seed_drafts_in_review(w: &FanOut, n: usize) -> anyhow::Result<Vec<DraftId>> {
    let store = amplifier::store::open(&w.database_url).await?;
    let team = store
        .team_by_name("Leadership")
        .await?
        .ok_or_else(|| anyhow::anyhow!("no Slack team"))?;
    let leader = store
        .person_by_platform_id(Platform::Slack, TEAM, binary::SLACK_LEADER)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no Slack leader"))?;
    let mut drafts = Vec::new();
    for i in 0..n {
        let at = binary::fan_out_start();
        let draft = store
            .create_draft(
                team.id,
                leader.id,
                None,
                &format!("Reviewed insight {i}"),
                at,
            )
            .await?;
        store
            .set_draft_status(draft, DraftStatus::InReview, at)
            .await?;
        drafts.push(draft);
    }
    store.close().await;
    Ok(drafts)
}

/// The leader presses *Approve* on their own draft's version 1.
fn approve(w: &FanOut, draft: DraftId) {
    let im = w.slack.im_of(binary::SLACK_LEADER);
    let action = amplifier::chat::Action::Approve {
        draft: draft.0,
        version: 1,
    };
    let payload = json!({"type": "block_actions", "team": {"id": TEAM, "domain": "fake-team"},
        "user": {"id": binary::SLACK_LEADER, "username": "alice", "team_id": TEAM}, "api_app_id": "A0FAKEAPP1",
        "token": "x", "container": {"type": "message", "channel_id": im}, "trigger_id": w.slack.new_trigger(),
        "channel": {"id": im}, "response_url": "http://127.0.0.1:1/actions/x",
        "actions": [{"action_id": action.to_string(), "block_id": "b", "type": "button", "action_ts": "1"}]});
    w.socket.push("interactive", payload);
}

/// The drafts of `drafts` without exactly one review, or still waiting for it.
async fn unreviewed(w: &FanOut, drafts: &[DraftId]) -> anyhow::Result<Vec<DraftId>> {
    let store = amplifier::store::open(&w.database_url).await?;
    let mut missing = Vec::new();
    for draft in drafts {
        let reviews = store.reviews(*draft).await?;
        let decided = store
            .draft(*draft)
            .await?
            .is_some_and(|d| d.status != DraftStatus::InReview);
        if reviews.len() != 1 || !decided {
            missing.push(*draft);
        }
    }
    store.close().await;
    Ok(missing)
}

/// A Discord member whose nudge has arrived: (member, DM channel, the custom id of *Shared on LinkedIn*).
fn pick_discord_nudged(w: &FanOut, rng: &mut Rng) -> Option<(String, String, String)> {
    (0..20).find_map(|_| {
        let member =
            &w.discord_members[rng.between(0, w.discord_members.len() as u64 - 1) as usize];
        let channel = w.discord.dm_channel_of(member)?;
        let custom_id = w.discord.messages_in(&channel).iter().rev().find_map(|m| {
            m["components"].as_array()?.iter().find_map(|row| {
                row["components"].as_array()?.iter().find_map(|b| {
                    (b["label"] == SHARED)
                        .then(|| b["custom_id"].as_str().map(str::to_string))
                        .flatten()
                })
            })
        })?;
        Some((member.clone(), channel, custom_id))
    })
}
