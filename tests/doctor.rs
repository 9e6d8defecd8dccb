//! `amplifier doctor` as an operator runs it: the real binary against the fake Slack and the fake Discord and a
//! temporary SQLite file, healthy once and then with one fault at a time, each named with its fix and exit 1.

mod support;

use amplifier::clock::Clock;
use chrono::{DateTime, Utc};
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use support::fake_discord::{bits, FakeDiscord, FakeRole, APPLICATION_ID, BOT_ID, BOT_ROLE};
use support::fake_slack::{FakeSlack, APP_TOKEN, BOT_TOKEN, TEAM};

const DISCORD_TOKEN: &str = "discord-fake-bot-token";
const GUILD: &str = "1100000000000000001";
const DISCORD_CHANNEL: &str = "1100000000000000021";
const DISCORD_LEADER: &str = "1100000000000000011";
const DISCORD_APPROVER: &str = "1100000000000000012";
/// The Discord team's opt-in role (`nudge = "role_post"`).
const OPT_IN_ROLE: &str = "1100000000000000031";

type Case = fn() -> Result<(), Failed>;

fn main() {
    let args = Arguments::from_args();
    let cases: &[(&str, Case)] = &[
        ("healthy_config_passes_every_check", healthy),
        ("bad_slack_token", bad_slack_token),
        ("missing_slack_scope", missing_slack_scope),
        (
            "socket_mode_app_token_refused",
            socket_mode_app_token_refused,
        ),
        ("bot_not_in_slack_share_channel", bot_not_in_share_channel),
        ("unknown_slack_person", unknown_slack_person),
        (
            "slack_team_in_another_workspace",
            slack_team_in_another_workspace,
        ),
        ("unknown_discord_person", unknown_discord_person),
        ("bad_discord_token", bad_discord_token),
        ("wrong_discord_application_id", wrong_discord_application_id),
        ("discord_bot_not_in_server", discord_bot_not_in_server),
        (
            "discord_share_channel_not_visible",
            discord_share_channel_not_visible,
        ),
        ("discord_command_not_registered", command_not_registered),
        (
            "discord_bot_cannot_send_in_share_channel",
            discord_bot_cannot_send_in_share_channel,
        ),
        (
            "discord_bot_lacks_embed_links",
            discord_bot_lacks_embed_links,
        ),
        (
            "discord_bot_cannot_view_share_channel",
            discord_bot_cannot_view_share_channel,
        ),
        (
            "discord_role_overwrite_allows_what_everyone_is_denied",
            discord_role_overwrite_allows_what_everyone_is_denied,
        ),
        (
            "discord_opt_in_role_cannot_be_pinged",
            discord_opt_in_role_cannot_be_pinged,
        ),
        (
            "discord_mention_everyone_in_the_channel_pings_the_role",
            discord_mention_everyone_in_the_channel_pings_the_role,
        ),
        (
            "discord_opt_in_role_not_in_server",
            discord_opt_in_role_not_in_server,
        ),
        (
            "discord_bot_cannot_manage_roles",
            discord_bot_cannot_manage_roles,
        ),
        (
            "discord_opt_in_role_above_the_bots",
            discord_opt_in_role_above_the_bots,
        ),
        ("database_not_migrated", database_not_migrated),
        ("clock_skew", clock_skew),
    ];
    let mut trials: Vec<Trial> = cases
        .iter()
        .map(|&(name, case)| Trial::test(name, case))
        .collect();
    trials.push(support::postgres_trial(
        "database_on_postgres",
        database_on_postgres,
    ));
    libtest_mimic::run(&args, trials).exit();
}

/// The system clock moved by a fixed offset: a platform whose clock is off.
struct SkewedClock(chrono::Duration);

impl Clock for SkewedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.0
    }
}

