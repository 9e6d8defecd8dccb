//! `amplifier doctor`: runs every check of a live configuration (config, database, Slack, Discord, clock) and reports each finding with what to fix, in plain words.

use crate::clock::Clock;
use crate::config::{Config, ConfigError, Members, TeamConfig};
use crate::domain::Platform;
use chrono::{DateTime, Utc};
use std::fmt::Write as _;
use std::path::Path;

/// How far this machine's clock may be from a platform's before it needs fixing. Slack refuses signed requests
/// more than 5 minutes off; a minute leaves room and still catches a clock without time sync.
pub const MAX_CLOCK_SKEW: chrono::Duration = chrono::Duration::seconds(60);

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What was checked: `config`, `database`, `slack`, `discord`, `clock`.
    pub area: &'static str,
    /// What was found, as a person reads it.
    pub what: String,
    /// `None` when all is well; otherwise what to do about it.
    pub fix: Option<String>,
}

impl Finding {
    pub fn ok(area: &'static str, what: impl Into<String>) -> Finding {
        Finding {
            area,
            what: what.into(),
            fix: None,
        }
    }

    pub fn fix(area: &'static str, what: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding {
            area,
            what: what.into(),
            fix: Some(fix.into()),
        }
    }

    pub fn is_ok(&self) -> bool {
        self.fix.is_none()
    }
}

/// A platform's clock as seen in one answer, and ours at the moment the answer arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockReading {
    pub platform: &'static str,
    pub theirs: DateTime<Utc>,
    pub ours: DateTime<Utc>,
}

/// What a platform's checks found.
#[derive(Debug, Default)]
pub struct Checked {
    pub findings: Vec<Finding>,
    pub clocks: Vec<ClockReading>,
}

/// Every finding, in the order checked.
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn needs_fixing(&self) -> usize {
        self.findings.iter().filter(|f| !f.is_ok()).count()
    }

    /// One line per check (`✓` or `✗`), a `fix:` line under each failure, then a summary.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for finding in &self.findings {
            let mark = if finding.is_ok() { "✓" } else { "✗" };
            let _ = writeln!(out, "{mark} {}: {}", finding.area, finding.what);
            if let Some(fix) = &finding.fix {
                let _ = writeln!(out, "    fix: {fix}");
            }
        }
        let failing = self.needs_fixing();
        if failing == 0 {
            let _ = writeln!(
                out,
                "All {} checks passed: nothing to fix.",
                self.findings.len()
            );
        } else {
            let _ = writeln!(
                out,
                "{failing} of {} checks need fixing (marked ✗ above).",
                self.findings.len()
            );
        }
        out
    }
}

