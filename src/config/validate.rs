//! Checks that span several keys, each reported with its key path, what is wrong and what would be right.

use super::{Config, Members, Slot, TeamConfig};
use crate::domain::ids::{expected_shape, looks_like, IdKind};
use crate::domain::Platform;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::fmt;

/// One thing to fix, at one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The key path, e.g. `teams[0].approvers`.
    pub key: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            key: key.into(),
            message: message.into(),
        });
    }
}

/// Every problem in `config`; empty means the config can be used. Schedules must fire at least once after `now`.
pub fn validate(config: &Config, now: DateTime<Utc>) -> Vec<Problem> {
    let mut problems = Problems(Vec::new());
    check_database(config, &mut problems);
    if let Err(e) = tracing_subscriber::EnvFilter::try_new(&config.log.level) {
        problems.add(
            "log.level",
            format!(
                "\"{}\" is not a log filter ({e}): write e.g. \"info\" or \"amplifier=debug,info\"",
                config.log.level
            ),
        );
    }
    check_platforms(config, &mut problems);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, team) in config.teams.iter().enumerate() {
        let key = format!("teams[{i}]");
        let normalized = team.name.trim().to_lowercase();
        if normalized.is_empty() {
            problems.add(
                format!("{key}.name"),
                "is empty: give the team a name, e.g. name = \"Leadership\"",
            );
        } else if let Some(first) = seen.insert(normalized, i) {
            problems.add(
                format!("{key}.name"),
                format!(
                    "\"{}\" is already the name of teams[{first}]: team names must be unique (case does not count)",
                    team.name
                ),
            );
        }
        check_team(config, team, &key, now, &mut problems);
    }
    problems.0
}

