//! The `amplifier` binary as a person uses it: `check`, `migrate` and `run`, with good and bad configs.

mod support;

use libtest_mimic::{Arguments, Failed, Trial};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![
        Trial::test(
            "check_example_prints_next_prompt_times",
            check_example_prints_next_prompt_times,
        ),
        Trial::test(
            "check_reports_each_kind_of_bad_config_with_its_key",
            check_reports_each_kind_of_bad_config_with_its_key,
        ),
        Trial::test(
            "check_reports_every_problem_at_once",
            check_reports_every_problem_at_once,
        ),
        Trial::test(
            "check_without_a_config_file_says_how_to_get_one",
            check_without_a_config_file_says_how_to_get_one,
        ),
        Trial::test(
            "migrate_creates_the_schema_on_a_fresh_sqlite_file",
            migrate_creates_the_schema_on_a_fresh_sqlite_file,
        ),
        Trial::test(
            "run_with_nothing_configured_names_the_keys_and_variables",
            run_with_nothing_configured_names_the_keys_and_variables,
        ),
        Trial::test(
            "run_syncs_teams_opens_rounds_and_stops_on_sigterm",
            run_syncs_teams_opens_rounds_and_stops_on_sigterm,
        ),
        Trial::test("help_and_version", help_and_version),
        Trial::test(
            "export_writes_json_and_csv_and_names_unknown_teams",
            export_writes_json_and_csv_and_names_unknown_teams,
        ),
        Trial::test(
            "check_live_reports_missing_slack_scopes",
            check_live_reports_missing_slack_scopes,
        ),
        Trial::test(
            "run_connects_to_slack_in_socket_mode_and_delivers_prompts",
            run_connects_to_slack_in_socket_mode_and_delivers_prompts,
        ),
        Trial::test(
            "run_logs_no_message_bodies_or_secrets_at_info",
            run_logs_no_message_bodies_or_secrets_at_info,
        ),
        Trial::test(
            "run_registers_the_command_and_delivers_prompts_to_discord",
            run_registers_the_command_and_delivers_prompts_to_discord,
        ),
        Trial::test(
            "demo_runs_the_week_offline_and_its_summary_matches_the_transcript",
            demo_runs_the_week_offline_and_its_summary_matches_the_transcript,
        ),
    ];
    trials.push(support::postgres_trial(
        "migrate_creates_the_schema_on_a_fresh_postgres_database",
        migrate_on_postgres,
    ));
    libtest_mimic::run(&args, trials).exit();
}

fn amplifier() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_amplifier"));
    // The tests decide every input: no inherited overrides.
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
    cmd
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml")
}

const SHELL_TEAM: &str = r#"
[[teams]]
name = "Demo"
platform = "shell"
workspace_id = "local"
leaders = ["alice"]
approvers = ["carol"]
members = ["dan", "erin"]
share_channel = "general"
time_zone = "Europe/Berlin"
"#;

fn write_config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("amplifier.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

fn check_example_prints_next_prompt_times() -> Result<(), Failed> {
    let output = amplifier()
        .args(["check", "--config"])
        .arg(example())
        .output()?;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("is valid"), "{stdout}");
    // Leadership: Mondays 09:00 Berlin; Community: "30 8 * * 2", Unix day 2 = Tuesday, 08:30 New York.
    let mondays = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("Mon ") && l.ends_with("09:00 CET"))
        .count();
    let tuesdays = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("Tue ") && l.contains("08:30 E"))
        .count();
    assert_eq!((mondays, tuesdays), (3, 3), "{stdout}");
    assert!(
        !stdout.contains("replace-me"),
        "secrets never print: {stdout}"
    );
    Ok(())
}