/// What each case may change in an otherwise healthy set-up.
struct Setup {
    slack_bot_token: &'static str,
    slack_app_token: &'static str,
    slack_leader: &'static str,
    slack_workspace: &'static str,
    discord_token: &'static str,
    discord_member: &'static str,
    discord_application: &'static str,
    discord_channel: &'static str,
    bot_in_server: bool,
    /// The opt-in role the Discord team (`nudge = "role_post"`) names.
    opt_in_role: &'static str,
    /// Changes the healthy server (roles, overwrites) before doctor runs.
    discord_server: fn(&FakeDiscord),
    register_commands: bool,
    migrate: bool,
    slack_clock_skew: chrono::Duration,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            slack_bot_token: BOT_TOKEN,
            slack_app_token: APP_TOKEN,
            slack_leader: "U0ALICE001",
            slack_workspace: TEAM,
            discord_token: DISCORD_TOKEN,
            discord_member: DISCORD_APPROVER,
            discord_application: APPLICATION_ID,
            discord_channel: DISCORD_CHANNEL,
            bot_in_server: true,
            opt_in_role: OPT_IN_ROLE,
            discord_server: |_| {},
            register_commands: true,
            migrate: true,
            slack_clock_skew: chrono::Duration::zero(),
        }
    }
}

/// Both fakes, a database and a config naming them, ready for `amplifier doctor`.
struct Rig {
    // Serves the fakes while the binary runs; dropped last.
    rt: tokio::runtime::Runtime,
    slack: FakeSlack,
    discord: FakeDiscord,
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Rig {
    fn start(setup: Setup) -> Result<Rig, Failed> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let dir = tempfile::tempdir()?;
        let db_url = format!("sqlite://{}", dir.path().join("amplifier.db").display());
        let (slack, discord) = rt.block_on(async {
            let slack = FakeSlack::start(Arc::new(SkewedClock(setup.slack_clock_skew))).await;
            // Socket Mode: apps.connections.open hands out a URL.
            let _socket = slack.socket_mode().await;
            let discord = FakeDiscord::start(Arc::new(SkewedClock(chrono::Duration::zero()))).await;
            discord.require_token(DISCORD_TOKEN);
            if setup.bot_in_server {
                discord.add_guild(
                    GUILD,
                    "Community",
                    &[(DISCORD_CHANNEL, "amplify")],
                    &[DISCORD_LEADER, DISCORD_APPROVER],
                );
                // As a server is set up for Amplifier: the bot's role (the invite's permissions) above the
                // mentionable opt-in role.
                discord.set_role(
                    GUILD,
                    FakeRole {
                        id: BOT_ROLE.into(),
                        name: "Amplifier".into(),
                        permissions: bits::INVITE,
                        position: 2,
                        mentionable: false,
                    },
                );
                discord.set_role(
                    GUILD,
                    FakeRole {
                        id: OPT_IN_ROLE.into(),
                        name: "Amplifiers".into(),
                        permissions: 0,
                        position: 1,
                        mentionable: true,
                    },
                );
                (setup.discord_server)(&discord);
            }
            if setup.register_commands {
                let rest = amplifier::discord::rest::Rest::new(&discord.base_url, DISCORD_TOKEN)
                    .map_err(|e| e.to_string())?;
                amplifier::discord::commands::register(&rest, APPLICATION_ID, &[GUILD])
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let store = amplifier::store::open(&db_url)
                .await
                .map_err(|e| e.to_string())?;
            if setup.migrate {
                store.migrate().await.map_err(|e| e.to_string())?;
            }
            store.close().await;
            Ok::<_, String>((slack, discord))
        })?;
        let config = format!(
            r#"[database]
url = "{db_url}"

[slack]
bot_token = "{slack_bot}"
app_token = "{slack_app}"
api_base_url = "{slack_api}"

[discord]
bot_token = "{discord_token}"
application_id = "{discord_application}"
api_base_url = "{discord_api}"

[[teams]]
name = "Leadership"
platform = "slack"
workspace_id = "{slack_workspace}"
leaders = ["{slack_leader}"]
approvers = ["U0BOB00001"]
members = ["U0CAROL001", "U0DAN00001"]
share_channel = "C0AMPLIFY1"
time_zone = "Europe/Berlin"

[[teams]]
name = "Community"
platform = "discord"
workspace_id = "{GUILD}"
leaders = ["{DISCORD_LEADER}"]
approvers = ["{discord_member}"]
share_channel = "{discord_channel}"
time_zone = "Europe/Berlin"
nudge = "role_post"
opt_in_role = "{opt_in_role}"
"#,
            opt_in_role = setup.opt_in_role,
            slack_bot = setup.slack_bot_token,
            slack_app = setup.slack_app_token,
            slack_api = slack.api_url,
            discord_token = setup.discord_token,
            discord_api = discord.base_url,
            slack_leader = setup.slack_leader,
            slack_workspace = setup.slack_workspace,
            discord_member = setup.discord_member,
            discord_application = setup.discord_application,
            discord_channel = setup.discord_channel,
        );
        let path = dir.path().join("amplifier.toml");
        std::fs::write(&path, config)?;
        Ok(Rig {
            rt,
            slack,
            discord,
            dir,
            config: path,
        })
    }

    /// Runs `amplifier doctor`: its exit code and standard output (standard error appended).
    fn doctor(&self) -> Result<(Option<i32>, String), Failed> {
        self.doctor_with(&[])
    }

    /// Runs `amplifier doctor` with these environment variables.
    fn doctor_with(&self, env: &[(&str, &str)]) -> Result<(Option<i32>, String), Failed> {
        let output = amplifier()
            .arg("doctor")
            .arg("--config")
            .arg(&self.config)
            .envs(env.iter().copied())
            .output()?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        Ok((output.status.code(), text))
    }

    fn db_file(&self) -> PathBuf {
        self.dir.path().join("amplifier.db")
    }

    /// Nothing the fakes would refuse or the bot must never do, but the wrong tokens a case configured.
    fn no_violations_but_wrong_tokens(&self) {
        let slack: Vec<String> = self
            .slack
            .violations()
            .into_iter()
            .filter(|v| !v.contains("wrong token"))
            .collect();
        assert!(slack.is_empty(), "Slack violations: {slack:?}");
        let discord = self.discord.violations();
        assert!(discord.is_empty(), "Discord violations: {discord:?}");
        let early = self.discord.early();
        assert!(
            early.is_empty(),
            "Discord calls before Retry-After: {early:?}"
        );
        let _ = &self.rt;
    }
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

/// The lines marked ✗.
fn failures(report: &str) -> Vec<&str> {
    report.lines().filter(|l| l.starts_with("✗")).collect()
}

/// The `fix:` line under the finding that starts with `finding`.
fn fix_of<'a>(report: &'a str, finding: &str) -> &'a str {
    let mut lines = report.lines();
    lines
        .by_ref()
        .find(|l| l.starts_with(finding))
        .unwrap_or_else(|| panic!("no line starting {finding:?} in:\n{report}"));
    lines
        .next()
        .and_then(|l| l.trim_start().strip_prefix("fix: "))
        .unwrap_or_else(|| panic!("no fix under {finding:?} in:\n{report}"))
}

