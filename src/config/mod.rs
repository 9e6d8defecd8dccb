//! The settings tree: one TOML file (`--config`, default `amplifier.toml`) plus environment overrides for secrets
//! and the database URL. Unknown keys are errors; [`validate`] adds the checks that span several keys.

mod validate;
mod values;

pub use validate::{redact_password, validate, Problem};
pub use values::{ClockTime, Cron, HumanDuration, Secret, Slot, Zone};

use crate::domain::{Network, Platform, PublishMode};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The default config file, looked up in the working directory.
pub const DEFAULT_CONFIG_PATH: &str = "amplifier.toml";
/// The environment variables that override the file, for secrets and the database URL.
pub const ENV_DATABASE_URL: &str = "AMPLIFIER_DATABASE_URL";
pub const ENV_SLACK_BOT_TOKEN: &str = "AMPLIFIER_SLACK_BOT_TOKEN";
pub const ENV_SLACK_APP_TOKEN: &str = "AMPLIFIER_SLACK_APP_TOKEN";
pub const ENV_SLACK_SIGNING_SECRET: &str = "AMPLIFIER_SLACK_SIGNING_SECRET";
pub const ENV_DISCORD_TOKEN: &str = "AMPLIFIER_DISCORD_TOKEN";

const DEFAULT_PROMPT_SCHEDULE: &str = "0 9 * * Mon";
const DEFAULT_DIGEST_SCHEDULE: &str = "0 16 * * Fri";
/// Every cron written into the code as a default; a unit test parses each.
#[cfg(test)]
const DEFAULT_CRONS: [&str; 2] = [DEFAULT_PROMPT_SCHEDULE, DEFAULT_DIGEST_SCHEDULE];

/// The whole configuration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub database: DatabaseConfig,
    #[serde(default)]
    pub http: HttpConfig,
    #[serde(default)]
    pub log: LogConfig,
    #[serde(default)]
    pub scheduler: SchedulerConfig,
    /// Absent means Slack is off.
    pub slack: Option<SlackConfig>,
    /// Absent means Discord is off.
    pub discord: Option<DiscordConfig>,
    #[serde(default)]
    pub teams: Vec<TeamConfig>,
    /// The directory of the config file: the default SQLite file and relative prompt packs live there.
    #[serde(skip)]
    pub base_dir: PathBuf,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://path/to/file.db` or `postgres://user@host/db`. Default: `amplifier.db` next to the config file.
    pub url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Where `/healthz`, `/metrics` and the Slack HTTP events endpoint listen.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: default_listen(),
        }
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines for a terminal.
    #[default]
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    #[serde(default)]
    pub format: LogFormat,
    /// A tracing filter such as `info` or `amplifier=debug,info`; `RUST_LOG` overrides it.
    #[serde(default = "default_log_level")]
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::default(),
            level: default_log_level(),
        }
    }
}

fn default_log_level() -> String {
    "info".to_string()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerConfig {
    /// A slot missed by less than this while the bot was down fires at start; older ones are recorded as missed.
    #[serde(default = "default_catch_up")]
    pub catch_up_window: HumanDuration,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            catch_up_window: default_catch_up(),
        }
    }
}

fn default_catch_up() -> HumanDuration {
    HumanDuration::hours(6)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    /// `xoxb-…`; env `AMPLIFIER_SLACK_BOT_TOKEN`.
    pub bot_token: Option<Secret>,
    /// `xapp-…`, for Socket Mode (no public URL needed); env `AMPLIFIER_SLACK_APP_TOKEN`.
    pub app_token: Option<Secret>,
    /// For the Events API over HTTP instead of Socket Mode; env `AMPLIFIER_SLACK_SIGNING_SECRET`.
    pub signing_secret: Option<Secret>,
    /// The Web API base URL (GovSlack and proxies use other hosts; tests use a loopback fake).
    #[serde(default = "default_slack_api")]
    pub api_base_url: String,
    /// What in a Slack status marks a person out of office (no prompts or nudges while it is set).
    #[serde(default)]
    pub out_of_office: Option<OutOfOfficeStatus>,
}

