//! `amplifier demo`: a scripted week of the routine for a sample team, offline, on a temporary SQLite database
//! and the shell adapter; prints the transcript and a summary whose counts come from the database.

use crate::clock::{Clock, ManualClock};
use crate::config::Config;
use crate::engine::Engine;
use crate::shell::Shell;
use crate::store::{NudgeStatus, Store};
use chrono::{DateTime, TimeZone, Utc};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

/// The sample team: two leaders and an approver in Berlin, five members around the world.
pub const DEMO_CONFIG: &str = r#"
[[teams]]
name = "Leadership"
platform = "shell"
workspace_id = "demo"
leaders = ["alice", "bob"]
approvers = ["carol"]
admins = ["carol"]
members = ["dan", "erin", "frank", "grace", "heidi"]
share_channel = "amplify"
time_zone = "Europe/Berlin"
prompt_schedule = "0 9 * * Mon"
reminder_after = "24h"
reminder_count = 1
publish_mode = "leader_posts_first"
publish_schedule = "immediately"
networks = ["linkedin", "x", "bluesky"]
nudge_reminder_after = "24h"
weekly_nudge_cap = 3
digest_schedule = "0 16 * * Fri"
"#;

/// The week, as typed at the shell. `#` lines are narration.
pub const DEMO_SCRIPT: &[&str] = &[
    "# Monday morning. Members far from Berlin set their own time zones.",
    "/as dan",
    "/amplify timezone America/New_York",
    "/as erin",
    "/amplify timezone Asia/Tokyo",
    "/as grace",
    "/amplify timezone Australia/Sydney",
    "/as heidi",
    "/amplify timezone America/Sao_Paulo",
    "# At 09:00 in Berlin both leaders get this week's question.",
    "/advance 10m",
    "/as alice",
    "Last month a customer told us our onboarding felt like homework.",
    "We cut it from twelve steps to four, and activation went up.",
    "/click Submit for review",
    "/as carol",
    "/click Request changes",
    "Lovely. Could you say what the four steps are? One concrete example makes it land.",
    "/as alice",
    "/click Edit",
    "Last month a customer told us our onboarding felt like homework. We cut it from twelve steps to four: sign in, import, invite one teammate, see your first report. Activation went up by a third. Listen for the word 'homework' in your own product.",
    "/click Submit for review",
    "/as carol",
    "/click Approve",
    "# Alice posts on LinkedIn first and pastes the link of her post.",
    "/as alice",
    "https://www.linkedin.com/posts/alice-example_onboarding-activity-7265000000000000000-AbCd?utm_source=share",
    "# The post is in #amplify; nudges go out in each member's working hours.",
    "/advance 1h",
    "/as frank",
    "/click Shared on LinkedIn",
    "/as erin",
    "/click Paste my link",
    "https://x.com/erin_example/status/1865000000000000000",
    "/advance 8h",
    "/as dan",
    "/click Shared on X",
    "# Tuesday: Bob never answered; he gets one reminder, and skips this week.",
    "/advance 1d",
    "/as bob",
    "/click Skip this week",
    "/as dan",
    "/amplify status",
    "# On Friday at 16:00 in Berlin the digest goes out.",
    "/advance 3d",
];

/// Monday 2026-11-30, 07:55 UTC (08:55 in Berlin).
pub fn demo_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 7, 55, 0)
        .single()
        .expect("a valid instant")
}

/// The counts the summary prints, read from the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoSummary {
    pub counts: BTreeMap<&'static str, i64>,
}

/// Runs the scripted week, writing the transcript to `out`.
pub async fn run(out: &mut dyn Write) -> anyhow::Result<DemoSummary> {
    let dir = tempfile_dir()?;
    let path = dir.join("amplifier.toml");
    std::fs::write(&path, DEMO_CONFIG)?;
    let clock = Arc::new(ManualClock::new(demo_start()));
    let config = Config::load_valid(&path, &|_| None, clock.now())?;
    let store = crate::store::open(&config.database_url()).await?;
    store.migrate().await?;
    crate::teams::sync_config_teams(&*store, &config, clock.now()).await?;
    let engine = Arc::new(Engine::new(
        store.clone(),
        config.base_dir.clone(),
        config.scheduler.catch_up_window.0,
    ));
    engine.load_prompt_packs().await?;
    let mut shell = Shell::new(engine, clock.clone(), "demo", "alice")?;
    writeln!(out, "Amplifier demo: one week of the routine for the team \"Leadership\" (shell adapter, temporary SQLite).")?;
    for line in DEMO_SCRIPT {
        if let Some(note) = line.strip_prefix("# ") {
            writeln!(
                out,
                "\n== {} ({}) ==",
                note,
                clock
                    .now()
                    .with_timezone(&chrono_tz::Europe::Berlin)
                    .format("%a %H:%M Berlin")
            )?;
            continue;
        }
        writeln!(out, "{}> {}", shell.person(), line)?;
        for printed in shell.input(line).await? {
            writeln!(out, "{printed}")?;
        }
    }
    let summary = summarize(&*store).await?;
    writeln!(out, "\n== Summary (from the database) ==")?;
    for (what, n) in &summary.counts {
        writeln!(out, "  {what:<28} {n}")?;
    }
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(summary)
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "amplifier-demo-{}-{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Counts of what happened, from the audit log and the nudges.
pub async fn summarize(store: &dyn Store) -> anyhow::Result<DemoSummary> {
    let mut counts: BTreeMap<&'static str, i64> = BTreeMap::new();
    let log = store.audit_log(None, 100_000).await?;
    let count = |action: &str| log.iter().filter(|e| e.action == action).count() as i64;
    counts.insert("prompts sent", count("ask.sent"));
    counts.insert("drafts started", count("draft.created"));
    counts.insert("draft edits", count("draft.edited"));
    counts.insert("submissions", count("draft.submitted"));
    counts.insert("changes requested", count("review.request_changes"));
    counts.insert(
        "approvals",
        count("review.approve") + count("review.edit_and_approve"),
    );
    counts.insert("posts published", count("post.published"));
    counts.insert("shares confirmed", count("share.confirmed"));
    counts.insert("digests", count("digest.sent"));
    counts.insert("asks skipped", count("ask.skipped"));
    let mut nudges_sent = 0;
    let mut reminders = 0;
    for team in store.teams().await? {
        for status in [
            NudgeStatus::Sent,
            NudgeStatus::Reminded,
            NudgeStatus::Done,
            NudgeStatus::Cancelled,
            NudgeStatus::Pending,
        ] {
            for nudge in store.nudges_in_status(Some(team.id), status).await? {
                nudges_sent += i64::from(nudge.sent_at.is_some());
                reminders +=
                    i64::from(nudge.reminded_at.is_some() || nudge.status == NudgeStatus::Reminded);
            }
        }
    }
    counts.insert("nudges sent", nudges_sent);
    counts.insert("nudge reminders", reminders);
    Ok(DemoSummary { counts })
}