fn check_reports_each_kind_of_bad_config_with_its_key() -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let cases: &[(&str, String, &[&str])] = &[
        (
            "unknown zone",
            SHELL_TEAM.replace("Europe/Berlin", "Europe/Pariss"),
            &["teams[0].time_zone", "did you mean \"Europe/Paris\""],
        ),
        (
            "bad cron field",
            format!("{SHELL_TEAM}prompt_schedule = \"0 9 * * 8\"\n"),
            &["teams[0].prompt_schedule", "day-of-week"],
        ),
        (
            "bad duration",
            format!("{SHELL_TEAM}reminder_after = \"tomorrow\"\n"),
            &["teams[0].reminder_after", "24h"],
        ),
        (
            "bad platform id",
            SHELL_TEAM.replace("\"alice\"", "\"alice smith\""),
            &["teams[0].leaders[0]"],
        ),
        (
            "duplicate team",
            format!("{SHELL_TEAM}{SHELL_TEAM}"),
            &["teams[1].name", "unique"],
        ),
        (
            "no approver",
            SHELL_TEAM.replace("approvers = [\"carol\"]\n", ""),
            &["teams[0].approvers", "self_approval"],
        ),
        (
            "never fires",
            format!("{SHELL_TEAM}prompt_schedule = \"0 9 31 4 *\"\n"),
            &["teams[0].prompt_schedule", "never fires"],
        ),
        (
            "unknown key",
            format!("{SHELL_TEAM}time_zon = \"UTC\"\n"),
            &["time_zon"],
        ),
        (
            "slack ids on a slack team",
            SHELL_TEAM.replace("platform = \"shell\"", "platform = \"slack\""),
            &["teams[0].workspace_id", "slack.bot_token"],
        ),
    ];
    for (what, config, expected) in cases {
        let path = write_config(dir.path(), config);
        let output = amplifier()
            .arg("check")
            .arg("--config")
            .arg(&path)
            .output()?;
        let (_, stderr) = text(&output);
        assert!(!output.status.success(), "{what}: should fail");
        for needle in *expected {
            assert!(
                stderr.contains(needle),
                "{what}: {needle:?} not in:\n{stderr}"
            );
        }
    }
    Ok(())
}

fn check_reports_every_problem_at_once() -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let config = SHELL_TEAM
        .replace("approvers = [\"carol\"]\n", "")
        .replace("\"dan\"", "\"dan smith\"");
    let path = write_config(dir.path(), &config);
    let output = amplifier()
        .arg("check")
        .arg("--config")
        .arg(&path)
        .output()?;
    let (_, stderr) = text(&output);
    assert!(stderr.contains("2 problems"), "{stderr}");
    assert!(
        stderr.contains("teams[0].approvers") && stderr.contains("teams[0].members[0]"),
        "{stderr}"
    );
    Ok(())
}

fn check_without_a_config_file_says_how_to_get_one() -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let output = amplifier().arg("check").current_dir(dir.path()).output()?;
    let (_, stderr) = text(&output);
    assert!(!output.status.success());
    assert!(
        stderr.contains("amplifier.toml") && stderr.contains("config.example.toml"),
        "{stderr}"
    );
    Ok(())
}

fn migrate_creates_the_schema_on_a_fresh_sqlite_file() -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let path = write_config(dir.path(), SHELL_TEAM);
    for _ in 0..2 {
        let output = amplifier()
            .arg("migrate")
            .arg("--config")
            .arg(&path)
            .output()?;
        let (stdout, stderr) = text(&output);
        assert!(output.status.success(), "{stderr}");
        assert!(
            stdout.contains(&format!("schema version {}", latest_schema())),
            "{stdout}"
        );
    }
    let db = dir.path().join("amplifier.db");
    assert!(db.exists(), "the default database sits next to the config");
    let tables = runtime().block_on(async {
        let store = amplifier::store::open(&format!("sqlite://{}", db.display())).await?;
        let version = store.schema_version().await?;
        store.close().await;
        anyhow::Ok(version)
    })?;
    assert_eq!(tables, Some(latest_schema()));
    Ok(())
}

fn migrate_on_postgres(admin_url: &str) -> Result<(), Failed> {
    let rt = runtime();
    let (url, name) = rt.block_on(support::create_database(admin_url))?;
    let dir = tempfile::tempdir()?;
    let path = write_config(dir.path(), SHELL_TEAM);
    let output = amplifier()
        .arg("migrate")
        .arg("--config")
        .arg(&path)
        .env("AMPLIFIER_DATABASE_URL", &url)
        .output()?;
    let (stdout, stderr) = text(&output);
    let version = rt.block_on(async {
        let store = amplifier::store::open(&url).await?;
        let version = store.schema_version().await?;
        store.close().await;
        anyhow::Ok(version)
    });
    rt.block_on(support::drop_database(admin_url, &name))?;
    assert!(output.status.success(), "{stderr}");
    assert!(
        stdout.contains(&format!("schema version {}", latest_schema()))
            && stdout.contains("postgres://"),
        "{stdout}"
    );
    assert_eq!(version?, Some(latest_schema()));
    assert!(
        !dir.path().join("amplifier.db").exists(),
        "the environment's URL wins over the default"
    );
    Ok(())
}

