//! The real `amplifier run` binary against the fake platforms, for the reliability suites (crash, faults,
//! replicas): a process handle that reads its JSON log lines, the config of a Slack and a Discord team with
//! many members, and a database seeded with an approved post due to publish (so a start fans nudges out).
//! Set `AMPLIFIER_TEST_LOG_DIR` to keep each process's log there (one file per process) after a run.

use super::fake_discord::{FakeDiscord, APPLICATION_ID};
use super::fake_slack::{FakeSlack, APP_TOKEN, BOT_TOKEN, TEAM};
use amplifier::clock::ScaledClock;
use amplifier::store::{DraftStatus, NewPost, NudgeStatus, PostId, PostStatus, Role, Store};
use chrono::{DateTime, TimeZone, Utc};
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub type Failed = Box<dyn std::error::Error + Send + Sync>;

pub const DISCORD_GUILD: &str = "1100000000000000002";
pub const DISCORD_LEADER: &str = "1100000000000000003";
pub const DISCORD_SHARE_CHANNEL: &str = "1100000000000000006";
pub const SLACK_LEADER: &str = "U0ALICE001";
pub const SLACK_SHARE_CHANNEL: &str = "C0AMPLIFY1";
/// The opening words of a first nudge (not of its reminder).
pub const NUDGE_TEXT: &str = "A teammate just published.";

/// Discord member ids: 17+ digit snowflakes.
pub fn discord_members(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("{}", 1_150_000_000_000_000_000u64 + i as u64))
        .collect()
}

/// Slack member ids: `U` and eight more characters.
pub fn slack_members(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("U0M{i:07}")).collect()
}

/// The `AMPLIFIER_TEST_CLOCK` value and the same clock for the fakes: `start` now, `scale` times faster.
pub fn scaled_clock(start: DateTime<Utc>, scale: f64) -> (String, ScaledClock) {
    let origin = Utc::now();
    let setting = format!(
        "start={} origin={} scale={scale}",
        start.to_rfc3339(),
        origin.timestamp_millis()
    );
    let clock = ScaledClock::from_setting(&setting).expect("a valid test clock");
    (setting, clock)
}

/// Where `AMPLIFIER_TEST_BINARY` points to a built `amplifier` (CI sets it to the release build, so the
/// wall-clock suite measures what users run).
pub const BINARY_VAR: &str = "AMPLIFIER_TEST_BINARY";

/// The `amplifier` the process tests run: [`BINARY_VAR`] when set, else the one `cargo test` built.
pub fn amplifier_binary() -> PathBuf {
    std::env::var_os(BINARY_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_amplifier")))
}

/// What goes in the config besides the teams.
pub struct Setup<'a> {
    pub database_url: &'a str,
    pub slack: Option<&'a FakeSlack>,
    pub discord: Option<&'a FakeDiscord>,
    pub slack_members: &'a [String],
    pub discord_members: &'a [String],
    /// Extra keys for every team (schedules).
    pub team_extra: &'a str,
}