/// Exit 1, exactly the expected failing lines (each starting as given), and the summary.
fn assert_only_failures(code: Option<i32>, report: &str, expected: &[&str]) {
    assert_eq!(code, Some(1), "{report}");
    let failing = failures(report);
    assert_eq!(failing.len(), expected.len(), "{report}");
    for want in expected {
        assert!(
            failing.iter().any(|l| l.starts_with(want)),
            "expected a line starting {want:?} in:\n{report}"
        );
    }
    assert!(
        report.contains(&format!("{} of ", expected.len())) && report.contains("need fixing"),
        "{report}"
    );
}

fn healthy() -> Result<(), Failed> {
    let rig = Rig::start(Setup::default())?;
    let (code, report) = rig.doctor()?;
    assert_eq!(code, Some(0), "{report}");
    assert!(failures(&report).is_empty(), "{report}");
    for line in [
        "✓ config: ",
        "✓ database: ",
        "✓ slack: the bot token works (workspace T0FAKE0001, bot user U0FAKEBOT1)",
        "✓ slack: the bot token has every scope in bots/slack/manifest.json",
        "✓ slack: Socket Mode: the app token opens connections",
        "✓ slack: team Leadership: the bot is in the share channel #amplify1 (C0AMPLIFY1)",
        "✓ slack: team Leadership: all 4 configured people exist in the workspace",
        "✓ discord: the bot token works",
        "✓ discord: the application is 1200000000000000001",
        "✓ discord: gateway intents GUILDS, DIRECT_MESSAGES: none is privileged",
        "✓ discord: team Community: the bot is in server Community",
        "✓ discord: team Community: the commands are registered as in bots/discord/commands.json",
        "✓ discord: team Community: the bot sees the share channel #amplify",
        "✓ discord: team Community: the bot may view, send and embed links in the share channel #amplify (1100000000000000021)",
        "✓ discord: team Community: the weekly post can ping the opt-in role @Amplifiers",
        "✓ discord: team Community: /amplify join and leave can give and take the opt-in role @Amplifiers",
        "✓ discord: team Community: all 2 configured people are members of the server",
        "✓ clock: within ",
    ] {
        assert!(
            report.lines().any(|l| l.starts_with(line)),
            "no line starting {line:?} in:\n{report}"
        );
    }
    assert!(report.contains("migrated (schema version"), "{report}");
    assert!(report.contains("checks passed: nothing to fix"), "{report}");
    rig.no_violations_but_wrong_tokens();
    assert!(rig.slack.violations().is_empty());
    // Doctor reads; it registers nothing and sends nothing.
    let requests = rig.discord.requests();
    let writes: Vec<_> = requests.iter().filter(|r| r.method != "GET").collect();
    // The rig registered: the global commands, and the server's old list emptied.
    assert_eq!(
        writes.len(),
        2,
        "only the rig's registration writes: {writes:?}"
    );
    assert!(rig.slack.calls("chat.postMessage").is_empty());
    Ok(())
}