fn run_with_nothing_configured_names_the_keys_and_variables() -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let path = write_config(dir.path(), "[log]\nlevel = \"info\"\n");
    let output = amplifier().arg("run").arg("--config").arg(&path).output()?;
    let (_, stderr) = text(&output);
    assert!(!output.status.success());
    for needle in [
        "AMPLIFIER_SLACK_BOT_TOKEN",
        "AMPLIFIER_SLACK_APP_TOKEN",
        "AMPLIFIER_DISCORD_TOKEN",
        "discord.application_id",
        "platform = \"shell\"",
    ] {
        assert!(stderr.contains(needle), "{needle} not in:\n{stderr}");
    }
    Ok(())
}

fn run_syncs_teams_opens_rounds_and_stops_on_sigterm() -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    // Every minute, so the catch-up at start always has a slot within the window to open.
    let config = format!("[log]\nformat = \"json\"\n[http]\nlisten = \"127.0.0.1:0\"\n{SHELL_TEAM}prompt_schedule = \"* * * * *\"\n");
    let path = write_config(dir.path(), &config);
    let mut run = Running::start(&path)?;
    run.wait_for("a round opened", |l| l.contains("round opened"))?;
    assert!(
        run.seen.iter().all(|l| l.starts_with('{')),
        "log.format = json gives JSON lines: {:?}",
        run.seen
    );
    assert!(
        run.seen.iter().any(|l| l.contains("scheduler running")),
        "{:?}",
        run.seen
    );
    let (exit, log) = run.stop()?;
    assert!(exit.success(), "graceful exit on SIGTERM: {exit:?}\n{log}");
    let (teams, rounds) = runtime().block_on(async {
        let store = amplifier::store::open(&format!(
            "sqlite://{}",
            dir.path().join("amplifier.db").display()
        ))
        .await?;
        let teams = store.teams().await?;
        let rounds = store.last_round_slot(teams[0].id).await?;
        store.close().await;
        anyhow::Ok((teams, rounds))
    })?;
    assert_eq!(teams.len(), 1);
    assert_eq!(teams[0].name, "Demo");
    assert!(rounds.is_some(), "the catch-up opened a round");
    Ok(())
}

/// A running `amplifier run` whose log lines (stderr) arrive on a channel, so tests wait on what it says
/// rather than sleeping.
struct Running {
    child: std::process::Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(config: &Path) -> Result<Running, Failed> {
        let mut child = amplifier()
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
        })
    }

    /// The first log line (already seen or still to come, within 60 s) that `matches`.
    fn wait_for(&mut self, what: &str, matches: impl Fn(&str) -> bool) -> Result<String, Failed> {
        if let Some(line) = self.seen.iter().find(|l| matches(l)) {
            return Ok(line.clone());
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if matches(&line) {
                        return Ok(line);
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    return Err(format!(
                        "no log line for {what} within 60 s:\n{}",
                        self.seen.join("\n")
                    )
                    .into());
                }
            }
        }
    }

    /// SIGTERM, then the exit status (within 30 s) and the whole log.
    fn stop(self) -> Result<(std::process::ExitStatus, String), Failed> {
        let Running {
            mut child,
            lines,
            mut seen,
        } = self;
        let pid = child.id().to_string();
        Command::new("kill").arg("-TERM").arg(&pid).status()?;
        let (tx, exited) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        let status = match exited.recv_timeout(Duration::from_secs(30)) {
            Ok(status) => status?,
            Err(_) => {
                let _ = Command::new("kill").arg("-KILL").arg(&pid).status();
                return Err("the process did not exit within 30 s of SIGTERM".into());
            }
        };
        seen.extend(lines.try_iter());
        Ok((status, seen.join("\n")))
    }
}

/// Whether a log line says the outbox row behind a weekly question was delivered.
fn prompt_delivered(line: &str) -> bool {
    line.contains("\"delivered\"") && line.contains("\"key\":\"ask:") && line.contains(":prompt\"")
}

fn help_and_version() -> Result<(), Failed> {
    let help = amplifier().arg("--help").output()?;
    let (stdout, _) = text(&help);
    for word in ["run", "check", "migrate", "--config"] {
        assert!(stdout.contains(word), "{word} not in help:\n{stdout}");
    }
    let version = amplifier().arg("--version").output()?;
    assert!(text(&version).0.contains(env!("CARGO_PKG_VERSION")));
    Ok(())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// The newest migration's number: the schema version a fresh `migrate` reaches.
fn latest_schema() -> i64 {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    std::fs::read_dir(dir)
        .expect("migrations/sqlite")
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .split('_')
                .next()?
                .parse::<i64>()
                .ok()
        })
        .max()
        .expect("at least one migration")
}

