//! Literal-TOML tests of parsing, environment overrides and validation messages.

use super::*;
use chrono::TimeZone;

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 26, 12, 0, 0)
        .unwrap()
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

fn problems_of(text: &str) -> Vec<Problem> {
    let config = Config::parse(text).expect("parses");
    validate(&config, now())
}

fn only_problem(text: &str) -> Problem {
    let problems = problems_of(text);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    problems.into_iter().next().unwrap()
}

#[test]
fn minimal_shell_team_is_valid_with_defaults() {
    let config = Config::parse(SHELL_TEAM).unwrap();
    assert!(validate(&config, now()).is_empty());
    let team = &config.teams[0];
    assert_eq!(team.prompt_schedule.0.as_str(), "0 9 * * Mon");
    assert_eq!(team.reminder_after, HumanDuration::hours(24));
    assert_eq!(team.weekly_nudge_cap, 3);
    assert!(matches!(team.publish_schedule, Slot::Immediately));
    assert_eq!(config.http.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.scheduler.catch_up_window, HumanDuration::hours(6));
}

#[test]
fn example_config_is_valid() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let config = Config::load_valid(&path, &|_| None, now()).unwrap();
    assert_eq!(config.teams.len(), 2);
    assert_eq!(config.teams[0].members, Members::ShareChannel);
}

#[test]
fn unknown_keys_are_errors_naming_the_key() {
    let err = Config::parse(&format!("{SHELL_TEAM}timezone = \"UTC\"\n")).unwrap_err();
    assert!(err.contains("timezone"), "{err}");
    assert!(err.contains("teams"), "{err}");
    let err = Config::parse("[databse]\nurl = \"sqlite://x.db\"\n").unwrap_err();
    assert!(err.contains("databse"), "{err}");
}

#[test]
fn unknown_zone_gets_did_you_mean_and_key() {
    let err = Config::parse(&SHELL_TEAM.replace("Europe/Berlin", "Europe/Pariss")).unwrap_err();
    assert!(err.contains("teams[0].time_zone"), "{err}");
    assert!(err.contains("did you mean \"Europe/Paris\""), "{err}");
}

#[test]
fn bad_duration_names_the_key_and_the_form() {
    let err = Config::parse(&format!("{SHELL_TEAM}reminder_after = \"24\"\n")).unwrap_err();
    assert!(err.contains("teams[0].reminder_after"), "{err}");
    assert!(err.contains("24h"), "{err}");
}

#[test]
fn bad_cron_names_the_key() {
    let err = Config::parse(&format!("{SHELL_TEAM}prompt_schedule = \"0 9 * *\"\n")).unwrap_err();
    assert!(err.contains("teams[0].prompt_schedule"), "{err}");
}

#[test]
fn bad_quiet_hours_name_the_key() {
    let err = Config::parse(&format!(
        "{SHELL_TEAM}quiet_hours = {{ start = \"6pm\", end = \"09:00\" }}\n"
    ))
    .unwrap_err();
    assert!(err.contains("teams[0].quiet_hours.start"), "{err}");
    assert!(err.contains("HH:MM"), "{err}");
}

#[test]
fn members_accepts_share_channel_and_rejects_other_words() {
    let config = Config::parse(&SHELL_TEAM.replace(
        "members = [\"dan\", \"erin\"]",
        "members = \"share_channel\"",
    ))
    .unwrap();
    assert_eq!(config.teams[0].members, Members::ShareChannel);
    let err = Config::parse(
        &SHELL_TEAM.replace("members = [\"dan\", \"erin\"]", "members = \"everyone\""),
    )
    .unwrap_err();
    assert!(err.contains("share_channel"), "{err}");
}

#[test]
fn never_firing_schedule_is_a_problem() {
    let p = only_problem(&format!("{SHELL_TEAM}prompt_schedule = \"0 9 30 2 *\"\n"));
    assert_eq!(p.key, "teams[0].prompt_schedule");
    assert!(p.message.contains("never fires"), "{p}");
}