fn list(ids: &[String]) -> String {
    let quoted: Vec<String> = ids.iter().map(|id| format!("\"{id}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

/// A config with a Slack team and a Discord team (each only when its fake is given), JSON logs at debug.
pub fn config(setup: &Setup<'_>) -> String {
    let mut text = format!(
        "[log]\nformat = \"json\"\nlevel = \"amplifier=debug,info\"\n[http]\nlisten = \"127.0.0.1:0\"\n\
         [database]\nurl = \"{}\"\n",
        setup.database_url
    );
    if let Some(slack) = setup.slack {
        text += &format!(
            "[slack]\nbot_token = \"{BOT_TOKEN}\"\napp_token = \"{APP_TOKEN}\"\napi_base_url = \"{}\"\n",
            slack.api_url
        );
    }
    if let Some(discord) = setup.discord {
        text += &format!(
            "[discord]\nbot_token = \"test-token\"\napplication_id = \"{APPLICATION_ID}\"\napi_base_url = \"{}\"\n",
            discord.base_url
        );
    }
    if setup.slack.is_some() {
        text += &format!(
            "[[teams]]\nname = \"Leadership\"\nplatform = \"slack\"\nworkspace_id = \"{TEAM}\"\n\
             leaders = [\"{SLACK_LEADER}\"]\nself_approval = true\nmembers = {}\n\
             share_channel = \"{SLACK_SHARE_CHANNEL}\"\ntime_zone = \"UTC\"\n{}\n",
            list(setup.slack_members),
            setup.team_extra
        );
    }
    if setup.discord.is_some() {
        text += &format!(
            "[[teams]]\nname = \"Community\"\nplatform = \"discord\"\nworkspace_id = \"{DISCORD_GUILD}\"\n\
             leaders = [\"{DISCORD_LEADER}\"]\nself_approval = true\nmembers = {}\n\
             share_channel = \"{DISCORD_SHARE_CHANNEL}\"\ntime_zone = \"UTC\"\n{}\n",
            list(setup.discord_members),
            setup.team_extra
        );
    }
    text
}

pub fn write_config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("amplifier.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// Syncs the config's teams and gives each team's leader an approved post that publishes at `at`, as if
/// the week's review had just ended: the next `amplifier run` publishes it and fans the nudges out.
pub async fn seed_approved_posts(
    config: &Path,
    at: DateTime<Utc>,
) -> anyhow::Result<Vec<amplifier::store::PostId>> {
    let config = amplifier::config::Config::load(config, &|_| None)?;
    let store = amplifier::store::open(&config.database_url()).await?;
    store.migrate().await?;
    amplifier::teams::sync_config_teams(&*store, &config, at).await?;
    let mut posts = Vec::new();
    for team in store.teams().await? {
        posts.push(
            seed_post(
                &*store,
                team.id,
                at,
                &format!("What {} learned this week", team.name),
            )
            .await?,
        );
    }
    store.close().await;
    Ok(posts)
}

/// One approved post by the team's leader, scheduled for `at`.
pub async fn seed_post(
    store: &dyn Store,
    team: amplifier::store::TeamId,
    at: DateTime<Utc>,
    body: &str,
) -> anyhow::Result<amplifier::store::PostId> {
    let leader = store
        .team_people(team)
        .await?
        .into_iter()
        .find(|(_, role)| *role == Role::Leader)
        .map(|(p, _)| p.id)
        .ok_or_else(|| anyhow::anyhow!("the team has no leader"))?;
    let draft = store.create_draft(team, leader, None, body, at).await?;
    store
        .set_draft_status(draft, DraftStatus::Approved, at)
        .await?;
    let post = store
        .create_post(
            &NewPost {
                draft_id: draft,
                version: 1,
                status: PostStatus::Scheduled,
                publish_at: Some(at),
            },
            at,
        )
        .await?
        .id();
    Ok(post)
}

/// A running `amplifier run` whose stderr (JSON log lines) arrives on a channel.
pub struct Running {
    pub child: Child,
    lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
    pub name: String,
}

impl Running {
    pub fn start(
        name: &str,
        config: &Path,
        clock_setting: &str,
        env: &[(&str, &str)],
    ) -> Result<Running, Failed> {
        let mut cmd = Command::new(amplifier_binary());
        for var in [
            "AMPLIFIER_CONFIG",
            "AMPLIFIER_DATABASE_URL",
            "AMPLIFIER_SLACK_BOT_TOKEN",
            "AMPLIFIER_SLACK_APP_TOKEN",
            "AMPLIFIER_SLACK_SIGNING_SECRET",
            "AMPLIFIER_DISCORD_TOKEN",
            "RUST_LOG",
        ] {
            cmd.env_remove(var);
        }
        cmd.env_remove(amplifier::cli::TEST_CLOCK_VAR);
        // An empty setting: the system clock, as in production.
        if !clock_setting.is_empty() {
            cmd.env(amplifier::cli::TEST_CLOCK_VAR, clock_setting);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .arg("run")
            .arg("--config")
            .arg(config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Running {
            child,
            lines,
            seen: Vec::new(),
            name: name.to_string(),
        })
    }

    /// Waits (until `deadline`) for the next log line not yet looked at that `matches`; `Ok(None)` if the
    /// process ended first.
    pub fn next_matching(
        &mut self,
        deadline: Instant,
        matches: impl Fn(&str) -> bool,
    ) -> Result<Option<String>, Failed> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if matches(&line) {
                        return Ok(Some(line));
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(None),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    return Err(format!(
                        "{}: no such log line in time; last lines:\n{}",
                        self.name,
                        self.tail(30)
                    )
                    .into())
                }
            }
        }
    }

    /// The first log line (seen already or within `within`) that `matches`.
    pub fn wait_for(
        &mut self,
        what: &str,
        within: Duration,
        matches: impl Fn(&str) -> bool,
    ) -> Result<String, Failed> {
        if let Some(line) = self.seen.iter().find(|l| matches(l)) {
            return Ok(line.clone());
        }
        match self.next_matching(Instant::now() + within, matches) {
            Ok(Some(line)) => Ok(line),
            Ok(None) => {
                Err(format!("{}: exited before {what}:\n{}", self.name, self.tail(40)).into())
            }
            Err(e) => Err(format!("{}: waiting for {what}: {e}", self.name).into()),
        }
    }

    pub fn tail(&self, n: usize) -> String {
        let from = self.seen.len().saturating_sub(n);
        self.seen[from..].join("\n")
    }

    /// Takes the log lines that arrived so far without waiting.
    pub fn drain(&mut self) {
        self.seen.extend(self.lines.try_iter());
    }

    /// SIGKILL: no chance to release or acknowledge anything.
    pub fn kill(mut self) -> Result<Vec<String>, Failed> {
        self.child.kill()?;
        self.child.wait()?;
        self.seen.extend(self.lines.iter());
        Ok(self.seen.clone())
    }

    /// SIGTERM, then the exit status (within `within`), how long the exit took, and the whole log.
    pub fn terminate(
        mut self,
        within: Duration,
    ) -> Result<(ExitStatus, Duration, Vec<String>), Failed> {
        let asked = Instant::now();
        Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()?;
        // The log ends when the process does (its stderr closes): wait for that, within the deadline.
        loop {
            let left = within.saturating_sub(asked.elapsed());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait()?;
                    return Ok((status, asked.elapsed(), self.seen.clone()));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return Err(format!(
                        "{} did not exit within {within:?} of SIGTERM:\n{}",
                        self.name,
                        self.tail(40)
                    )
                    .into());
                }
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(dir) = std::env::var("AMPLIFIER_TEST_LOG_DIR") {
            let _ = std::fs::write(
                Path::new(&dir).join(format!("{}.log", self.name.replace(' ', "_"))),
                self.seen.join("\n"),
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether a log line says the outbox row `key_prefix…` was delivered.
pub fn delivered(line: &str, key_prefix: &str) -> bool {
    line.contains("\"delivered\"") && line.contains(&format!("\"key\":\"{key_prefix}"))
}

/// The first nudges each person got on Discord (by member id), counted from the fake's DM channels.
pub fn discord_nudges(fake: &FakeDiscord, members: &[String]) -> Vec<(String, usize)> {
    members
        .iter()
        .map(|m| {
            let n = fake.dm_channel_of(m).map_or(0, |c| {
                fake.messages_in(&c)
                    .iter()
                    .filter(|b| {
                        b["content"]
                            .as_str()
                            .is_some_and(|t| t.contains(NUDGE_TEXT))
                    })
                    .count()
            });
            (m.clone(), n)
        })
        .collect()
}

/// The first nudges each person got on Slack, counted from the fake's IM channels.
pub fn slack_nudges(fake: &FakeSlack, members: &[String]) -> Vec<(String, usize)> {
    members
        .iter()
        .map(|m| {
            let im = fake.im_of(m);
            let n = fake
                .messages_in(&im)
                .iter()
                .filter(|(_, text, _)| text.contains(NUDGE_TEXT))
                .count();
            (m.clone(), n)
        })
        .collect()
}

/// The fake platforms, a SQLite database with an approved post per team, and the clock they share.
pub struct FanOut {
    pub rt: tokio::runtime::Runtime,
    pub discord: FakeDiscord,
    pub slack: FakeSlack,
    pub socket: super::fake_slack::socket::FakeSocket,
    pub discord_members: Vec<String>,
    pub slack_members: Vec<String>,
    pub config: std::path::PathBuf,
    pub database_url: String,
    pub clock_setting: String,
    pub posts: Vec<PostId>,
    _dir: tempfile::TempDir,
    /// The timeline the processes and the fakes share.
    pub clock: ScaledClock,
}

/// A Tuesday 10:00 UTC: inside everyone's working hours for the whole run.
pub fn fan_out_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 3, 10, 0, 0).unwrap()
}

impl FanOut {
    /// `members` on each platform, the clock `scale` times faster from [`fan_out_start`], `team_extra` in
    /// both teams' config.
    pub fn new(members: usize, scale: f64, team_extra: &str) -> Result<FanOut, Failed> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let (clock_setting, clock) = scaled_clock(fan_out_start(), scale);
        let clock_copy = clock;
        let clock: Arc<dyn amplifier::clock::Clock> = Arc::new(clock);
        let (discord, slack, socket) = rt.block_on(async {
            let discord = FakeDiscord::start(clock.clone()).await;
            let slack = FakeSlack::start(clock.clone()).await;
            let socket = slack.socket_mode().await;
            (discord, slack, socket)
        });
        let discord_members = discord_members(members);
        let slack_members = slack_members(members);
        for (i, m) in slack_members.iter().enumerate() {
            slack.add_user(m, &format!("member{i}"), "UTC");
        }
        let dir = tempfile::tempdir()?;
        let database_url = format!("sqlite://{}", dir.path().join("amplifier.db").display());
        let text = config(&Setup {
            database_url: &database_url,
            slack: Some(&slack),
            discord: Some(&discord),
            slack_members: &slack_members,
            discord_members: &discord_members,
            team_extra,
        });
        let config = write_config(dir.path(), &text);
        let posts = rt.block_on(seed_approved_posts(&config, fan_out_start()))?;
        Ok(FanOut {
            rt,
            discord,
            slack,
            socket,
            discord_members,
            slack_members,
            config,
            database_url,
            clock_setting,
            posts,
            _dir: dir,
            clock: clock_copy,
        })
    }

    pub fn start(&self, name: &str) -> Result<Running, Failed> {
        Running::start(name, &self.config, &self.clock_setting, &[])
    }

    pub fn total(&self) -> usize {
        self.discord_members.len() + self.slack_members.len()
    }

    /// The status of every nudge row of every seeded post, from the database.
    pub fn nudge_statuses(&self) -> Result<Vec<NudgeStatus>, Failed> {
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
    pub fn failed_deliveries(&self) -> Result<Vec<String>, Failed> {
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
pub fn delivered_nudge(line: &str) -> Option<String> {
    delivered_on(line).map(|(key, _)| key)
}

/// The nudge row whose delivery a log line reports, and its platform.
pub fn delivered_on(line: &str) -> Option<(String, String)> {
    if !delivered(line, "nudge:") {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    Some((
        v["key"].as_str()?.to_string(),
        v["platform"].as_str()?.to_string(),
    ))
}

/// Runs `run` until every nudge row was reported delivered (by it or an earlier process), within `within`.
pub fn until_all_delivered(
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