fn demo_runs_the_week_offline_and_its_summary_matches_the_transcript() -> Result<(), Failed> {
    let output = amplifier().arg("demo").output()?;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let summary = |label: &str| -> i64 {
        stdout
            .lines()
            .find_map(|l| {
                l.trim_start()
                    .strip_prefix(label)
                    .map(|rest| rest.trim().parse::<i64>().unwrap_or(-1))
            })
            .unwrap_or(-1)
    };
    let lines: Vec<&str> = stdout.lines().collect();
    let shown = |needle: &str| lines.iter().filter(|l| l.contains(needle)).count() as i64;
    let channel_then = |needle: &str| {
        lines
            .windows(2)
            .filter(|w| w[0] == "→ #amplify:" && w[1].contains(needle))
            .count() as i64
    };
    assert_eq!(
        summary("prompts sent"),
        shown("Your question this week, for"),
        "{stdout}"
    );
    assert_eq!(
        summary("nudges sent"),
        shown("A teammate just published."),
        "{stdout}"
    );
    assert_eq!(
        summary("nudge reminders"),
        shown("A last nudge:"),
        "{stdout}"
    );
    assert_eq!(
        summary("shares confirmed"),
        shown("Thanks for sharing on"),
        "{stdout}"
    );
    assert_eq!(
        summary("changes requested"),
        shown("asked for changes to"),
        "{stdout}"
    );
    assert_eq!(
        summary("submissions"),
        shown("Submitted for review") + shown("Submitted to "),
        "{stdout}"
    );
    assert_eq!(
        summary("posts published"),
        channel_then("New from"),
        "{stdout}"
    );
    assert_eq!(summary("digests"), channel_then("'s week"), "{stdout}");
    assert_eq!(
        summary("asks skipped"),
        shown("Skipped for this week"),
        "{stdout}"
    );
    // The week has every step of the routine at least once.
    for label in [
        "prompts sent",
        "nudges sent",
        "nudge reminders",
        "shares confirmed",
        "changes requested",
        "posts published",
        "digests",
        "approvals",
    ] {
        assert!(summary(label) >= 1, "{label}: {stdout}");
    }
    Ok(())
}

fn run_registers_the_command_and_delivers_prompts_to_discord() -> Result<(), Failed> {
    use support::fake_discord::{FakeDiscord, APPLICATION_ID};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let fake = rt.block_on(FakeDiscord::start(std::sync::Arc::new(
        amplifier::clock::SystemClock,
    )));
    let dir = tempfile::tempdir()?;
    let awake = awake_now();
    let config = format!(
        r#"[log]
format = "json"
level = "amplifier=debug,info"
[http]
listen = "127.0.0.1:0"
[discord]
bot_token = "test-token"
application_id = "{APPLICATION_ID}"
api_base_url = "{}"
[[teams]]
name = "Community"
platform = "discord"
workspace_id = "1100000000000000002"
leaders = ["1100000000000000003"]
self_approval = true
share_channel = "1100000000000000006"
time_zone = "UTC"
prompt_schedule = "* * * * *"
{awake}
"#,
        fake.base_url
    );
    let path = write_config(dir.path(), &config);
    let mut run = Running::start(&path)?;
    run.wait_for("the prompt delivered to Discord", prompt_delivered)?;
    let requests = fake.requests();
    let registered = requests.iter().position(|r| {
        r.method == "PUT"
            && r.path
                == format!("/applications/{APPLICATION_ID}/guilds/1100000000000000002/commands")
    });
    let first_message = requests.iter().position(|r| r.path.ends_with("/messages"));
    assert!(
        registered.is_some() && registered < first_message,
        "the command is registered in the team's server first: {:?}",
        requests
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect::<Vec<_>>()
    );
    assert!(
        requests
            .iter()
            .any(|r| r.method == "POST" && r.path == "/users/@me/channels"),
        "the DM channel is opened"
    );
    assert_eq!(fake.violations(), Vec::<String>::new());
    check_http(&mut run, "discord")?;
    let (exit, log) = run.stop()?;
    assert!(exit.success(), "graceful exit: {exit:?}\n{log}");
    drop(rt);
    Ok(())
}