/// Reads the config at `path` (with the environment's overrides) and checks it against the database and the
/// platforms it names. Never changes anything (the database is not migrated, no command is registered).
pub async fn run(path: &Path, env: &dyn Fn(&str) -> Option<String>, clock: &dyn Clock) -> Report {
    let mut report = Report::default();
    let config = match Config::load(path, env) {
        Ok(config) => config,
        Err(ConfigError::Read { path, source }) => {
            report.findings.push(Finding::fix(
                "config",
                format!("cannot read {}: {source}", path.display()),
                "pass --config PATH (or set AMPLIFIER_CONFIG), or copy config.example.toml to amplifier.toml",
            ));
            return report;
        }
        Err(e) => {
            report.findings.push(Finding::fix(
                "config",
                format!("cannot use the config: {e}"),
                "correct the key named above (config.example.toml shows every key), then run doctor again",
            ));
            return report;
        }
    };
    let problems = crate::config::validate(&config, clock.now());
    if problems.is_empty() {
        report.findings.push(Finding::ok(
            "config",
            format!(
                "{} is valid ({} team{})",
                path.display(),
                config.teams.len(),
                if config.teams.len() == 1 { "" } else { "s" }
            ),
        ));
    } else {
        report.findings.push(Finding::fix(
            "config",
            format!(
                "{} has {} problem{}:\n{}",
                path.display(),
                problems.len(),
                if problems.len() == 1 { "" } else { "s" },
                problems
                    .iter()
                    .map(|p| format!("      - {p}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            "change each key as its line says (`amplifier check` shows them too)",
        ));
    }

    report.findings.push(database(&config.database_url()).await);

    let mut clocks = Vec::new();
    let slack_teams = teams_on(&config, Platform::Slack);
    if config.slack.is_some() || !slack_teams.is_empty() {
        let checked = crate::slack::doctor::check(config.slack.as_ref(), &slack_teams, clock).await;
        report.findings.extend(checked.findings);
        clocks.extend(checked.clocks);
    }
    let discord_teams = teams_on(&config, Platform::Discord);
    if config.discord.is_some() || !discord_teams.is_empty() {
        let checked =
            crate::discord::doctor::check(config.discord.as_ref(), &discord_teams, clock).await;
        report.findings.extend(checked.findings);
        clocks.extend(checked.clocks);
    }
    report.findings.push(clock_finding(&clocks));
    report
}

/// A team on one platform with the key path it has in the config (`teams[1]`).
#[derive(Debug, Clone, Copy)]
pub struct ConfiguredTeam<'a> {
    pub index: usize,
    pub team: &'a TeamConfig,
}

impl ConfiguredTeam<'_> {
    /// Every configured person with the key that names them (`teams[0].leaders`), each once.
    pub fn people(&self) -> Vec<(String, &str)> {
        let mut seen: Vec<&str> = Vec::new();
        let mut out = Vec::new();
        let members: &[String] = match &self.team.members {
            Members::List(ids) => ids,
            Members::ShareChannel => &[],
        };
        for (key, ids) in [
            ("leaders", &self.team.leaders[..]),
            ("approvers", &self.team.approvers[..]),
            ("admins", &self.team.admins[..]),
            ("members", members),
        ] {
            for id in ids {
                if !seen.contains(&id.as_str()) {
                    seen.push(id);
                    out.push((format!("teams[{}].{key}", self.index), id.as_str()));
                }
            }
        }
        out
    }
}

fn teams_on(config: &Config, platform: Platform) -> Vec<ConfiguredTeam<'_>> {
    config
        .teams
        .iter()
        .enumerate()
        .filter(|(_, t)| t.platform == platform)
        .map(|(index, team)| ConfiguredTeam { index, team })
        .collect()
}

/// The database answers and is at the schema this binary expects. It is opened, never migrated; an SQLite file
/// that does not exist is reported, not created.
async fn database(url: &str) -> Finding {
    let shown = crate::store::redact_url(url);
    if let Some(file) = sqlite_file(url) {
        if !file.exists() {
            return Finding::fix(
                "database",
                format!("{shown}: the file does not exist"),
                "run `amplifier migrate` to create it, or correct database.url",
            );
        }
    }
    let store = match crate::store::open(url).await {
        Ok(store) => store,
        Err(e) => {
            return Finding::fix(
                "database",
                format!("cannot open {shown}: {e}"),
                "check database.url (or AMPLIFIER_DATABASE_URL) and that the database server is running and reachable",
            )
        }
    };
    let latest = store.backend().latest_schema_version();
    let version = store.schema_version().await;
    store.close().await;
    match version {
        Err(e) => Finding::fix(
            "database",
            format!("{shown} answered with an error: {e}"),
            "check the database's permissions and health",
        ),
        Ok(None) => Finding::fix(
            "database",
            format!("{shown} was never migrated"),
            "run `amplifier migrate` (or start `amplifier run`, which migrates first)",
        ),
        Ok(Some(v)) if v < latest => Finding::fix(
            "database",
            format!("{shown} is at schema version {v}, this amplifier needs {latest}"),
            "run `amplifier migrate` (or start `amplifier run`, which migrates first)",
        ),
        Ok(Some(v)) if v > latest => Finding::fix(
            "database",
            format!("{shown} is at schema version {v}, newer than this amplifier knows ({latest})"),
            "run the amplifier release that migrated it, or a newer one",
        ),
        Ok(Some(v)) => Finding::ok(
            "database",
            format!("{shown} answers and is migrated (schema version {v})"),
        ),
    }
}