#[test]
fn no_approver_and_no_self_approval_is_a_problem() {
    let p = only_problem(&SHELL_TEAM.replace("approvers = [\"carol\"]\n", ""));
    assert_eq!(p.key, "teams[0].approvers");
    assert!(p.message.contains("self_approval = true"), "{p}");
    let text = SHELL_TEAM.replace("approvers = [\"carol\"]\n", "self_approval = true\n");
    assert!(problems_of(&text).is_empty());
}

#[test]
fn duplicated_team_names_are_a_problem() {
    let p = only_problem(&format!(
        "{SHELL_TEAM}{}",
        SHELL_TEAM.replace("\"Demo\"", "\"demo\"")
    ));
    assert_eq!(p.key, "teams[1].name");
    assert!(p.message.contains("teams[0]"), "{p}");
}

const SLACK: &str = r#"
[slack]
bot_token = "xoxb-1"
app_token = "xapp-1"
[[teams]]
name = "Leads"
platform = "slack"
workspace_id = "T0123ABCD"
leaders = ["U0123ABCD"]
approvers = ["U0456EFGH"]
share_channel = "C0123ABCD"
time_zone = "UTC"
"#;

#[test]
fn ids_must_look_like_the_platforms_ids() {
    assert!(problems_of(SLACK).is_empty());
    let p = only_problem(&SLACK.replace("\"U0123ABCD\"", "\"@alice\""));
    assert_eq!(p.key, "teams[0].leaders[0]");
    assert!(p.message.contains("Slack member id"), "{p}");
    let p = only_problem(&SLACK.replace("\"C0123ABCD\"", "\"#general\""));
    assert_eq!(p.key, "teams[0].share_channel");
    let discord = SLACK.replace("platform = \"slack\"", "platform = \"discord\"");
    let problems = problems_of(&discord);
    assert!(
        problems
            .iter()
            .any(|p| p.key == "teams[0].workspace_id" && p.message.contains("Discord")),
        "{problems:#?}"
    );
    assert!(problems.iter().any(|p| p.key == "discord"), "{problems:#?}");
}

#[test]
fn missing_platform_credentials_say_which_keys_and_variables() {
    let text = SLACK.replace("bot_token = \"xoxb-1\"\napp_token = \"xapp-1\"\n", "");
    let problems = problems_of(&text);
    let all = problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        all.contains("slack.bot_token") && all.contains(ENV_SLACK_BOT_TOKEN),
        "{all}"
    );
    assert!(
        all.contains(ENV_SLACK_APP_TOKEN) && all.contains(ENV_SLACK_SIGNING_SECRET),
        "{all}"
    );
}

#[test]
fn environment_overrides_secrets_and_database_url() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("amplifier.toml");
    std::fs::write(&path, SLACK.replace("bot_token = \"xoxb-1\"\n", "")).unwrap();
    let env = |key: &str| match key {
        ENV_SLACK_BOT_TOKEN => Some("xoxb-from-env".to_string()),
        ENV_DISCORD_TOKEN => Some("discord-from-env".to_string()),
        ENV_DATABASE_URL => Some("postgres://amp@db/amp".to_string()),
        _ => None,
    };
    let config = Config::load(&path, &env).unwrap();
    let slack = config.slack.as_ref().unwrap();
    assert_eq!(slack.bot_token.as_ref().unwrap().expose(), "xoxb-from-env");
    assert_eq!(slack.app_token.as_ref().unwrap().expose(), "xapp-1");
    assert_eq!(
        config
            .discord
            .as_ref()
            .unwrap()
            .bot_token
            .as_ref()
            .unwrap()
            .expose(),
        "discord-from-env"
    );
    assert_eq!(config.database_url(), "postgres://amp@db/amp");
    assert!(
        !format!("{config:?}").contains("from-env"),
        "Debug must redact secrets"
    );
}

#[test]
fn default_database_is_next_to_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("amplifier.toml");
    std::fs::write(&path, SHELL_TEAM).unwrap();
    let config = Config::load(&path, &|_| None).unwrap();
    assert_eq!(
        config.database_url(),
        format!("sqlite://{}", dir.path().join("amplifier.db").display())
    );
}