fn run_connects_to_slack_in_socket_mode_and_delivers_prompts() -> Result<(), Failed> {
    let log = run_on_fake_slack("amplifier=debug,info", prompt_delivered)?;
    assert_no_secrets(&log);
    Ok(())
}

/// At `info`, the log names what happened but never a message body (here the weekly question) or a token.
fn run_logs_no_message_bodies_or_secrets_at_info() -> Result<(), Failed> {
    let log = run_on_fake_slack("info", |line| {
        line.contains("\"delivery pass\"") && !line.contains("\"sent\":0")
    })?;
    assert_no_secrets(&log);
    assert!(
        !log.contains("Your question this week"),
        "a message body was logged at info:\n{log}"
    );
    Ok(())
}

fn assert_no_secrets(log: &str) {
    use support::fake_slack::{APP_TOKEN, BOT_TOKEN};
    for secret in [BOT_TOKEN, APP_TOKEN] {
        assert!(!log.contains(secret), "a token was logged:\n{log}");
    }
}

/// Runs the binary against a fake Slack at the log `level` until a log line `until`, checks the prompt went out
/// and health and metrics answer, stops it with SIGTERM, and returns the whole log.
fn run_on_fake_slack(level: &str, until: fn(&str) -> bool) -> Result<String, Failed> {
    use support::fake_slack::{FakeSlack, APP_TOKEN, BOT_TOKEN, TEAM};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (fake, _socket) = rt.block_on(async {
        let fake = FakeSlack::start(std::sync::Arc::new(amplifier::clock::SystemClock)).await;
        let socket = fake.socket_mode().await;
        (fake, socket)
    });
    let dir = tempfile::tempdir()?;
    let awake = awake_now();
    let config = format!(
        r#"[log]
format = "json"
level = "{level}"
[http]
listen = "127.0.0.1:0"
[slack]
bot_token = "{BOT_TOKEN}"
app_token = "{APP_TOKEN}"
api_base_url = "{}"
[[teams]]
name = "Leadership"
platform = "slack"
workspace_id = "{TEAM}"
leaders = ["U0ALICE001"]
self_approval = true
share_channel = "C0AMPLIFY1"
time_zone = "UTC"
prompt_schedule = "* * * * *"
{awake}
"#,
        fake.api_url
    );
    let path = write_config(dir.path(), &config);
    let mut run = Running::start(&path)?;
    run.wait_for("the prompt delivered to Slack", until)?;
    assert!(fake
        .calls("chat.postMessage")
        .iter()
        .any(|r| serde_json::Value::Object(r.args.clone())
            .to_string()
            .contains("Your question this week")));
    for method in ["auth.test", "apps.connections.open", "conversations.open"] {
        assert!(!fake.calls(method).is_empty(), "{method} was called");
    }
    assert_eq!(
        fake.calls("auth.test").len(),
        1,
        "the token and its scopes are checked once at start"
    );
    assert_eq!(fake.violations(), Vec::<String>::new());
    check_http(&mut run, "slack")?;
    let (exit, log) = run.stop()?;
    assert!(exit.success(), "graceful exit: {exit:?}\n{log}");
    drop(rt);
    Ok(log)
}

fn check_live_reports_missing_slack_scopes() -> Result<(), Failed> {
    use support::fake_slack::{FakeSlack, APP_TOKEN, BOT_TOKEN};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let fake = rt.block_on(FakeSlack::start(std::sync::Arc::new(
        amplifier::clock::SystemClock,
    )));
    let dir = tempfile::tempdir()?;
    let config = format!("[slack]\nbot_token = \"{BOT_TOKEN}\"\napp_token = \"{APP_TOKEN}\"\napi_base_url = \"{}\"\n", fake.api_url);
    let path = write_config(dir.path(), &config);
    let output = amplifier()
        .args(["check", "--live", "--config"])
        .arg(&path)
        .output()?;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("has every scope the app needs"), "{stdout}");
    fake.set_scopes(&["chat:write", "commands"]);
    let output = amplifier()
        .args(["check", "--live", "--config"])
        .arg(&path)
        .output()?;
    let (_, stderr) = text(&output);
    assert!(!output.status.success());
    assert!(
        stderr.contains("lacks the scopes")
            && stderr.contains("im:history")
            && stderr.contains("reinstall"),
        "{stderr}"
    );
    // `run` refuses to start with the same message rather than fail later at the first DM.
    let run = amplifier()
        .args(["run", "--config"])
        .arg(&path)
        .stdin(Stdio::null())
        .output()?;
    let (_, stderr) = text(&run);
    assert!(
        !run.status.success() && stderr.contains("lacks the scopes"),
        "{stderr}"
    );
    drop(rt);
    Ok(())
}

