//! Two `amplifier run` replicas on one PostgreSQL database and the same fake Slack and Discord, through a
//! whole simulated week (a week of fake time in about 50 s): the Monday prompts and their reminders, three
//! posts with their nudges and nudge reminders, and the Friday digests each reach the platforms once.
//!
//! Needs `AMPLIFIER_TEST_POSTGRES_URL`; listed as ignored with a NOTE without it, failing when
//! `AMPLIFIER_REQUIRE_POSTGRES=1`.

mod support;

use chrono::{DateTime, TimeZone, Utc};
use libtest_mimic::Arguments;
use serde_json::Value;
use sqlx::{Connection, Row};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::binary::{self, Failed, Running, Setup};
use support::fake_discord::FakeDiscord;
use support::fake_slack::FakeSlack;

const NAME: &str = "two_replicas_for_a_week_send_every_prompt_nudge_and_digest_once";

fn main() {
    let args = Arguments::from_args();
    let trial =
        support::postgres_trial(NAME, |url| two_replicas_for_a_week(url).map_err(Into::into));
    let skipped = support::postgres_url().is_none() && !support::require_postgres();
    let notice = format!(
        "NOTE: the two-replica week did NOT run (it needs PostgreSQL). Run it with {}=postgres://postgres@127.0.0.1:5432/test \
         cargo test --test replicas (add {}=1 to make a missing database a failure).",
        support::POSTGRES_URL_VAR,
        support::REQUIRE_POSTGRES_VAR
    );
    if skipped {
        println!("{notice}");
    }
    let conclusion = libtest_mimic::run(&args, vec![trial]);
    if skipped {
        println!("{notice}");
    }
    conclusion.exit()
}

/// Sunday 23:00 UTC, an hour before the week starts.
fn week_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 23, 0, 0).unwrap()
}

/// A week (and a few hours) of fake time in about 50 real seconds.
const SCALE: f64 = 12_000.0;
const MEMBERS: usize = 12;
/// When the three seeded posts publish (UTC), and the words that tell their nudges apart.
const POSTS: [(u32, u32, &str); 3] = [
    (2, 11, "Alpha lesson"),
    (4, 10, "Bravo lesson"),
    (5, 14, "Charlie lesson"),
];

fn two_replicas_for_a_week(admin_url: &str) -> Result<(), Failed> {
    let began = Instant::now();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (url, database) = rt.block_on(support::create_database(admin_url))?;
    let outcome = week(&rt, &url);
    let dropped = rt.block_on(support::drop_database(admin_url, &database));
    outcome?;
    dropped?;
    println!(
        "two replicas, one week: {:.1} s",
        began.elapsed().as_secs_f64()
    );
    Ok(())
}