fn check_database(config: &Config, problems: &mut Problems) {
    if let Some(url) = &config.database.url {
        let ok = ["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|scheme| url.starts_with(scheme));
        if !ok {
            problems.add(
                "database.url",
                format!(
                    "\"{}\" is not a database URL Amplifier can use: write sqlite://path/to/amplifier.db or postgres://user@host/dbname (or set {})",
                    redact_password(url),
                    super::ENV_DATABASE_URL
                ),
            );
        }
    }
}

/// Hides the password of a URL such as `postgres://user:secret@host/db`.
pub fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

fn check_url(key: &str, value: &str, schemes: &[&str], problems: &mut Problems) {
    match url::Url::parse(value) {
        Ok(url) if schemes.contains(&url.scheme()) && url.host().is_some() => {}
        Ok(url) => problems.add(
            key,
            format!(
                "\"{value}\" uses {}: it must be an {} URL with a host",
                url.scheme(),
                schemes.join(" or ")
            ),
        ),
        Err(e) => problems.add(key, format!("\"{value}\" is not a URL ({e})")),
    }
}

fn check_platforms(config: &Config, problems: &mut Problems) {
    let in_use = config.platforms_in_use();
    if let Some(slack) = &config.slack {
        check_url(
            "slack.api_base_url",
            &slack.api_base_url,
            &["https", "http"],
            problems,
        );
        if let Some(token) = &slack.bot_token {
            if !token.expose().starts_with("xoxb-") {
                problems.add("slack.bot_token", "must be a bot token starting with xoxb- (Slack app → OAuth & Permissions → Bot User OAuth Token)");
            }
        }
        if let Some(token) = &slack.app_token {
            if !token.expose().starts_with("xapp-") {
                problems.add("slack.app_token", "must be an app-level token starting with xapp- (Slack app → Basic Information → App-Level Tokens, scope connections:write)");
            }
        }
    }
    if in_use.contains(&Platform::Slack) {
        match &config.slack {
            None => problems.add(
                "slack",
                format!("a team uses Slack but there is no [slack] section: set slack.bot_token (or {}) and slack.app_token (or {}) for Socket Mode", super::ENV_SLACK_BOT_TOKEN, super::ENV_SLACK_APP_TOKEN),
            ),
            Some(slack) => {
                if slack.bot_token.is_none() {
                    problems.add("slack.bot_token", format!("is missing: set it to the xoxb- token, or set {}", super::ENV_SLACK_BOT_TOKEN));
                }
                if slack.events_mode().is_none() {
                    problems.add(
                        "slack.app_token",
                        format!("is missing, and so is slack.signing_secret: set app_token (xapp-…, or {}) for Socket Mode, or signing_secret (or {}) for HTTP events", super::ENV_SLACK_APP_TOKEN, super::ENV_SLACK_SIGNING_SECRET),
                    );
                }
            }
        }
    }
    if let Some(discord) = &config.discord {
        check_url(
            "discord.api_base_url",
            &discord.api_base_url,
            &["https", "http"],
            problems,
        );
        if let Some(gateway) = &discord.gateway_url {
            check_url("discord.gateway_url", gateway, &["wss", "ws"], problems);
        }
        if let Some(id) = &discord.application_id {
            if !looks_like(Platform::Discord, IdKind::Application, id) {
                problems.add(
                    "discord.application_id",
                    format!(
                        "\"{id}\" should be {}",
                        expected_shape(Platform::Discord, IdKind::Application)
                    ),
                );
            }
        }
    }
    if in_use.contains(&Platform::Discord) {
        match &config.discord {
            None => problems.add(
                "discord",
                format!("a team uses Discord but there is no [discord] section: set discord.bot_token (or {}) and discord.application_id", super::ENV_DISCORD_TOKEN),
            ),
            Some(discord) => {
                if discord.bot_token.is_none() {
                    problems.add("discord.bot_token", format!("is missing: set it to the bot token from the Developer Portal (Bot → Reset Token), or set {}", super::ENV_DISCORD_TOKEN));
                }
                if discord.application_id.is_none() {
                    problems.add("discord.application_id", "is missing: copy it from the Developer Portal → your app → General Information");
                }
            }
        }
    }
}

fn check_id(platform: Platform, kind: IdKind, key: String, id: &str, problems: &mut Problems) {
    if !looks_like(platform, kind, id) {
        problems.add(
            key,
            format!("\"{id}\" should be {}", expected_shape(platform, kind)),
        );
    }
}

fn check_team(
    config: &Config,
    team: &TeamConfig,
    key: &str,
    now: DateTime<Utc>,
    problems: &mut Problems,
) {
    let p = team.platform;
    check_id(
        p,
        IdKind::Workspace,
        format!("{key}.workspace_id"),
        &team.workspace_id,
        problems,
    );
    check_id(
        p,
        IdKind::Channel,
        format!("{key}.share_channel"),
        &team.share_channel,
        problems,
    );
    if team.leaders.is_empty() {
        problems.add(
            format!("{key}.leaders"),
            "is empty: list at least one leader id",
        );
    }
    for (j, id) in team.leaders.iter().enumerate() {
        check_id(p, IdKind::User, format!("{key}.leaders[{j}]"), id, problems);
    }
    for (j, id) in team.approvers.iter().enumerate() {
        check_id(
            p,
            IdKind::User,
            format!("{key}.approvers[{j}]"),
            id,
            problems,
        );
    }
    for (j, id) in team.admins.iter().enumerate() {
        check_id(p, IdKind::User, format!("{key}.admins[{j}]"), id, problems);
    }
    if let Members::List(ids) = &team.members {
        for (j, id) in ids.iter().enumerate() {
            check_id(p, IdKind::User, format!("{key}.members[{j}]"), id, problems);
        }
    }
    if team.members == Members::ShareChannel && p == Platform::Discord {
        // Listing a channel's members needs Discord's privileged member intent and a page per 1,000 members:
        // Amplifier does not read it, so the team would silently nudge nobody.
        problems.add(
            format!("{key}.members"),
            "\"share_channel\" works on Slack only: on Discord list the members' ids (members = [\"…\"]), or use nudge = \"role_post\" with opt_in_role, where whoever shares from the server joins the team and members opt in with /amplify join",
        );
    }
    if team.approvers.is_empty() && !team.self_approval {
        problems.add(
            format!("{key}.approvers"),
            "is empty and self_approval is false, so no draft could ever be approved: list approvers = [\"…\"] or set self_approval = true",
        );
    }
    match (&team.nudge, &team.opt_in_role) {
        (super::NudgeMode::RolePost, None) => problems.add(
            format!("{key}.opt_in_role"),
            "is missing: nudge = \"role_post\" mentions the opt-in role, so set opt_in_role to its id (Discord: Server Settings → Roles → ⋯ → Copy Role ID)",
        ),
        (_, Some(role)) => {
            let ok = match p {
                Platform::Discord => looks_like(Platform::Discord, IdKind::Channel, role),
                Platform::Slack => role.starts_with('S') && role.len() >= 7 && role.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
                Platform::Shell => looks_like(Platform::Shell, IdKind::User, role),
            };
            if !ok {
                problems.add(
                    format!("{key}.opt_in_role"),
                    format!("\"{role}\" should be a role id: 17 to 20 digits on Discord, a user group id such as S0123ABCD on Slack"),
                );
            }
        }
        _ => {}
    }
    if team.networks.is_empty() {
        problems.add(
            format!("{key}.networks"),
            "is empty: list at least one of linkedin, x, bluesky, mastodon, threads, facebook",
        );
    }
    for (j, network) in team.networks.iter().enumerate() {
        if team.networks[..j].contains(network) {
            problems.add(
                format!("{key}.networks[{j}]"),
                format!("\"{network}\" is listed twice"),
            );
        }
    }
    if team.weekly_nudge_cap == 0 {
        problems.add(
            format!("{key}.weekly_nudge_cap"),
            "is 0, so nobody could ever be prompted or nudged: use 1 or more (3 is a good start)",
        );
    }
    if team.back_off_rest.0.is_zero() {
        problems.add(
            format!("{key}.back_off_rest"),
            "is 0, so a member who let three nudges pass would never rest: write e.g. \"4w\" or \"14d\"",
        );
    }
    if team.reminder_count > 5 {
        problems.add(
            format!("{key}.reminder_count"),
            format!(
                "is {}: more than 5 reminders reads as nagging; use 0 to 5",
                team.reminder_count
            ),
        );
    }
    if team.quiet_hours.start == team.quiet_hours.end {
        problems.add(
            format!("{key}.quiet_hours"),
            "start and end are equal, which leaves no clear working day: e.g. start = \"18:00\", end = \"09:00\"",
        );
    }
    let zone = team.time_zone.0;
    let never = |schedule: &crate::schedule::CronSchedule| schedule.next_after(zone, now).is_none();
    if never(&team.prompt_schedule.0) {
        problems.add(
            format!("{key}.prompt_schedule"),
            format!(
                "\"{}\" never fires (after {}) in {}: check the day-of-month and month fields",
                team.prompt_schedule.0.as_str(),
                now.format("%Y-%m-%d"),
                zone.name()
            ),
        );
    }
    match &team.publish_schedule {
        Slot::Off => problems.add(
            format!("{key}.publish_schedule"),
            "cannot be \"off\": write \"immediately\" or a cron such as \"0 10 * * Tue\"",
        ),
        Slot::Cron(c) if never(&c.0) => problems.add(
            format!("{key}.publish_schedule"),
            format!("\"{}\" never fires in {}", c.0.as_str(), zone.name()),
        ),
        _ => {}
    }
    match &team.digest_schedule {
        Slot::Immediately => problems.add(
            format!("{key}.digest_schedule"),
            "cannot be \"immediately\": write a cron such as \"0 16 * * Fri\", or \"off\"",
        ),
        Slot::Cron(c) if never(&c.0) => problems.add(
            format!("{key}.digest_schedule"),
            format!("\"{}\" never fires in {}", c.0.as_str(), zone.name()),
        ),
        _ => {}
    }
    if let Err(e) = crate::prompts::PromptPack::load(&team.prompt_pack, &config.base_dir) {
        problems.add(format!("{key}.prompt_pack"), e.to_string());
    }
}