/// Status emojis (`:palm_tree:`) and whole words (`OOO`, `vacation`) that mean out of office, case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutOfOfficeStatus {
    #[serde(default)]
    pub emojis: Vec<String>,
    #[serde(default)]
    pub words: Vec<String>,
}

impl SlackConfig {
    fn empty() -> Self {
        Self {
            bot_token: None,
            app_token: None,
            signing_secret: None,
            api_base_url: default_slack_api(),
            out_of_office: None,
        }
    }

    /// How events arrive: Socket Mode when an app token is set, otherwise HTTP events when a signing secret is.
    pub fn events_mode(&self) -> Option<SlackEventsMode> {
        if self.app_token.is_some() {
            Some(SlackEventsMode::SocketMode)
        } else if self.signing_secret.is_some() {
            Some(SlackEventsMode::Http)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlackEventsMode {
    SocketMode,
    Http,
}

fn default_slack_api() -> String {
    "https://slack.com/api/".to_string()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscordConfig {
    /// The bot token from the Developer Portal; env `AMPLIFIER_DISCORD_TOKEN`.
    pub bot_token: Option<Secret>,
    /// The application id (a snowflake), used to register the slash command.
    pub application_id: Option<String>,
    /// The REST base URL (proxies exist; tests use a loopback fake).
    #[serde(default = "default_discord_api")]
    pub api_base_url: String,
    /// Overrides the gateway URL that `GET /gateway` returns.
    pub gateway_url: Option<String>,
}

impl DiscordConfig {
    fn empty() -> Self {
        Self {
            bot_token: None,
            application_id: None,
            api_base_url: default_discord_api(),
            gateway_url: None,
        }
    }
}

fn default_discord_api() -> String {
    "https://discord.com/api/v10".to_string()
}

/// One team and its weekly routine.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TeamConfig {
    /// Unique among teams; used in commands and reports.
    pub name: String,
    pub platform: Platform,
    /// Slack workspace id (`T…`), Discord server (guild) id, or any name for the shell.
    pub workspace_id: String,
    /// People who receive prompts and write insights.
    pub leaders: Vec<String>,
    /// People who review drafts.
    #[serde(default)]
    pub approvers: Vec<String>,
    /// People who may change teams with `/amplify team …` in this workspace.
    #[serde(default)]
    pub admins: Vec<String>,
    /// Leaders may approve their own drafts.
    #[serde(default)]
    pub self_approval: bool,
    /// Who gets nudged: a list of ids, or `"share_channel"` for everyone in the share channel.
    #[serde(default)]
    pub members: Members,
    /// Where approved posts appear with their share kit.
    pub share_channel: String,
    /// The team's IANA zone: schedules run in it, and people without a zone of their own use it.
    pub time_zone: Zone,
    /// When leaders are prompted (cron).
    #[serde(default = "default_prompt_schedule")]
    pub prompt_schedule: Cron,
    /// Whether the prompt schedule runs in the team's zone or in each leader's own zone.
    #[serde(default)]
    pub prompt_zone: PromptZone,
    /// A gentle reminder after this long without an answer.
    #[serde(default = "default_day")]
    pub reminder_after: HumanDuration,
    /// How many reminders at most per ask.
    #[serde(default = "default_one")]
    pub reminder_count: u32,
    #[serde(default)]
    pub publish_mode: PublishMode,
    /// `"immediately"` or a cron of publish slots.
    #[serde(default = "default_publish_schedule")]
    pub publish_schedule: Slot,
    /// Where members share; each gets a share button.
    #[serde(default = "default_networks")]
    pub networks: Vec<Network>,
    /// How members are asked to amplify: a DM each (`dm`), or one post in the share channel that mentions only
    /// the opt-in role (`role_post`, for communities with thousands of members).
    #[serde(default)]
    pub nudge: NudgeMode,
    /// The opt-in role `role_post` mentions (a Discord role id; a Slack user group id `S…`).
    #[serde(default)]
    pub opt_in_role: Option<String>,
    /// One reminder to members who did nothing after this long.
    #[serde(default = "default_day")]
    pub nudge_reminder_after: HumanDuration,
    /// No prompts or nudges in this window of each person's own day.
    #[serde(default)]
    pub quiet_hours: QuietHours,
    /// Whether Saturdays and Sundays (in each person's zone) are quiet.
    #[serde(default)]
    pub weekends: WeekendRule,
    /// At most this many prompts and nudges per person per week.
    #[serde(default = "default_cap")]
    pub weekly_nudge_cap: u32,
    /// After three nudges in a row that a member let pass, they rest this long (from the last one) before
    /// they are nudged again; sharing once ends the rest.
    #[serde(default = "default_back_off_rest")]
    pub back_off_rest: HumanDuration,
    /// When the digest goes out (cron), or `"off"`.
    #[serde(default = "default_digest_schedule")]
    pub digest_schedule: Slot,
    /// Whether the digest names top amplifiers and share streaks (some teams find them motivating, others noisy).
    #[serde(default = "default_true")]
    pub leaderboard: bool,
    /// Review traffic (requests to approvers, decisions and post kits to authors) goes at once, even outside
    /// the recipient's working hours. Default: false (it waits for their morning, like everything else).
    #[serde(default)]
    pub urgent_reviews: bool,
    /// `default` (built in) or a path to a TOML prompt pack, relative to the config file (see `bots/prompts/`).
    #[serde(default = "default_prompt_pack")]
    pub prompt_pack: String,
}

fn default_prompt_schedule() -> Cron {
    Cron::constant(DEFAULT_PROMPT_SCHEDULE)
}
fn default_day() -> HumanDuration {
    HumanDuration::hours(24)
}
fn default_one() -> u32 {
    1
}
fn default_publish_schedule() -> Slot {
    Slot::Immediately
}
fn default_networks() -> Vec<Network> {
    vec![Network::Linkedin, Network::X, Network::Bluesky]
}
fn default_cap() -> u32 {
    3
}
fn default_back_off_rest() -> HumanDuration {
    HumanDuration::hours(4 * 7 * 24)
}
fn default_digest_schedule() -> Slot {
    Slot::Cron(Box::new(Cron::constant(DEFAULT_DIGEST_SCHEDULE)))
}
fn default_true() -> bool {
    true
}
fn default_prompt_pack() -> String {
    "default".to_string()
}

/// Who gets nudged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Members {
    /// Exactly these people.
    List(Vec<String>),
    /// Everyone in the share channel, read from the platform.
    ShareChannel,
}

impl Default for Members {
    fn default() -> Self {
        Members::List(Vec::new())
    }
}

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> de::Visitor<'de> for MembersVisitor {
            type Value = Members;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a list of member ids, or \"share_channel\" for everyone in the share channel",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Members, E> {
                if v == "share_channel" {
                    Ok(Members::ShareChannel)
                } else {
                    Err(E::custom(format!(
                        "members = \"{v}\" is not understood: write members = \"share_channel\" or a list like members = [\"U012AB3CD\"]"
                    )))
                }
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Members, A::Error> {
                let mut ids = Vec::new();
                while let Some(id) = seq.next_element::<String>()? {
                    ids.push(id);
                }
                Ok(Members::List(ids))
            }
        }
        d.deserialize_any(MembersVisitor)
    }
}

