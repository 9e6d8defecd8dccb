//! What the benchmarks share: reading a process's CPU time and memory from /proc, percentiles, the machine
//! line, a Slack team config for `amplifier run` against the fake, and seeding published posts.
#![allow(dead_code)]

use amplifier::store::{DraftStatus, NewPost, PostId, PostStatus, Store};
use chrono::{DateTime, Utc};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// User and system CPU time a process has used so far (`/proc/PID/stat`, in clock ticks of 10 ms).
pub fn cpu_of(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at ") ".
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the stat line, 12 and 13 after the state field's start.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

pub fn cpu_of_self() -> Duration {
    cpu_of("self")
}

/// A line of `/proc/PID/status` (`VmRSS`, `VmHWM`) in kB.
pub fn status_kb(pid: &str, key: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!("{cores} cores, load average {}", load.join(" "))
}

pub fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "MISS"
    }
}

/// The release binary the bench profile built beside this benchmark.
pub const BINARY: &str = env!("CARGO_BIN_EXE_amplifier");

/// A config for `amplifier run` on the fake Slack in Socket Mode: one team with Alice leading and `members`.
pub fn slack_config(api_url: &str, database_url: &str, members: &[String]) -> String {
    let members = members
        .iter()
        .map(|m| format!("\"{m}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"[database]
url = "{database_url}"
[http]
listen = "127.0.0.1:0"
[slack]
bot_token = "xoxb-fake-bot-token"
app_token = "xapp-fake-app-token"
api_base_url = "{api_url}"
[[teams]]
name = "Leadership"
platform = "slack"
workspace_id = "T0FAKE0001"
leaders = ["U0ALICE001"]
approvers = ["U0CAROL001"]
members = [{members}]
share_channel = "C0AMPLIFY1"
time_zone = "UTC"
networks = ["linkedin", "x", "bluesky"]
"#
    )
}

/// Starts `amplifier run --config PATH`, its log going to `bot.log` beside the config.
pub fn spawn_bot(config_path: &std::path::Path, envs: &[(&str, String)]) -> Child {
    let log = config_path.with_file_name("bot.log");
    let out = std::fs::File::create(&log).expect("a log file");
    let err = out.try_clone().expect("a log file");
    let mut cmd = Command::new(BINARY);
    cmd.arg("run")
        .arg("--config")
        .arg(config_path)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.spawn().expect("the release binary starts")
}

/// SIGTERM and wait (SIGKILL after 20 s).
pub fn stop(mut child: Child) {
    let pid = child.id().to_string();
    let _ = Command::new("kill").arg("-TERM").arg(&pid).status();
    for _ in 0..200 {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// `count` published posts by `author` in `team` (approved drafts made posts), for members to press
/// *Shared on …* under.
pub async fn seed_posts(
    store: &dyn Store,
    team: &str,
    author: &str,
    count: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<PostId>> {
    let team = store
        .team_by_name(team)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no team {team}"))?;
    let author = store
        .person_by_platform_id(team.platform, &team.workspace_id, author)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no author {author}"))?;
    let mut posts = Vec::new();
    for i in 0..count {
        let body =
            format!("Insight number {i}: small teams ship faster when reviews are same-day.");
        let draft = store
            .create_draft(team.id, author.id, None, &body, now)
            .await?;
        store
            .set_draft_status(draft, DraftStatus::Approved, now)
            .await?;
        let post = store
            .create_post(
                &NewPost {
                    draft_id: draft,
                    version: 1,
                    status: PostStatus::Published,
                    publish_at: None,
                },
                now,
            )
            .await?
            .id();
        store
            .mark_post_published(
                post,
                &format!("C0AMPLIFY1/{}.000{i:03}", now.timestamp()),
                now,
            )
            .await?;
        posts.push(post);
    }
    Ok(posts)
}

/// The log lines at WARN or ERROR that the bot wrote to `bot.log` beside its config.
pub fn bot_warnings(config_path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(config_path.with_file_name("bot.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
        .map(str::to_string)
        .collect()
}
