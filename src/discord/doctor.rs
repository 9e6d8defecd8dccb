//! Discord's part of `amplifier doctor`: the bot token (`GET /users/@me`), the application and the gateway
//! intents it needs (`GET /applications/@me`), and for each Discord team the bot's membership of the server,
//! the registered commands against `bots/discord/commands.json`, the share channel, the bot's effective
//! permissions there (from the server's roles, its own roles and the channel's overwrites) and the opt-in role it
//! must ping and give (`/amplify join`), and each configured person.
//! Read-only: it never registers anything.

use super::permissions as perms;
use super::rest::{Answer, Rest};
use crate::clock::Clock;
use crate::config::DiscordConfig;
use crate::doctor::{Checked, ClockReading, ConfiguredTeam, Finding};
use reqwest::Method;
use serde_json::Value;
use serenity::all::GatewayIntents;
use std::time::Duration;

const AREA: &str = "discord";
/// Waiting out one 429 is worth it; a longer wait is reported instead.
const LONGEST_WAIT: Duration = Duration::from_secs(60);

/// The privileged intents, the application flags that allow each (full and limited), and its portal name.
const PRIVILEGED: [(GatewayIntents, u64, u64, &str); 3] = [
    (
        GatewayIntents::GUILD_PRESENCES,
        1 << 12,
        1 << 13,
        "Presence Intent",
    ),
    (
        GatewayIntents::GUILD_MEMBERS,
        1 << 14,
        1 << 15,
        "Server Members Intent",
    ),
    (
        GatewayIntents::MESSAGE_CONTENT,
        1 << 18,
        1 << 19,
        "Message Content Intent",
    ),
];

