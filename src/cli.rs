//! The command line: `run`, `check` (with `--live`), `doctor`, `migrate`, `demo`, `export` and `forget`, each a thin
//! call into library code; `check`'s summary of each team's next prompts is written here.

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigError, Slot, DEFAULT_CONFIG_PATH};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "amplifier",
    version,
    about = "A weekly thought-leadership routine for Slack and Discord teams",
    long_about = "Amplifier prompts leaders for an insight every week, turns their replies into drafts, routes them \
                  through approval in chat, publishes approved posts with a share kit, nudges the team to amplify \
                  them, and reports who did.\n\nStart with `amplifier check` on your config \
                  (see config.example.toml for every key)."
)]
pub struct Cli {
    /// The configuration file.
    #[arg(long, short, global = true, default_value = DEFAULT_CONFIG_PATH, env = "AMPLIFIER_CONFIG")]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Json,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the bot: migrate the database, sync the teams from the config, and run every team's routine.
    Run,
    /// Validate the configuration and print a summary with each team's next prompt times.
    Check {
        /// Also ask Slack whether the bot token is valid and has every scope the app needs.
        #[arg(long)]
        live: bool,
    },
    /// Check a live configuration against the database and the platforms, and say what to fix (exit 1 if anything).
    Doctor,
    /// Apply the database migrations and exit.
    Migrate,
    /// Run a scripted week of the routine offline (shell adapter, temporary SQLite) and print it.
    Demo,
    /// Export a team's posts, drafts with every version, reviews, nudges and share confirmations.
    Export {
        /// The team's name.
        #[arg(long)]
        team: String,
        /// `json` (one document) or `csv` (one row per record).
        #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
        format: ExportFormat,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Delete a person's personal data (what `/amplify forget-me` does), keeping only anonymous counts; audited.
    Forget {
        /// Their platform user id (Slack `U0123ABCD`, a Discord user id).
        #[arg(long)]
        person: String,
        /// The team whose workspace they are in, when the id is stored in several.
        #[arg(long)]
        team: Option<String>,
    },
}

/// Parses the command line and runs the command; errors are printed for a person, with an exit code ≠ 0.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let env = |key: &str| std::env::var(key).ok();
    let now = SystemClock.now();
    let result = match cli.command {
        Command::Check { live } => check(&cli.config, &env, now)
            .map_err(anyhow::Error::from)
            .and_then(|summary| {
                print!("{summary}");
                if live {
                    block_on(check_live(&cli.config, &env))
                } else {
                    Ok(())
                }
            }),
        Command::Doctor => block_on(doctor(&cli.config, &env)),
        Command::Migrate => block_on(migrate(&cli.config, &env)),
        Command::Run => block_on(run(&cli.config, &env)),
        Command::Export { team, format, out } => block_on(export(
            &cli.config,
            &env,
            &team,
            format,
            out.as_deref(),
            now,
        )),
        Command::Forget { person, team } => {
            block_on(forget(&cli.config, &env, &person, team.as_deref(), now))
        }
        Command::Demo => block_on(async {
            let started = std::time::Instant::now();
            let mut out = std::io::stdout().lock();
            crate::demo::run(&mut out).await?;
            println!("  (ran in {:.1} s)", started.elapsed().as_secs_f64());
            Ok(())
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn block_on(future: impl std::future::Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(future)
}

/// `amplifier check`: the summary of a valid config, or every problem with its key.
pub fn check(
    path: &std::path::Path,
    env: &dyn Fn(&str) -> Option<String>,
    now: DateTime<Utc>,
) -> Result<String, ConfigError> {
    let config = Config::load_valid(path, env, now)?;
    Ok(summary(&config, path, now))
}

fn summary(config: &Config, path: &Path, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} is valid.", path.display());
    let _ = writeln!(
        out,
        "database: {}",
        crate::config::redact_password(&config.database_url())
    );
    match &config.slack {
        Some(slack) => {
            let mode = match slack.events_mode() {
                Some(crate::config::SlackEventsMode::SocketMode) => "Socket Mode",
                Some(crate::config::SlackEventsMode::Http) => "HTTP events",
                None => "no event source",
            };
            let _ = writeln!(out, "slack: {mode}, Web API {}", slack.api_base_url);
        }
        None => {
            let _ = writeln!(out, "slack: off");
        }
    }
    match &config.discord {
        Some(discord) => {
            let _ = writeln!(out, "discord: REST {}", discord.api_base_url);
        }
        None => {
            let _ = writeln!(out, "discord: off");
        }
    }
    let _ = writeln!(out, "http: {}", config.http.listen);
    let _ = writeln!(out, "teams: {}", config.teams.len());
    for team in &config.teams {
        let zone = team.time_zone.0;
        let members = match &team.members {
            crate::config::Members::List(ids) => {
                format!("{} member{}", ids.len(), plural(ids.len()))
            }
            crate::config::Members::ShareChannel => format!("everyone in {}", team.share_channel),
        };
        let approval = if team.approvers.is_empty() {
            "self-approval".to_string()
        } else {
            format!(
                "{} approver{}{}",
                team.approvers.len(),
                plural(team.approvers.len()),
                if team.self_approval {
                    " + self-approval"
                } else {
                    ""
                }
            )
        };
        let _ = writeln!(
            out,
            "  {} ({} {}): {} leader{}, {approval}, {members}; shares to {}",
            team.name,
            team.platform,
            team.workspace_id,
            team.leaders.len(),
            plural(team.leaders.len()),
            team.networks
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let zone_note = match team.prompt_zone {
            crate::config::PromptZone::Team => format!("in {}", zone.name()),
            crate::config::PromptZone::Leader => {
                format!("in each leader's zone; shown for {}", zone.name())
            }
        };
        let _ = writeln!(
            out,
            "    prompts \"{}\" {zone_note}; next:",
            team.prompt_schedule.0.as_str()
        );
        let mut after = now;
        for _ in 0..3 {
            match team.prompt_schedule.0.next_after(zone, after) {
                Some(next) => {
                    let _ = writeln!(
                        out,
                        "      {}",
                        next.with_timezone(&zone).format("%a %Y-%m-%d %H:%M %Z")
                    );
                    after = next;
                }
                None => break,
            }
        }
        let publish = match &team.publish_schedule {
            Slot::Cron(c) => format!("\"{}\"", c.0.as_str()),
            Slot::Immediately => "immediately".to_string(),
            Slot::Off => "off".to_string(),
        };
        let digest = match &team.digest_schedule {
            Slot::Cron(c) => format!("\"{}\"", c.0.as_str()),
            Slot::Immediately | Slot::Off => "off".to_string(),
        };
        let _ = writeln!(
            out,
            "    publishes {publish}; digest {digest}; nudges {}; at most {} a week",
            match team.nudge {
                crate::config::NudgeMode::Dm => "by DM".to_string(),
                crate::config::NudgeMode::RolePost => format!(
                    "by one post mentioning role {}",
                    team.opt_in_role.as_deref().unwrap_or("?")
                ),
            },
            team.weekly_nudge_cap
        );
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `amplifier check --live`: the Slack bot token's validity and scopes, asked of Slack itself.
async fn check_live(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<()> {
    let config = Config::load(path, env)?;
    let Some(slack) = config.slack.as_ref() else {
        println!("live: nothing to check (no [slack] section)");
        return Ok(());
    };
    let Some(token) = &slack.bot_token else {
        anyhow::bail!(
            "slack.bot_token is missing: set it, or {}",
            crate::config::ENV_SLACK_BOT_TOKEN
        );
    };
    let result =
        crate::slack::scopes::require_bot_token(&slack.api_base_url, token.expose()).await?;
    println!(
        "live: the Slack bot token works for workspace {} and has every scope the app needs.",
        result.team_id
    );
    Ok(())
}

/// What to tell someone who runs the bot with nothing to talk to.
pub fn no_platform_help() -> String {
    format!(
        "nothing to run: no team is configured, or no platform credentials are set.\n\
         For Slack: set slack.bot_token (or {}) and slack.app_token (or {}) for Socket Mode, \
         or slack.signing_secret (or {}) for HTTP events, and add a [[teams]] table with platform = \"slack\".\n\
         For Discord: set discord.bot_token (or {}) and discord.application_id, and add a team with platform = \"discord\".\n\
         To try it without tokens: add a team with platform = \"shell\", or run `amplifier demo`.\n\
         config.example.toml shows every key.",
        crate::config::ENV_SLACK_BOT_TOKEN,
        crate::config::ENV_SLACK_APP_TOKEN,
        crate::config::ENV_SLACK_SIGNING_SECRET,
        crate::config::ENV_DISCORD_TOKEN,
    )
}

/// `amplifier doctor`: the report on standard output; an error (exit 1) when anything needs fixing.
async fn doctor(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<()> {
    let report = crate::doctor::run(path, env, &SystemClock).await;
    print!("{}", report.render());
    match report.needs_fixing() {
        0 => Ok(()),
        n => anyhow::bail!(
            "{n} check{} need{} fixing",
            plural(n),
            if n == 1 { "s" } else { "" }
        ),
    }
}

/// `amplifier migrate`: needs only a readable config (for the database URL), not a valid routine.
async fn migrate(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<()> {
    let config = Config::load(path, env)?;
    let url = config.database_url();
    let store = crate::store::open(&url).await?;
    store.migrate().await?;
    let version = store.schema_version().await?.unwrap_or(0);
    store.close().await;
    println!(
        "{} is migrated (schema version {version}).",
        crate::store::redact_url(&url)
    );
    Ok(())
}

/// `amplifier export`: reads the database the config names; the export is audited.
async fn export(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    team: &str,
    format: ExportFormat,
    out: Option<&Path>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let config = Config::load(path, env)?;
    let store = crate::store::open(&config.database_url()).await?;
    store.migrate().await?;
    let export = crate::export::export_team(&*store, team, now).await?;
    let text = match format {
        ExportFormat::Json => serde_json::to_string_pretty(&export)? + "\n",
        ExportFormat::Csv => crate::export::to_csv(&export)?,
    };
    let team_id = store.team_by_name(team).await?.map(|t| t.id);
    store
        .audit(&crate::store::AuditEntry {
            at: now,
            team_id,
            actor: "cli".to_string(),
            action: "team.exported".to_string(),
            subject: format!("team:{team}"),
            detail_json: serde_json::json!({ "format": format!("{format:?}").to_lowercase(), "drafts": export.drafts.len(), "posts": export.posts.len() }).to_string(),
        })
        .await?;
    store.close().await;
    match out {
        Some(file) => std::fs::write(file, text)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", file.display()))?,
        None => print!("{text}"),
    }
    Ok(())
}

/// `amplifier forget`: deletes a person's data in the database the config names and says what went.
async fn forget(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    person: &str,
    team: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let config = Config::load(path, env)?;
    let store = crate::store::open(&config.database_url()).await?;
    store.migrate().await?;
    let outcome = crate::forget::forget(&*store, person, team, now).await;
    store.close().await;
    let (who, report) = outcome?;
    println!(
        "Forgot {} ({} workspace {}): deleted their profile{}{}; {} outbox row(s) deleted and {} redacted, {} audit entr(y/ies) anonymised. Audited as person.forgotten.",
        who.platform_user_id,
        who.platform,
        who.workspace_id,
        if report.summary().is_empty() { "" } else { ", " },
        report.summary(),
        report.outbox_deleted,
        report.outbox_redacted,
        report.audit_anonymised,
    );
    for team in &report.config_teams {
        println!("note: the config file still names {} in team {team}: remove them there, or the next start adds them back (with no history).", who.platform_user_id);
    }
    Ok(())
}

/// Runs `amplifier run` on a [`crate::clock::ScaledClock`] (reliability tests and benchmarks only).
pub const TEST_CLOCK_VAR: &str = "AMPLIFIER_TEST_CLOCK";

/// `amplifier run`: until Ctrl-C or SIGTERM.
async fn run(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<()> {
    let clock: std::sync::Arc<dyn Clock> = match env(TEST_CLOCK_VAR) {
        Some(setting) => std::sync::Arc::new(
            crate::clock::ScaledClock::from_setting(&setting).map_err(|e| {
                anyhow::anyhow!("{TEST_CLOCK_VAR}: {e}; unset it to use the real clock")
            })?,
        ),
        None => std::sync::Arc::new(SystemClock),
    };
    let config = Config::load_valid(path, env, clock.now())?;
    let has_credentials = config.slack.as_ref().is_some_and(|s| s.bot_token.is_some())
        || config
            .discord
            .as_ref()
            .is_some_and(|d| d.bot_token.is_some());
    if config.teams.is_empty() && !has_credentials {
        anyhow::bail!(no_platform_help());
    }
    crate::telemetry::init(&config.log);
    if env(TEST_CLOCK_VAR).is_some() {
        tracing::warn!(now = %clock.now(), "{TEST_CLOCK_VAR} is set: running on a sped-up test clock, not the real time");
    }
    crate::runner::run(config, clock, shutdown_signal()?).await
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed before this returns, so a signal that
/// arrives while the first pass is still running is not lost (nor fatal).
#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = interrupt.recv() => {},
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