/// `/healthz`, `/readyz` and `/metrics` of a running `amplifier run`, found from its "http listening" log
/// line. Called after a delivery was logged: sends are counted before that line is written.
fn check_http(run: &mut Running, platform: &str) -> Result<(), Failed> {
    let connected = match platform {
        "slack" => "Slack Socket Mode connected",
        _ => "Discord gateway ready",
    };
    run.wait_for("the platform connected", |l| l.contains(connected))?;
    // Logged after the tick's steps were counted (a step is counted once its transaction commits).
    run.wait_for("the clock work", |l| l.contains("clock work done"))?;
    let line = run.wait_for("the HTTP address", |l| l.contains("http listening"))?;
    let address = serde_json::from_str::<serde_json::Value>(&line)?["address"]
        .as_str()
        .map(str::to_string)
        .ok_or("no address on the 'http listening' line")?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let get = |path: &str| {
            let url = format!("http://{address}{path}");
            async move {
                let answer = reqwest::get(&url).await?;
                let status = answer.status().as_u16();
                Ok::<_, reqwest::Error>((status, answer.text().await?))
            }
        };
        let (status, body) = get("/healthz").await?;
        assert_eq!((status, body.trim()), (200, "ok"));
        let (status, body) = get("/readyz").await?;
        assert_eq!(status, 200, "{body}");
        let needles = [
            "amplifier_prompts_sent_total".to_string(),
            "amplifier_outbox_depth".to_string(),
            r#"amplifier_routine_steps_total{step="ask.sent"}"#.to_string(),
            format!("amplifier_messages_sent_total{{platform=\"{platform}\"}}"),
        ];
        let (status, body) = get("/metrics").await?;
        assert_eq!(status, 200);
        for needle in &needles {
            assert!(body.contains(needle), "{needle} not in /metrics:\n{body}");
        }
        Ok::<_, Failed>(())
    })
}

fn export_writes_json_and_csv_and_names_unknown_teams() -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let path = write_config(dir.path(), SHELL_TEAM);
    // The team is in the database once `run` synced it; `migrate` alone does not sync, so sync via the library.
    runtime().block_on(async {
        let config = amplifier::config::Config::load(&path, &|_| None)?;
        let store = amplifier::store::open(&config.database_url()).await?;
        store.migrate().await?;
        amplifier::teams::sync_config_teams(&*store, &config, chrono::Utc::now()).await?;
        store.close().await;
        anyhow::Ok(())
    })?;
    let out = dir.path().join("demo.json");
    let json = amplifier()
        .args(["export", "--team", "Demo", "--format", "json", "--out"])
        .arg(&out)
        .arg("--config")
        .arg(&path)
        .output()?;
    assert!(json.status.success(), "{}", text(&json).1);
    let export: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out)?)?;
    assert_eq!(export["team"], "Demo");
    assert!(export["drafts"].as_array().is_some_and(|d| d.is_empty()));
    let csv = amplifier()
        .args(["export", "--team", "Demo", "--format", "csv", "--config"])
        .arg(&path)
        .output()?;
    assert!(csv.status.success());
    assert!(
        text(&csv).0.is_empty() || text(&csv).0.starts_with("record,"),
        "{}",
        text(&csv).0
    );
    let missing = amplifier()
        .args(["export", "--team", "Nope", "--config"])
        .arg(&path)
        .output()?;
    assert!(!missing.status.success());
    assert!(
        text(&missing).1.contains("no team \"Nope\""),
        "{}",
        text(&missing).1
    );
    Ok(())
}

/// Team keys that keep the current wall-clock time inside everyone's working hours (quiet hours set hours away,
/// weekends allowed), so a test on the system clock gets its prompt whenever it runs.
fn awake_now() -> String {
    let now = chrono::Utc::now();
    format!(
        "quiet_hours = {{ start = \"{}\", end = \"{}\" }}\nweekends = \"allow\"",
        (now + chrono::Duration::hours(6)).format("%H:00"),
        (now + chrono::Duration::hours(8)).format("%H:00")
    )
}