fn week(rt: &tokio::runtime::Runtime, url: &str) -> Result<(), Failed> {
    let (clock_setting, clock) = binary::scaled_clock(week_start(), SCALE);
    let shared: Arc<dyn amplifier::clock::Clock> = Arc::new(clock);
    let (discord, slack, _socket) = rt.block_on(async {
        let discord = FakeDiscord::start(shared.clone()).await;
        let slack = FakeSlack::start(shared.clone()).await;
        let socket = slack.socket_mode().await;
        (discord, slack, socket)
    });
    let discord_members = binary::discord_members(MEMBERS);
    let slack_members = binary::slack_members(MEMBERS);
    for (i, m) in slack_members.iter().enumerate() {
        slack.add_user(m, &format!("member{i}"), "UTC");
    }
    let dir = tempfile::tempdir()?;
    let text = binary::config(&Setup {
        database_url: url,
        slack: Some(&slack),
        discord: Some(&discord),
        slack_members: &slack_members,
        discord_members: &discord_members,
        // The defaults: prompts Mondays 09:00, one reminder after 24 h, digest Fridays 16:00.
        team_extra: "",
    });
    let config = binary::write_config(dir.path(), &text);
    rt.block_on(seed_posts(&config))?;

    let mut replicas = [
        Running::start("replica a", &config, &clock_setting, &[])?,
        Running::start("replica b", &config, &clock_setting, &[])?,
    ];
    for replica in &mut replicas {
        replica.wait_for("the scheduler", Duration::from_secs(60), |l| {
            l.contains("scheduler running")
        })?;
    }
    // Until Sunday noon: past the Friday digest and every reminder.
    let end = Utc.with_ymd_and_hms(2026, 3, 8, 12, 0, 0).unwrap();
    let real_left = (end - shared.now())
        .to_std()
        .map(|d| shared.real(d))
        .unwrap_or_default();
    // The week passes on the shared clock; nothing to wait for but time itself.
    std::thread::sleep(real_left);
    for replica in &mut replicas {
        replica.drain();
    }
    let mut logs = Vec::new();
    for replica in replicas {
        let name = replica.name.clone();
        let (exit, _, log) = replica.terminate(Duration::from_secs(15))?;
        assert!(exit.success(), "{name} exits 0: {exit:?}");
        logs.push((name, log));
    }
    for (name, log) in &logs {
        let sent = log.iter().filter(|l| l.contains("\"delivered\"")).count();
        println!("{name}: delivered {sent} rows");
        assert!(
            !log.iter().any(|l| l.contains("\"level\":\"ERROR\"")),
            "{name} logged errors:\n{}",
            log.iter()
                .filter(|l| l.contains("\"level\":\"ERROR\""))
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    let both_sent = logs
        .iter()
        .all(|(_, log)| log.iter().any(|l| l.contains("\"delivered\"")));
    assert!(
        both_sent,
        "both replicas delivered rows (the work was shared)"
    );

    let rows = rt.block_on(outbox_rows(url))?;
    check_platforms(&rows, &discord, &slack, &discord_members, &slack_members)?;
    Ok(())
}

/// Approved posts by each team's leader, publishing Monday, Wednesday and Thursday.
async fn seed_posts(config: &std::path::Path) -> anyhow::Result<()> {
    let config = amplifier::config::Config::load(config, &|_| None)?;
    let store = amplifier::store::open(&config.database_url()).await?;
    store.migrate().await?;
    amplifier::teams::sync_config_teams(&*store, &config, week_start()).await?;
    for team in store.teams().await? {
        for (day, hour, words) in POSTS {
            let at = Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap();
            binary::seed_post(&*store, team.id, at, &format!("{words} from {}", team.name)).await?;
        }
    }
    store.close().await;
    Ok(())
}

/// One outbox row as the test reads it.
struct Row_ {
    key: String,
    platform: String,
    status: String,
    payload: Value,
}

async fn outbox_rows(url: &str) -> anyhow::Result<Vec<Row_>> {
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let rows = sqlx::query("SELECT idempotency_key, platform, status, payload_json FROM outbox")
        .fetch_all(&mut conn)
        .await?;
    conn.close().await?;
    Ok(rows
        .into_iter()
        .map(|r| Row_ {
            key: r.get(0),
            platform: r.get(1),
            status: r.get(2),
            payload: serde_json::from_str(&r.get::<String, _>(3)).unwrap_or(Value::Null),
        })
        .collect())
}

/// Each sent outbox row reached its platform once, and the week's routine did what it should.
fn check_platforms(
    rows: &[Row_],
    discord: &FakeDiscord,
    slack: &FakeSlack,
    discord_members: &[String],
    slack_members: &[String],
) -> Result<(), Failed> {
    let pending: Vec<&str> = rows
        .iter()
        .filter(|r| r.status != "sent")
        .map(|r| r.key.as_str())
        .collect();
    assert!(pending.is_empty(), "rows never sent: {pending:?}");
    let sends = |platform: &str| {
        rows.iter()
            .filter(|r| r.platform == platform && r.payload["op"] == "send")
            .count()
    };
    // Discord: one accepted create-message per row (a second replica's send of the same row would carry the
    // same nonce; Discord's nonce window is minutes, far shorter than a week).
    let creates: Vec<_> = discord
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/messages") && r.status == 200)
        .collect();
    let mut by_nonce: HashMap<String, usize> = HashMap::new();
    for c in &creates {
        *by_nonce
            .entry(c.body["nonce"].as_str().unwrap_or("").to_string())
            .or_default() += 1;
    }
    let doubled: Vec<_> = by_nonce.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        doubled.is_empty(),
        "Discord messages sent twice: {doubled:?}"
    );
    assert_eq!(
        creates.len(),
        sends("discord"),
        "one Discord message per sent row"
    );
    let posted = slack.calls("chat.postMessage").len();
    assert_eq!(posted, sends("slack"), "one Slack message per sent row");

    // The routine, counted on the platforms.
    let count =
        |texts: &[String], needle: &str| texts.iter().filter(|t| t.contains(needle)).count();
    let discord_texts = |channel: Option<String>| -> Vec<String> {
        channel
            .map(|c| {
                discord
                    .messages_in(&c)
                    .iter()
                    .map(Value::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let slack_texts = |channel: &str| -> Vec<String> {
        slack
            .messages_in(channel)
            .into_iter()
            .map(|(_, text, blocks)| format!("{text} {blocks}"))
            .collect()
    };
    let leaders = [
        (
            "Discord",
            discord_texts(discord.dm_channel_of(binary::DISCORD_LEADER)),
        ),
        ("Slack", slack_texts(&slack.im_of(binary::SLACK_LEADER))),
    ];
    for (platform, texts) in &leaders {
        assert_eq!(
            count(texts, "Your question this week"),
            1,
            "{platform}: the leader's Monday question, once"
        );
    }
    let channels = [
        (
            "Discord",
            discord_texts(Some(binary::DISCORD_SHARE_CHANNEL.to_string())),
        ),
        ("Slack", slack_texts(binary::SLACK_SHARE_CHANNEL)),
    ];
    for (platform, texts) in &channels {
        for (_, _, words) in POSTS {
            // The digest names the week's posts too.
            let posts: Vec<_> = texts
                .iter()
                .filter(|t| t.contains(words) && !t.contains("'s week"))
                .collect();
            assert_eq!(
                posts.len(),
                1,
                "{platform}: the post \"{words}\" published once: {posts:#?}"
            );
        }
        assert_eq!(
            count(texts, "'s week"),
            1,
            "{platform}: one digest in the share channel"
        );
    }
    let mut nudges = 0;
    let members: Vec<(&str, Vec<String>)> = discord_members
        .iter()
        .map(|m| ("Discord", discord_texts(discord.dm_channel_of(m))))
        .chain(
            slack_members
                .iter()
                .map(|m| ("Slack", slack_texts(&slack.im_of(m)))),
        )
        .collect();
    for (platform, texts) in &members {
        for (_, _, words) in POSTS {
            let first = texts
                .iter()
                .filter(|t| t.contains(binary::NUDGE_TEXT) && t.contains(words))
                .count();
            assert!(
                first <= 1,
                "{platform}: a member nudged {first} times about \"{words}\""
            );
            nudges += first;
        }
    }
    let nudge_rows = rows
        .iter()
        .filter(|r| r.key.starts_with("nudge:") && !r.key.ends_with(":reminder"))
        .count();
    assert_eq!(
        nudges, nudge_rows,
        "every nudge row reached its member, once"
    );
    assert!(
        nudges >= 2 * MEMBERS,
        "the week nudged every member at least once ({nudges})"
    );
    let reminders = rows
        .iter()
        .filter(|r| r.key.ends_with(":reminder") || r.key.contains(":reminder:"))
        .count();
    println!(
        "{} rows sent: {nudges} nudges, {reminders} reminders, {} Discord and {posted} Slack messages",
        rows.len(),
        creates.len()
    );
    assert!(reminders > 0, "reminders were part of the week");
    Ok(())
}