fn bad_slack_token() -> Result<(), Failed> {
    let rig = Rig::start(Setup {
        slack_bot_token: "xoxb-revoked-token",
        ..Setup::default()
    })?;
    let (code, report) = rig.doctor()?;
    let line = "✗ slack: the bot token was refused (invalid_auth)";
    assert_only_failures(code, &report, &[line]);
    assert!(
        fix_of(&report, line).contains("Bot User OAuth Token"),
        "{report}"
    );
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

fn missing_slack_scope() -> Result<(), Failed> {
    let rig = Rig::start(Setup::default())?;
    let granted: Vec<String> = amplifier::slack::scopes::required_bot_scopes()
        .into_iter()
        .filter(|s| s != "channels:read")
        .collect();
    rig.slack
        .set_scopes(&granted.iter().map(String::as_str).collect::<Vec<_>>());
    let (code, report) = rig.doctor()?;
    let line = "✗ slack: the bot token lacks the scope channels:read";
    assert_only_failures(code, &report, &[line]);
    assert!(
        fix_of(&report, line).contains("reinstall the app"),
        "{report}"
    );
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

fn socket_mode_app_token_refused() -> Result<(), Failed> {
    let rig = Rig::start(Setup {
        slack_app_token: "xapp-revoked-token",
        ..Setup::default()
    })?;
    let (code, report) = rig.doctor()?;
    let line = "✗ slack: Socket Mode: the app token was refused (invalid_auth)";
    assert_only_failures(code, &report, &[line]);
    assert!(
        fix_of(&report, line).contains("connections:write"),
        "{report}"
    );
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

fn bot_not_in_share_channel() -> Result<(), Failed> {
    let rig = Rig::start(Setup::default())?;
    rig.slack.remove_bot_from("C0AMPLIFY1");
    let (code, report) = rig.doctor()?;
    let line =
        "✗ slack: team Leadership: the bot is not in the share channel #amplify1 (C0AMPLIFY1)";
    assert_only_failures(code, &report, &[line]);
    assert_eq!(
        fix_of(&report, line),
        "in #amplify1, type /invite @Amplifier"
    );
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

fn unknown_slack_person() -> Result<(), Failed> {
    let rig = Rig::start(Setup {
        slack_leader: "U0NOBODY01",
        ..Setup::default()
    })?;
    let (code, report) = rig.doctor()?;
    let line = "✗ slack: team Leadership: teams[0].leaders names U0NOBODY01, who is not a member of workspace T0FAKE0001";
    assert_only_failures(code, &report, &[line]);
    assert!(fix_of(&report, line).contains("Copy member ID"), "{report}");
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

fn slack_team_in_another_workspace() -> Result<(), Failed> {
    let rig = Rig::start(Setup {
        slack_workspace: "T0OTHER001",
        ..Setup::default()
    })?;
    let (code, report) = rig.doctor()?;
    let line = "✗ slack: team Leadership: teams[0].workspace_id is T0OTHER001 but the bot token belongs to workspace T0FAKE0001";
    assert_only_failures(code, &report, &[line]);
    assert!(
        fix_of(&report, line).contains("set teams[0].workspace_id = \"T0FAKE0001\""),
        "{report}"
    );
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

fn unknown_discord_person() -> Result<(), Failed> {
    let rig = Rig::start(Setup {
        discord_member: "1100000000000000099",
        ..Setup::default()
    })?;
    let (code, report) = rig.doctor()?;
    let line = "✗ discord: team Community: teams[1].approvers names 1100000000000000099, who is not a member of server 1100000000000000001";
    assert_only_failures(code, &report, &[line]);
    assert!(fix_of(&report, line).contains("Copy User ID"), "{report}");
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

fn bad_discord_token() -> Result<(), Failed> {
    let rig = Rig::start(Setup {
        discord_token: "discord-revoked-token",
        ..Setup::default()
    })?;
    let (code, report) = rig.doctor()?;
    let line = "✗ discord: the bot token was refused (HTTP 401";
    assert_only_failures(code, &report, &[line]);
    assert!(fix_of(&report, line).contains("Reset Token"), "{report}");
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

fn wrong_discord_application_id() -> Result<(), Failed> {
    let rig = Rig::start(Setup {
        discord_application: "1200000000000000999",
        ..Setup::default()
    })?;
    let (code, report) = rig.doctor()?;
    let line = "✗ discord: discord.application_id is 1200000000000000999 but the bot token belongs to application 1200000000000000001";
    assert_only_failures(code, &report, &[line]);
    assert!(
        fix_of(&report, line).contains("set discord.application_id = \"1200000000000000001\""),
        "{report}"
    );
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

fn discord_bot_not_in_server() -> Result<(), Failed> {
    let rig = Rig::start(Setup {
        bot_in_server: false,
        ..Setup::default()
    })?;
    let (code, report) = rig.doctor()?;
    let line = "✗ discord: team Community: the bot is not in server 1100000000000000001";
    assert_only_failures(code, &report, &[line]);
    assert!(
        fix_of(&report, line).contains(
            "https://discord.com/oauth2/authorize?client_id=1200000000000000001&scope=bot+applications.commands&permissions=268454912"
        ),
        "{report}"
    );
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

fn discord_share_channel_not_visible() -> Result<(), Failed> {
    let rig = Rig::start(Setup {
        discord_channel: "1100000000000000029",
        ..Setup::default()
    })?;
    let (code, report) = rig.doctor()?;
    let line =
        "✗ discord: team Community: the bot cannot see the share channel 1100000000000000029";
    assert_only_failures(code, &report, &[line]);
    assert!(fix_of(&report, line).contains("View Channel"), "{report}");
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

fn command_not_registered() -> Result<(), Failed> {
    let rig = Rig::start(Setup {
        register_commands: false,
        ..Setup::default()
    })?;
    let (code, report) = rig.doctor()?;
    let line =
        "✗ discord: team Community: the commands amplify, amplify-team, Draft an insight are not registered";
    assert_only_failures(code, &report, &[line]);
    assert!(fix_of(&report, line).contains("amplifier run"), "{report}");
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

/// A healthy report: exit 0, nothing to fix.
fn assert_healthy(code: Option<i32>, report: &str) {
    assert_eq!(code, Some(0), "{report}");
    assert!(failures(report).is_empty(), "{report}");
    assert!(report.contains("checks passed: nothing to fix"), "{report}");
}

const SHARE_LINE: &str =
    "✗ discord: team Community: in the share channel #amplify (1100000000000000021) the bot lacks";

fn discord_bot_cannot_send_in_share_channel() -> Result<(), Failed> {
    let rig = Rig::start(Setup {
        // The channel denies the bot's role Send Messages: the overwrite wins over the role.
        discord_server: |d| {
            d.add_overwrite(GUILD, DISCORD_CHANNEL, BOT_ROLE, 0, 0, bits::SEND_MESSAGES)
        },
        ..Setup::default()
    })?;
    let (code, report) = rig.doctor()?;
    let line = format!("{SHARE_LINE} Send Messages");
    assert_only_failures(code, &report, &[&line]);
    let fix = fix_of(&report, &line);
    assert!(
        fix.contains("allow Send Messages for the bot's role"),
        "{report}"
    );
    assert!(fix.contains("Edit Channel → Permissions"), "{report}");
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

fn discord_bot_lacks_embed_links() -> Result<(), Failed> {
    let rig = Rig::start(Setup {
        discord_server: |d| {
            d.set_role(
                GUILD,
                FakeRole {
                    id: BOT_ROLE.into(),
                    name: "Amplifier".into(),
                    permissions: bits::INVITE & !bits::EMBED_LINKS,
                    position: 2,
                    mentionable: false,
                },
            )
        },
        ..Setup::default()
    })?;
    let (code, report) = rig.doctor()?;
    let line = format!("{SHARE_LINE} Embed Links");
    assert_only_failures(code, &report, &[&line]);
    assert!(
        fix_of(&report, &line).contains("allow Embed Links"),
        "{report}"
    );
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

fn discord_bot_cannot_view_share_channel() -> Result<(), Failed> {
    let rig = Rig::start(Setup {
        // An overwrite for the bot itself hides the channel; Discord answers Missing Access.
        discord_server: |d| {
            d.add_overwrite(GUILD, DISCORD_CHANNEL, BOT_ID, 1, 0, bits::VIEW_CHANNEL)
        },
        ..Setup::default()
    })?;
    let (code, report) = rig.doctor()?;
    let line = "✗ discord: team Community: the bot cannot see the share channel 1100000000000000021: it lacks View Channel there";
    assert_only_failures(code, &report, &[line]);
    assert!(
        fix_of(&report, line).contains("allow View Channel"),
        "{report}"
    );
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

fn discord_role_overwrite_allows_what_everyone_is_denied() -> Result<(), Failed> {
    let rig = Rig::start(Setup {
        discord_server: |d| {
            // @everyone may do everything server-wide but is denied in the channel; the bot's role is allowed
            // there again, and a denial for a role the bot lacks changes nothing.
            d.set_role(
                GUILD,
                FakeRole {
                    id: GUILD.into(),
                    name: "@everyone".into(),
                    permissions: bits::INVITE,
                    position: 0,
                    mentionable: false,
                },
            );
            d.add_overwrite(GUILD, DISCORD_CHANNEL, GUILD, 0, 0, bits::INVITE);
            d.add_overwrite(GUILD, DISCORD_CHANNEL, BOT_ROLE, 0, bits::INVITE, 0);
            d.add_overwrite(GUILD, DISCORD_CHANNEL, OPT_IN_ROLE, 0, 0, bits::INVITE);
        },
        ..Setup::default()
    })?;
    let (code, report) = rig.doctor()?;
    assert_healthy(code, &report);
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

fn not_mentionable(d: &FakeDiscord) {
    d.set_role(
        GUILD,
        FakeRole {
            id: OPT_IN_ROLE.into(),
            name: "Amplifiers".into(),
            permissions: 0,
            position: 1,
            mentionable: false,
        },
    );
}

fn discord_opt_in_role_cannot_be_pinged() -> Result<(), Failed> {
    let rig = Rig::start(Setup {
        discord_server: not_mentionable,
        ..Setup::default()
    })?;
    let (code, report) = rig.doctor()?;
    let line = "✗ discord: team Community: the weekly post cannot ping the opt-in role @Amplifiers (1100000000000000031): the role is not mentionable and the bot lacks Mention @everyone, @here, and All Roles in #amplify";
    assert_only_failures(code, &report, &[line]);
    let fix = fix_of(&report, line);
    assert!(
        fix.contains("Roles → Amplifiers → turn on \"Allow anyone to @mention this role\""),
        "{report}"
    );
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

fn discord_mention_everyone_in_the_channel_pings_the_role() -> Result<(), Failed> {
    let rig = Rig::start(Setup {
        discord_server: |d| {
            not_mentionable(d);
            d.add_overwrite(
                GUILD,
                DISCORD_CHANNEL,
                BOT_ROLE,
                0,
                bits::MENTION_EVERYONE,
                0,
            );
        },
        ..Setup::default()
    })?;
    let (code, report) = rig.doctor()?;
    assert_healthy(code, &report);
    assert!(
        report.contains(
            "✓ discord: team Community: the weekly post can ping the opt-in role @Amplifiers"
        ),
        "{report}"
    );
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

fn discord_opt_in_role_not_in_server() -> Result<(), Failed> {
    let rig = Rig::start(Setup {
        opt_in_role: "1100000000000000039",
        ..Setup::default()
    })?;
    let (code, report) = rig.doctor()?;
    let line = "✗ discord: team Community: teams[1].opt_in_role names 1100000000000000039, which is not a role of server 1100000000000000001";
    assert_only_failures(code, &report, &[line]);
    assert!(fix_of(&report, line).contains("Copy Role ID"), "{report}");
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

fn discord_bot_cannot_manage_roles() -> Result<(), Failed> {
    let rig = Rig::start(Setup {
        discord_server: |d| {
            d.set_role(
                GUILD,
                FakeRole {
                    id: BOT_ROLE.into(),
                    name: "Amplifier".into(),
                    permissions: bits::INVITE & !bits::MANAGE_ROLES,
                    position: 2,
                    mentionable: false,
                },
            )
        },
        ..Setup::default()
    })?;
    let (code, report) = rig.doctor()?;
    let line = "✗ discord: team Community: /amplify join cannot give the opt-in role @Amplifiers: the bot lacks Manage Roles in server 1100000000000000001";
    assert_only_failures(code, &report, &[line]);
    assert!(
        fix_of(&report, line).contains("Roles → Amplifier (the bot's role), turn on Manage Roles"),
        "{report}"
    );
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

fn discord_opt_in_role_above_the_bots() -> Result<(), Failed> {
    let rig = Rig::start(Setup {
        discord_server: |d| {
            d.set_role(
                GUILD,
                FakeRole {
                    id: OPT_IN_ROLE.into(),
                    name: "Amplifiers".into(),
                    permissions: 0,
                    position: 3,
                    mentionable: true,
                },
            )
        },
        ..Setup::default()
    })?;
    let (code, report) = rig.doctor()?;
    let line = "✗ discord: team Community: /amplify join cannot give the opt-in role @Amplifiers: it is not below the bot's highest role (@Amplifier)";
    assert_only_failures(code, &report, &[line]);
    assert!(
        fix_of(&report, line).contains("drag @Amplifier above @Amplifiers"),
        "{report}"
    );
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

fn database_not_migrated() -> Result<(), Failed> {
    let rig = Rig::start(Setup {
        migrate: false,
        ..Setup::default()
    })?;
    let (code, report) = rig.doctor()?;
    let line = "✗ database: ";
    assert_only_failures(code, &report, &[line]);
    assert!(report.contains("was never migrated"), "{report}");
    assert!(
        fix_of(&report, line).contains("amplifier migrate"),
        "{report}"
    );
    // Doctor does not migrate: the database is as it was.
    let (_, again) = rig.doctor()?;
    assert!(again.contains("was never migrated"), "{again}");

    // A database one migration behind this binary.
    let url = format!("sqlite://{}", rig.db_file().display());
    let latest = amplifier::store::Backend::Sqlite.latest_schema_version();
    rig.rt.block_on(async {
        let store = amplifier::store::SqliteStore::open(&url).await?;
        amplifier::store::Store::migrate(&store).await?;
        sqlx::query("DELETE FROM _sqlx_migrations WHERE version = $1")
            .bind(latest)
            .execute(store.pool())
            .await
            .map_err(amplifier::store::StoreError::from)?;
        store.pool().close().await;
        Ok::<_, amplifier::store::StoreError>(())
    })?;
    let (code, report) = rig.doctor()?;
    assert_only_failures(code, &report, &[line]);
    assert!(
        report.contains(&format!(
            "is at schema version {}, this amplifier needs {latest}",
            latest - 1
        )),
        "{report}"
    );

    // No database file at all: said, not created.
    std::fs::remove_file(rig.db_file())?;
    let (code, report) = rig.doctor()?;
    assert_only_failures(code, &report, &[line]);
    assert!(report.contains("the file does not exist"), "{report}");
    assert!(!rig.db_file().exists(), "doctor created the database file");
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

fn clock_skew() -> Result<(), Failed> {
    let rig = Rig::start(Setup {
        slack_clock_skew: chrono::Duration::minutes(10),
        ..Setup::default()
    })?;
    let (code, report) = rig.doctor()?;
    let line = "✗ clock: this machine's clock is ";
    assert_only_failures(code, &report, &[line]);
    assert!(report.contains("behind Slack's"), "{report}");
    assert!(fix_of(&report, line).contains("NTP"), "{report}");
    rig.no_violations_but_wrong_tokens();
    Ok(())
}

/// On PostgreSQL (the URL from the environment, as operators set it): never migrated, then migrated.
fn database_on_postgres(admin_url: &str) -> Result<(), Failed> {
    let rig = Rig::start(Setup::default())?;
    let (url, name) = rig.rt.block_on(support::create_database(admin_url))?;
    let outcome = (|| -> Result<(), Failed> {
        let env = [("AMPLIFIER_DATABASE_URL", url.as_str())];
        let (code, report) = rig.doctor_with(&env)?;
        assert_only_failures(code, &report, &["✗ database: postgres://"]);
        assert!(report.contains("was never migrated"), "{report}");
        rig.rt.block_on(async {
            let store = amplifier::store::open(&url).await?;
            store.migrate().await?;
            store.close().await;
            Ok::<_, amplifier::store::StoreError>(())
        })?;
        let (code, report) = rig.doctor_with(&env)?;
        assert_eq!(code, Some(0), "{report}");
        let latest = amplifier::store::Backend::Postgres.latest_schema_version();
        assert!(
            report.contains(&format!(
                "answers and is migrated (schema version {latest})"
            )),
            "{report}"
        );
        Ok(())
    })();
    rig.rt.block_on(support::drop_database(admin_url, &name))?;
    outcome
}