/// The file of an `sqlite:` URL, unless it is in memory.
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let file = rest.split('?').next().unwrap_or_default();
    if file.is_empty() || file.starts_with(':') || url.contains("mode=memory") {
        return None;
    }
    Some(std::path::PathBuf::from(file))
}

/// Our clock against each platform's: the largest difference decides.
fn clock_finding(readings: &[ClockReading]) -> Finding {
    let Some(worst) = readings
        .iter()
        .max_by_key(|r| (r.ours - r.theirs).num_milliseconds().abs())
    else {
        return Finding::ok("clock", "not compared: no platform answered with its time");
    };
    let skew = worst.ours - worst.theirs;
    // `Date` has whole seconds: up to a second of difference is rounding, not skew.
    let seconds = skew.num_seconds();
    let direction = if seconds >= 0 { "ahead of" } else { "behind" };
    let amount = humantime::format_duration(std::time::Duration::from_secs(seconds.unsigned_abs()));
    if skew.abs() > MAX_CLOCK_SKEW {
        Finding::fix(
            "clock",
            format!("this machine's clock is {amount} {direction} {}'s", worst.platform),
            "turn on time sync (NTP, e.g. `timedatectl set-ntp true`): prompts would go out at the wrong time, \
             and Slack refuses signed requests more than 5 minutes off",
        )
    } else {
        let names: Vec<&str> = readings
            .iter()
            .map(|r| r.platform)
            .fold(Vec::new(), |mut v, p| {
                if !v.contains(&p) {
                    v.push(p);
                }
                v
            });
        Finding::ok(
            "clock",
            format!(
                "within {} of the clock of {}",
                humantime::format_duration(std::time::Duration::from_secs(
                    (seconds.unsigned_abs()).max(1)
                )),
                names.join(" and ")
            ),
        )
    }
}

/// An HTTP `Date` header (`Thu, 26 Nov 2026 08:35:15 GMT`).
pub fn parse_http_date(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(value.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn reads_http_dates() {
        assert_eq!(
            parse_http_date("Thu, 26 Nov 2026 08:35:15 GMT"),
            Some(Utc.with_ymd_and_hms(2026, 11, 26, 8, 35, 15).unwrap())
        );
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn the_clock_needs_fixing_beyond_a_minute() {
        let theirs = Utc.with_ymd_and_hms(2026, 11, 26, 8, 0, 0).unwrap();
        let reading = |secs| ClockReading {
            platform: "Slack",
            theirs,
            ours: theirs + chrono::Duration::seconds(secs),
        };
        assert!(clock_finding(&[reading(1)]).is_ok());
        assert!(clock_finding(&[reading(-59)]).is_ok());
        let ahead = clock_finding(&[reading(1), reading(600)]);
        assert!(!ahead.is_ok());
        assert!(
            ahead.what.contains("10m ahead of Slack's"),
            "{}",
            ahead.what
        );
        let behind = clock_finding(&[reading(-90)]);
        assert!(behind.what.contains("1m 30s behind"), "{}", behind.what);
        assert!(clock_finding(&[]).is_ok());
    }

    #[test]
    fn sqlite_files_are_found_in_urls() {
        assert_eq!(
            sqlite_file("sqlite:///tmp/a.db?mode=rwc"),
            Some("/tmp/a.db".into())
        );
        assert_eq!(sqlite_file("sqlite:data.db"), Some("data.db".into()));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x@y/z"), None);
    }

    #[test]
    fn the_report_counts_what_needs_fixing() {
        let report = Report {
            findings: vec![
                Finding::ok("database", "migrated"),
                Finding::fix("slack", "token refused", "copy the token"),
            ],
        };
        assert_eq!(report.needs_fixing(), 1);
        let text = report.render();
        assert!(text.contains("✓ database: migrated"), "{text}");
        assert!(
            text.contains("✗ slack: token refused\n    fix: copy the token"),
            "{text}"
        );
        assert!(text.contains("1 of 2 checks need fixing"), "{text}");
    }
}