impl Serialize for Members {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Members::List(ids) => ids.serialize(s),
            Members::ShareChannel => s.serialize_str("share_channel"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NudgeMode {
    /// A DM to each member, in their own working hours.
    #[default]
    Dm,
    /// One share-channel post that mentions only the opt-in role.
    RolePost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptZone {
    /// Everyone is prompted at the same instant, read in the team's zone.
    #[default]
    Team,
    /// Each leader is prompted at the schedule's local time in their own zone.
    Leader,
}

/// A daily window without prompts or nudges, in each person's own zone; it may wrap past midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    pub start: ClockTime,
    pub end: ClockTime,
}

impl Default for QuietHours {
    fn default() -> Self {
        Self {
            start: ClockTime::hm(18, 0),
            end: ClockTime::hm(9, 0),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WeekendRule {
    /// No prompts or nudges on Saturday and Sunday.
    #[default]
    Quiet,
    /// Weekends are like any other day.
    Allow,
}

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}\n  hint: pass --config PATH, or copy config.example.toml to amplifier.toml")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path} has {} problem{}:\n{}", .problems.len(), if .problems.len() == 1 { "" } else { "s" }, list(.problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Config {
    /// Reads and parses `path`, then applies environment overrides through `env` (pass `|k| std::env::var(k).ok()`).
    /// Does not run [`validate`]; see [`Config::load_valid`].
    pub fn load(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config = Config::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })?;
        config.base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        config.apply_env(env);
        Ok(config)
    }

    /// Loads, then validates against `now` (schedules must fire after it).
    pub fn load_valid(
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Config, ConfigError> {
        let config = Config::load(path, env)?;
        let problems = validate(&config, now);
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                problems,
            })
        }
    }

    /// Parses TOML text; the error names the key path and the line.
    pub fn parse(text: &str) -> Result<Config, String> {
        let de = toml::Deserializer::parse(text).map_err(|e| e.to_string())?;
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            if path.is_empty() || path == "." {
                inner
            } else {
                format!("key `{path}`: {inner}")
            }
        })
    }

    /// Secrets and the database URL from the environment win over the file.
    fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) {
        let var = |key: &str| env(key).filter(|v| !v.trim().is_empty());
        if let Some(url) = var(ENV_DATABASE_URL) {
            self.database.url = Some(url);
        }
        let slack_env = [
            ENV_SLACK_BOT_TOKEN,
            ENV_SLACK_APP_TOKEN,
            ENV_SLACK_SIGNING_SECRET,
        ]
        .map(|k| var(k).map(Secret::new));
        if slack_env.iter().any(Option::is_some) {
            let slack = self.slack.get_or_insert_with(SlackConfig::empty);
            let [bot, app, signing] = slack_env;
            if bot.is_some() {
                slack.bot_token = bot;
            }
            if app.is_some() {
                slack.app_token = app;
            }
            if signing.is_some() {
                slack.signing_secret = signing;
            }
        }
        if let Some(token) = var(ENV_DISCORD_TOKEN) {
            self.discord
                .get_or_insert_with(DiscordConfig::empty)
                .bot_token = Some(Secret::new(token));
        }
    }

    /// The database URL in force: the configured one, or an SQLite file next to the config.
    /// A relative SQLite path is read from the config file's directory, like the default.
    pub fn database_url(&self) -> String {
        let Some(url) = &self.database.url else {
            return format!("sqlite://{}", self.base_dir.join("amplifier.db").display());
        };
        let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        else {
            return url.clone();
        };
        let (file, query) = rest
            .split_once('?')
            .map_or((rest, None), |(f, q)| (f, Some(q)));
        if file.is_empty() || file.starts_with(':') || std::path::Path::new(file).is_absolute() {
            return url.clone();
        }
        let joined = self.base_dir.join(file);
        match query {
            Some(q) => format!("sqlite://{}?{q}", joined.display()),
            None => format!("sqlite://{}", joined.display()),
        }
    }

    /// The platforms some team uses.
    pub fn platforms_in_use(&self) -> Vec<Platform> {
        let mut platforms: Vec<Platform> = Vec::new();
        for team in &self.teams {
            if !platforms.contains(&team.platform) {
                platforms.push(team.platform);
            }
        }
        platforms
    }
}

#[cfg(test)]
mod tests;