/// Checks what the config asks of Discord. Without a working bot token nothing else can be asked.
pub async fn check(
    discord: Option<&DiscordConfig>,
    teams: &[ConfiguredTeam<'_>],
    clock: &dyn Clock,
) -> Checked {
    let mut out = Checked::default();
    let Some(discord) = discord else {
        // The config check already says a Discord team needs a [discord] section.
        return out;
    };
    let Some(token) = &discord.bot_token else {
        out.findings.push(Finding::fix(
            AREA,
            "no bot token is set",
            format!(
                "set discord.bot_token or {} to the token from the Developer Portal → your application → Bot",
                crate::config::ENV_DISCORD_TOKEN
            ),
        ));
        return out;
    };
    let rest = match Rest::new(&discord.api_base_url, token.expose()) {
        Ok(rest) => rest,
        Err(e) => {
            out.findings.push(Finding::fix(
                AREA,
                format!("{:#}", anyhow::Error::from(e)),
                "check that this machine has its TLS root certificates installed",
            ));
            return out;
        }
    };

    let me = match get(&rest, "/users/@me").await {
        Ok(answer) => answer,
        Err(e) => {
            out.findings.push(unreachable(&discord.api_base_url, e));
            return out;
        }
    };
    if let Some(theirs) = me.date {
        out.clocks.push(ClockReading {
            platform: "Discord",
            theirs,
            ours: clock.now(),
        });
    }
    if me.status == 401 {
        out.findings.push(Finding::fix(
            AREA,
            format!("the bot token was refused ({})", me.describe()),
            "in the Developer Portal → your application → Bot, press Reset Token and set the new token as \
             discord.bot_token or AMPLIFIER_DISCORD_TOKEN",
        ));
        return out;
    }
    if !me.ok() {
        out.findings.push(Finding::fix(
            AREA,
            format!("GET /users/@me answered {}", me.describe()),
            "check discord.api_base_url and the bot token, then run doctor again",
        ));
        return out;
    }
    out.findings.push(Finding::ok(
        AREA,
        format!(
            "the bot token works (bot {}, id {})",
            me.body["username"].as_str().unwrap_or("?"),
            me.body["id"].as_str().unwrap_or("?")
        ),
    ));

    let app = match get(&rest, "/applications/@me").await {
        Ok(answer) if answer.ok() => answer.body,
        Ok(answer) => {
            out.findings.push(Finding::fix(
                AREA,
                format!("GET /applications/@me answered {}", answer.describe()),
                "check the bot token, then run doctor again",
            ));
            return out;
        }
        Err(e) => {
            out.findings.push(unreachable(&discord.api_base_url, e));
            return out;
        }
    };
    let app_id = app["id"].as_str().unwrap_or_default().to_string();
    match &discord.application_id {
        None => out.findings.push(Finding::fix(
            AREA,
            "discord.application_id is not set",
            format!("set discord.application_id = \"{app_id}\" (the bot token's application)"),
        )),
        Some(configured) if *configured != app_id => out.findings.push(Finding::fix(
            AREA,
            format!("discord.application_id is {configured} but the bot token belongs to application {app_id}"),
            format!("set discord.application_id = \"{app_id}\", or use the bot token of application {configured}"),
        )),
        Some(_) => out
            .findings
            .push(Finding::ok(AREA, format!("the application is {app_id}"))),
    }
    out.findings
        .push(intents(app["flags"].as_u64().unwrap_or(0)));

    let bot = me.body["id"].as_str().unwrap_or_default().to_string();
    for team in teams {
        out.findings
            .extend(check_team(&rest, &app_id, &bot, team).await);
    }
    out
}

/// Our gateway intents: each privileged one must be allowed by the application's flags.
fn intents(flags: u64) -> Finding {
    let intents = super::gateway::INTENTS;
    let names: Vec<String> = intents
        .iter_names()
        .map(|(name, _)| name.to_string())
        .collect();
    let missing: Vec<&str> = PRIVILEGED
        .iter()
        .filter(|(intent, full, limited, _)| {
            intents.contains(*intent) && flags & (full | limited) == 0
        })
        .map(|(_, _, _, name)| *name)
        .collect();
    if missing.is_empty() {
        let privileged = PRIVILEGED.iter().any(|(i, ..)| intents.contains(*i));
        Finding::ok(
            AREA,
            format!(
                "gateway intents {}{}",
                names.join(", "),
                if privileged {
                    ": the privileged ones are allowed"
                } else {
                    ": none is privileged, nothing to turn on"
                }
            ),
        )
    } else {
        Finding::fix(
            AREA,
            format!(
                "the gateway needs {} but the application does not allow it",
                missing.join(", ")
            ),
            format!(
                "in the Developer Portal → Bot, turn on {}",
                missing.join(" and ")
            ),
        )
    }
}

async fn check_team(
    rest: &Rest,
    app_id: &str,
    bot: &str,
    team: &ConfiguredTeam<'_>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let t = team.team;
    let key = format!("teams[{}]", team.index);
    let guild = &t.workspace_id;
    let invite = format!(
        "invite it: https://discord.com/oauth2/authorize?client_id={app_id}&scope=bot+applications.commands&permissions={}",
        perms::INVITE
    );
    let guild_body = match get(rest, &format!("/guilds/{guild}")).await {
        Ok(answer) if answer.ok() => {
            out.push(Finding::ok(
                AREA,
                format!(
                    "team {}: the bot is in server {} ({guild})",
                    t.name,
                    answer.body["name"].as_str().unwrap_or("?")
                ),
            ));
            answer.body
        }
        Ok(answer) if matches!(answer.status, 403 | 404) => {
            out.push(Finding::fix(
                AREA,
                format!("team {}: the bot is not in server {guild} ({})", t.name, answer.describe()),
                format!("check {key}.workspace_id (right-click the server → Copy Server ID), or {invite}"),
            ));
            // Its commands, channel and people cannot be seen from outside the server.
            return out;
        }
        Ok(answer) => {
            out.push(Finding::fix(
                AREA,
                format!(
                    "team {}: server {guild} could not be checked ({})",
                    t.name,
                    answer.describe()
                ),
                "run doctor again",
            ));
            return out;
        }
        Err(e) => {
            out.push(unreachable(rest.base(), e));
            return out;
        }
    };

    out.push(
        match get(rest, &format!("/applications/{app_id}/commands")).await {
            Ok(answer) if answer.ok() => commands(&t.name, &answer.body),
            Ok(answer) => Finding::fix(
                AREA,
                format!(
                    "team {}: the registered commands could not be read ({})",
                    t.name,
                    answer.describe()
                ),
                format!(
                    "the bot needs the applications.commands scope in server {guild}: {invite}"
                ),
            ),
            Err(e) => unreachable(rest.base(), e),
        },
    );

    let channel = &t.share_channel;
    let mut channel_body = None;
    out.push(match get(rest, &format!("/channels/{channel}")).await {
        Ok(answer) if answer.ok() && answer.body["guild_id"].as_str() == Some(guild) => {
            channel_body = Some(answer.body.clone());
            Finding::ok(
                AREA,
                format!(
                    "team {}: the bot sees the share channel #{} ({channel})",
                    t.name,
                    answer.body["name"].as_str().unwrap_or("?")
                ),
            )
        }
        Ok(answer) if answer.ok() => Finding::fix(
            AREA,
            format!("team {}: the share channel {channel} is not in server {guild}", t.name),
            format!("set {key}.share_channel to a channel of server {guild} (right-click it → Copy Channel ID)"),
        ),
        // Discord answers a channel the bot may not view with 403 Missing Access.
        Ok(answer) if answer.status == 403 => Finding::fix(
            AREA,
            format!(
                "team {}: the bot cannot see the share channel {channel}: it lacks {} there ({})",
                t.name,
                perms::name(perms::VIEW_CHANNEL),
                answer.describe()
            ),
            format!(
                "in Discord, the channel → Edit Channel → Permissions: allow View Channel, Send Messages and Embed \
                 Links for the bot's role (Amplifier), or remove the overwrite that denies them (check \
                 {key}.share_channel too: right-click the channel → Copy Channel ID)"
            ),
        ),
        Ok(answer) => Finding::fix(
            AREA,
            format!("team {}: the bot cannot see the share channel {channel} ({})", t.name, answer.describe()),
            format!(
                "check {key}.share_channel (right-click the channel → Copy Channel ID) and give the bot View Channel, \
                 Send Messages and Embed Links there"
            ),
        ),
        Err(e) => unreachable(rest.base(), e),
    });

    if let Some(channel_body) = &channel_body {
        out.extend(permissions(rest, team, bot, &guild_body, channel_body).await);
    }

    let people = team.people();
    let before = out.len();
    for (person_key, id) in &people {
        match get(rest, &format!("/guilds/{guild}/members/{id}")).await {
            Ok(answer) if answer.ok() => {}
            Ok(answer) if answer.status == 404 => out.push(Finding::fix(
                AREA,
                format!("team {}: {person_key} names {id}, who is not a member of server {guild}", t.name),
                format!(
                    "with Developer Mode on, right-click the person in the server → Copy User ID, and put that id \
                     in {person_key}"
                ),
            )),
            Ok(answer) => out.push(Finding::fix(
                AREA,
                format!("team {}: {person_key} names {id}, who could not be checked ({})", t.name, answer.describe()),
                "run doctor again",
            )),
            Err(e) => out.push(unreachable(rest.base(), e)),
        }
    }
    if out.len() == before {
        out.push(Finding::ok(
            AREA,
            format!(
                "team {}: all {} configured {} are members of the server",
                t.name,
                people.len(),
                if people.len() == 1 {
                    "person"
                } else {
                    "people"
                }
            ),
        ));
    }
    out
}

/// The bot's permissions where it works, from the server's roles, the bot member's roles and the share channel's
/// overwrites: View Channel, Send Messages and Embed Links in the share channel; with `nudge = "role_post"`, a
/// way to ping the opt-in role; with an opt-in role, Manage Roles and a role above it (for `/amplify join`).
async fn permissions(
    rest: &Rest,
    team: &ConfiguredTeam<'_>,
    bot: &str,
    guild_body: &Value,
    channel_body: &Value,
) -> Vec<Finding> {
    let t = team.team;
    let key = format!("teams[{}]", team.index);
    let guild = &t.workspace_id;
    let channel = &t.share_channel;
    let shown_channel = format!(
        "#{} ({channel})",
        channel_body["name"].as_str().unwrap_or("?")
    );
    let mut out = Vec::new();
    let roles = match read(rest, &format!("/guilds/{guild}/roles"), || {
        format!("team {}: the roles of server {guild}", t.name)
    })
    .await
    {
        Ok(body) => body
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(perms::Role::from_json)
            .collect::<Vec<_>>(),
        Err(finding) => return vec![finding],
    };
    let member_roles: Vec<String> =
        match read(rest, &format!("/guilds/{guild}/members/{bot}"), || {
            format!("team {}: the bot's own roles in server {guild}", t.name)
        })
        .await
        {
            Ok(body) => body["roles"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r.as_str().map(str::to_string))
                .collect(),
            Err(finding) => return vec![finding],
        };
    let owner = guild_body["owner_id"].as_str() == Some(bot);
    let base = perms::base(guild, owner, &roles, &member_roles);
    let overwrites: Vec<perms::Overwrite> = channel_body["permission_overwrites"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(perms::Overwrite::from_json)
        .collect();
    let here = perms::in_channel(guild, base, bot, &member_roles, &overwrites);
    let lacking = perms::missing(here, perms::SHARE_CHANNEL);
    out.push(if lacking.is_empty() {
        Finding::ok(
            AREA,
            format!(
                "team {}: the bot may view, send and embed links in the share channel {shown_channel}",
                t.name
            ),
        )
    } else {
        let names: Vec<&str> = lacking.iter().map(|b| perms::name(*b)).collect();
        Finding::fix(
            AREA,
            format!(
                "team {}: in the share channel {shown_channel} the bot lacks {}",
                t.name,
                names.join(", ")
            ),
            format!(
                "in Discord, {shown_channel} → Edit Channel → Permissions: allow {} for the bot's role (Amplifier), \
                 or remove the overwrite that denies {}; a channel's overwrite wins over the server's roles",
                names.join(", "),
                if names.len() == 1 { "it" } else { "them" }
            ),
        )
    });

    let Some(role_id) = &t.opt_in_role else {
        return out;
    };
    let Some(role) = roles.iter().find(|r| &r.id == role_id) else {
        out.push(Finding::fix(
            AREA,
            format!("team {}: {key}.opt_in_role names {role_id}, which is not a role of server {guild}", t.name),
            format!(
                "in Server Settings → Roles, right-click the opt-in role → Copy Role ID (Developer Mode on), and put \
                 that id in {key}.opt_in_role"
            ),
        ));
        return out;
    };
    // `/amplify join|leave` give and take the role: Discord needs Manage Roles and the bot's highest role above it.
    let highest = roles
        .iter()
        .filter(|r| member_roles.contains(&r.id))
        .max_by_key(|r| r.position);
    out.push(if base & perms::MANAGE_ROLES == 0 {
        Finding::fix(
            AREA,
            format!(
                "team {}: /amplify join cannot give the opt-in role @{}: the bot lacks {} in server {guild}",
                t.name,
                role.name,
                perms::name(perms::MANAGE_ROLES)
            ),
            format!(
                "in Server Settings → Roles → {} (the bot's role), turn on Manage Roles",
                highest.map_or("Amplifier", |r| r.name.as_str())
            ),
        )
    } else if highest.is_none_or(|h| h.position <= role.position) {
        Finding::fix(
            AREA,
            format!(
                "team {}: /amplify join cannot give the opt-in role @{}: it is not below the bot's highest role{}",
                t.name,
                role.name,
                highest.map_or(String::new(), |h| format!(" (@{})", h.name))
            ),
            format!(
                "in Server Settings → Roles, drag {} above @{} (Discord lets a bot manage only roles below its own)",
                highest.map_or("the bot's role".to_string(), |h| format!("@{}", h.name)),
                role.name
            ),
        )
    } else {
        Finding::ok(
            AREA,
            format!(
                "team {}: /amplify join and leave can give and take the opt-in role @{}",
                t.name, role.name
            ),
        )
    });
    if t.nudge == crate::config::NudgeMode::RolePost {
        out.push(if role.mentionable || here & perms::MENTION_EVERYONE != 0 {
            Finding::ok(
                AREA,
                format!("team {}: the weekly post can ping the opt-in role @{}", t.name, role.name),
            )
        } else {
            Finding::fix(
                AREA,
                format!(
                    "team {}: the weekly post cannot ping the opt-in role @{} ({role_id}): the role is not \
                     mentionable and the bot lacks {} in {shown_channel}",
                    t.name,
                    role.name,
                    perms::name(perms::MENTION_EVERYONE)
                ),
                format!(
                    "in Server Settings → Roles → {} → turn on \"Allow anyone to @mention this role\", or allow the \
                     bot's role {} in {shown_channel}",
                    role.name,
                    perms::name(perms::MENTION_EVERYONE)
                ),
            )
        });
    }
    out
}

/// The registered (global) commands against `bots/discord/commands.json`.
fn commands(team: &str, registered: &Value) -> Finding {
    let wanted: Value = serde_json::from_str(super::commands::COMMANDS_JSON).unwrap_or(Value::Null);
    let registered = registered.as_array().map(Vec::as_slice).unwrap_or(&[]);
    let kind = |c: &Value| c["type"].as_u64().unwrap_or(1);
    let mut missing = Vec::new();
    let mut outdated = Vec::new();
    for def in wanted.as_array().into_iter().flatten() {
        let name = def["name"].as_str().unwrap_or_default();
        match registered
            .iter()
            .find(|r| r["name"].as_str() == Some(name) && kind(r) == kind(def))
        {
            None => missing.push(name),
            Some(r) if !covers(r, def) => outdated.push(name),
            Some(_) => {}
        }
    }
    let fix = "start `amplifier run` once: it registers the commands at start (globally: in servers and in the \
               bot's DM; Discord may take a few minutes to show them)";
    if !missing.is_empty() {
        Finding::fix(
            AREA,
            format!(
                "team {team}: the command{} {} {} not registered",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", "),
                if missing.len() == 1 { "is" } else { "are" }
            ),
            fix,
        )
    } else if !outdated.is_empty() {
        Finding::fix(
            AREA,
            format!(
                "team {team}: the registered {} differ from bots/discord/commands.json",
                outdated.join(", ")
            ),
            fix,
        )
    } else {
        Finding::ok(
            AREA,
            format!("team {team}: the commands are registered as in bots/discord/commands.json"),
        )
    }
}

/// Whether what Discord holds says everything the definition says (Discord adds ids, versions and defaults, and
/// leaves out `false` and empty lists).
fn covers(registered: &Value, definition: &Value) -> bool {
    match (registered, definition) {
        (Value::Object(r), Value::Object(d)) => d.iter().all(|(k, v)| match r.get(k) {
            Some(rv) => covers(rv, v),
            None => {
                matches!(v, Value::Null | Value::Bool(false))
                    || v.as_array().is_some_and(Vec::is_empty)
            }
        }),
        (Value::Array(r), Value::Array(d)) => {
            r.len() == d.len() && r.iter().zip(d).all(|(r, d)| covers(r, d))
        }
        (r, d) => r == d,
    }
}

/// A GET, and once more after a short 429.
async fn get(rest: &Rest, path: &str) -> Result<Answer, super::rest::NoAnswer> {
    let answer = rest.call(Method::GET, path, None).await?;
    match answer.retry_after {
        Some(wait) if answer.status == 429 && wait <= LONGEST_WAIT => {
            tokio::time::sleep(wait).await;
            rest.call(Method::GET, path, None).await
        }
        _ => Ok(answer),
    }
}

/// The body of a GET that must succeed; else the finding that says `what` could not be read.
async fn read(rest: &Rest, path: &str, what: impl FnOnce() -> String) -> Result<Value, Finding> {
    match get(rest, path).await {
        Ok(answer) if answer.ok() => Ok(answer.body),
        Ok(answer) => Err(Finding::fix(
            AREA,
            format!("{} could not be read ({})", what(), answer.describe()),
            "run doctor again",
        )),
        Err(e) => Err(unreachable(rest.base(), e)),
    }
}

fn unreachable(base: &str, e: super::rest::NoAnswer) -> Finding {
    Finding::fix(
        AREA,
        format!("{e}"),
        format!("check discord.api_base_url ({base}) and that this machine reaches it"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn registered_commands_cover_their_definitions() {
        let defs: Value = serde_json::from_str(super::super::commands::COMMANDS_JSON).unwrap();
        let mut registered = defs.clone();
        for (i, c) in registered.as_array_mut().unwrap().iter_mut().enumerate() {
            c["id"] = json!(format!("{i}"));
            c["version"] = json!("1");
        }
        assert!(commands("T", &registered).is_ok());
        assert!(!commands("T", &json!([])).is_ok());
        let mut changed = registered.clone();
        changed[0]["description"] = json!("something else");
        let finding = commands("T", &changed);
        assert!(finding.what.contains("differ"), "{}", finding.what);
        // An admin command Discord shows to everyone is not the one defined.
        let mut shown = registered.clone();
        shown[1]["default_member_permissions"] = Value::Null;
        let finding = commands("T", &shown);
        assert!(
            finding.what.contains("differ") && finding.what.contains("amplify-team"),
            "{}",
            finding.what
        );
    }

    #[test]
    fn our_intents_need_nothing_turned_on() {
        let finding = intents(0);
        assert!(finding.is_ok(), "{finding:?}");
        assert!(finding.what.contains("GUILDS"), "{}", finding.what);
    }
}
