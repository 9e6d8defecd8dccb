//! The command line: `run`, `check` and `migrate`, each a thin call into library code.

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigError, Slot, DEFAULT_CONFIG_PATH};
use crate::domain::Platform;
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use std::fmt::Write as _;
use std::path::PathBuf;
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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the bot: migrate the database, sync the teams from the config, and run every team's routine.
    Run,
    /// Validate the configuration and print a summary with each team's next prompt times.
    Check,
    /// Apply the database migrations and exit.
    Migrate,
}

/// Parses the command line and runs the command; errors are printed for a person, with an exit code ≠ 0.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let env = |key: &str| std::env::var(key).ok();
    let now = SystemClock.now();
    let result = match cli.command {
        Command::Check => check(&cli.config, &env, now)
            .map(|summary| print!("{summary}"))
            .map_err(anyhow::Error::from),
        Command::Migrate => block_on(migrate(&cli.config, &env)),
        Command::Run => block_on(run(&cli.config, &env)),
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

fn summary(config: &Config, path: &std::path::Path, now: DateTime<Utc>) -> String {
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
            "    publishes {publish}; digest {digest}; at most {} nudges a week",
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

async fn migrate(
    path: &std::path::Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<()> {
    let _ = (path, env);
    anyhow::bail!("not yet")
}

async fn run(path: &std::path::Path, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<()> {
    let config = Config::load_valid(path, env, SystemClock.now())?;
    if config.teams.is_empty() || config.platforms_in_use().is_empty() {
        anyhow::bail!(no_platform_help());
    }
    let _ = Platform::Shell;
    anyhow::bail!("not yet")
}