#[test]
fn bad_database_url_is_a_problem_without_leaking_the_password() {
    let p = only_problem(&format!(
        "[database]\nurl = \"mysql://u:hunter2@h/db\"\n{SHELL_TEAM}"
    ));
    assert_eq!(p.key, "database.url");
    assert!(!p.message.contains("hunter2"), "{p}");
}

#[test]
fn bad_prompt_pack_is_a_problem() {
    let p = only_problem(&format!(
        "{SHELL_TEAM}prompt_pack = \"no/such/pack.toml\"\n"
    ));
    assert_eq!(p.key, "teams[0].prompt_pack");
}

#[test]
fn missing_file_has_a_hint() {
    let err = Config::load(std::path::Path::new("/nonexistent/amplifier.toml"), &|_| {
        None
    })
    .unwrap_err();
    assert!(err.to_string().contains("config.example.toml"), "{err}");
}

#[test]
fn team_settings_serialize_for_the_store() {
    let config = Config::parse(SHELL_TEAM).unwrap();
    let json = serde_json::to_value(&config.teams[0]).unwrap();
    assert_eq!(json["time_zone"], "Europe/Berlin");
    assert_eq!(json["prompt_schedule"], "0 9 * * Mon");
    assert_eq!(json["reminder_after"], "1day");
    assert_eq!(json["quiet_hours"]["start"], "18:00");
}

#[test]
fn relative_sqlite_paths_are_read_from_the_config_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("amplifier.toml");
    let base = dir.path().display();
    for (url, expected) in [
        (
            "sqlite://data/amp.db",
            format!("sqlite://{base}/data/amp.db"),
        ),
        (
            "sqlite:amp.db?mode=rwc",
            format!("sqlite://{base}/amp.db?mode=rwc"),
        ),
        (
            "sqlite:///var/lib/amp.db",
            "sqlite:///var/lib/amp.db".to_string(),
        ),
        ("sqlite::memory:", "sqlite::memory:".to_string()),
        ("postgres://u@h/db", "postgres://u@h/db".to_string()),
    ] {
        std::fs::write(&path, format!("[database]\nurl = \"{url}\"\n")).unwrap();
        assert_eq!(
            Config::load(&path, &|_| None).unwrap().database_url(),
            expected,
            "{url}"
        );
    }
}

#[test]
fn bad_log_level_is_a_problem() {
    let p = only_problem(&format!("[log]\nlevel = \"amplifier=loud\"\n{SHELL_TEAM}"));
    assert_eq!(p.key, "log.level");
}

#[test]
fn role_post_needs_an_opt_in_role_of_the_platforms_shape() {
    let p = only_problem(&format!("{SHELL_TEAM}nudge = \"role_post\"\n"));
    assert_eq!(p.key, "teams[0].opt_in_role");
    assert!(problems_of(&format!(
        "{SHELL_TEAM}nudge = \"role_post\"\nopt_in_role = \"amplifiers\"\n"
    ))
    .is_empty());
    let discord = SLACK.replace(
        "platform = \"slack\"",
        "platform = \"slack\"\nnudge = \"role_post\"\nopt_in_role = \"@here\"",
    );
    let problems = problems_of(&discord);
    assert!(
        problems.iter().any(|p| p.key == "teams[0].opt_in_role"),
        "{problems:#?}"
    );
}

#[test]
fn share_channel_members_are_refused_on_discord_with_what_to_write() {
    let text = r#"
[discord]
bot_token = "t"
application_id = "1100000000000000001"
[[teams]]
name = "Community"
platform = "discord"
workspace_id = "1100000000000000002"
leaders = ["1100000000000000003"]
self_approval = true
members = "share_channel"
share_channel = "1100000000000000006"
time_zone = "UTC"
"#;
    let problem = only_problem(text);
    assert_eq!(problem.key, "teams[0].members");
    assert!(
        problem.message.contains("Slack only") && problem.message.contains("role_post"),
        "{problem:?}"
    );
}
