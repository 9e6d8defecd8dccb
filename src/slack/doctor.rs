//! Slack's part of `amplifier doctor`: the bot token and its scopes (`auth.test`), Socket Mode's app token
//! (`apps.connections.open`), and for each Slack team its workspace, its share channel with the bot in it
//! (`conversations.info`) and each configured person (`users.info`). Read-only.

use super::api::{ApiError, WebApi};
use super::scopes::TokenError;
use crate::clock::Clock;
use crate::config::{SlackConfig, SlackEventsMode};
use crate::doctor::{Checked, ClockReading, ConfiguredTeam, Finding};
use serde::{Deserialize, Serialize};
use std::time::Duration;

const AREA: &str = "slack";
/// Waiting out one 429 is worth it; a longer wait is reported instead.
const LONGEST_WAIT: Duration = Duration::from_secs(60);

#[derive(Serialize)]
struct NoArgs {}

#[derive(Deserialize)]
struct Opened {}

#[derive(Deserialize)]
struct ChannelInfo {
    channel: Channel,
}

#[derive(Deserialize)]
struct Channel {
    #[serde(default)]
    name: String,
    #[serde(default)]
    is_member: bool,
    #[serde(default)]
    is_archived: bool,
}

#[derive(Deserialize)]
struct UserInfo {
    user: User,
}

#[derive(Deserialize)]
struct User {
    #[serde(default)]
    name: String,
    #[serde(default)]
    deleted: bool,
    #[serde(default)]
    is_bot: bool,
}

/// Checks what the config asks of Slack. Without a working bot token nothing else can be asked.
pub async fn check(
    slack: Option<&SlackConfig>,
    teams: &[ConfiguredTeam<'_>],
    clock: &dyn Clock,
) -> Checked {
    let mut out = Checked::default();
    let Some(slack) = slack else {
        // The config check already says a Slack team needs a [slack] section.
        return out;
    };
    let Some(token) = &slack.bot_token else {
        out.findings.push(Finding::fix(
            AREA,
            "no bot token is set",
            format!(
                "set slack.bot_token or {} to the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page",
                crate::config::ENV_SLACK_BOT_TOKEN
            ),
        ));
        return out;
    };
    let base = &slack.api_base_url;
    let token_check = match super::scopes::check_bot_token(base, token.expose()).await {
        Ok(check) => check,
        Err(TokenError::Refused { code }) => {
            out.findings.push(Finding::fix(
                AREA,
                format!("the bot token was refused ({code})"),
                "copy the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page into \
                 slack.bot_token or AMPLIFIER_SLACK_BOT_TOKEN (reinstall the app if the page shows none)",
            ));
            return out;
        }
        Err(TokenError::Unreachable(problem)) => {
            out.findings.push(Finding::fix(
                AREA,
                problem,
                format!(
                    "check slack.api_base_url ({}) and that this machine reaches it, then run doctor again",
                    slack.api_base_url
                ),
            ));
            return out;
        }
        // `check_bot_token` reports missing scopes in its answer, not as an error; should that change, the
        // sentence still says what to do.
        Err(missing @ TokenError::MissingScopes(_)) => {
            out.findings.push(Finding::fix(
                AREA,
                missing.to_string(),
                "add the scopes and reinstall the app",
            ));
            return out;
        }
    };
    if let Some(theirs) = token_check.server_date {
        out.clocks.push(ClockReading {
            platform: "Slack",
            theirs,
            ours: clock.now(),
        });
    }
    out.findings.push(Finding::ok(
        AREA,
        format!(
            "the bot token works (workspace {}, bot user {})",
            token_check.team_id, token_check.user_id
        ),
    ));
    if token_check.missing_scopes.is_empty() {
        out.findings.push(Finding::ok(
            AREA,
            "the bot token has every scope in bots/slack/manifest.json",
        ));
    } else {
        out.findings.push(Finding::fix(
            AREA,
            format!(
                "the bot token lacks the scope{} {}",
                if token_check.missing_scopes.len() == 1 {
                    ""
                } else {
                    "s"
                },
                token_check.missing_scopes.join(", ")
            ),
            super::scopes::missing_scopes_message(&token_check.missing_scopes),
        ));
    }
    out.findings.push(events(slack).await);

    let api = match WebApi::new(base, token.expose()) {
        Ok(api) => api,
        Err(e) => {
            out.findings.push(Finding::fix(
                AREA,
                format!("cannot build the Web API client: {e}"),
                "check that this machine has its TLS root certificates installed",
            ));
            return out;
        }
    };
    for team in teams {
        out.findings
            .extend(check_team(&api, team, &token_check).await);
    }
    out
}

/// How events arrive: Socket Mode's app token is asked for a connection URL (not connected to); HTTP events
/// cannot be tested from here.
async fn events(slack: &SlackConfig) -> Finding {
    match slack.events_mode() {
        Some(SlackEventsMode::SocketMode) => {
            let app_token = slack.app_token.as_ref().map(|t| t.expose()).unwrap_or("");
            let api = match WebApi::new(&slack.api_base_url, app_token) {
                Ok(api) => api,
                Err(e) => {
                    return Finding::fix(
                        AREA,
                        format!("cannot build the Web API client: {e}"),
                        "check that this machine has its TLS root certificates installed",
                    )
                }
            };
            match retrying(|| api.post::<_, Opened>("apps.connections.open", &NoArgs {})).await {
                Ok(_) => Finding::ok(AREA, "Socket Mode: the app token opens connections"),
                Err(ApiError::Slack { code, .. }) => Finding::fix(
                    AREA,
                    format!("Socket Mode: the app token was refused ({code})"),
                    "in your app's settings turn on Socket Mode, then under Basic Information → App-Level Tokens \
                     create a token with the connections:write scope and set it as slack.app_token (xapp-…) or \
                     AMPLIFIER_SLACK_APP_TOKEN",
                ),
                Err(e) => Finding::fix(
                    AREA,
                    format!("Socket Mode: could not be checked: {e}"),
                    "check that this machine reaches slack.api_base_url, then run doctor again",
                ),
            }
        }
        Some(SlackEventsMode::Http) => Finding::ok(
            AREA,
            "HTTP events: a signing secret is set (Slack checks it on each request; it cannot be tested from here)",
        ),
        None => Finding::fix(
            AREA,
            "no way to receive events",
            "set slack.app_token (xapp-…, Socket Mode, no public URL needed) or slack.signing_secret (HTTP events)",
        ),
    }
}

async fn check_team(
    api: &WebApi,
    team: &ConfiguredTeam<'_>,
    token: &super::scopes::TokenCheck,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let t = team.team;
    let key = format!("teams[{}]", team.index);
    let token_team = &token.team_id;
    // An org-wide install answers for its organization (`E…`) as well as the workspace.
    if t.workspace_id != *token_team && token.enterprise_id.as_ref() != Some(&t.workspace_id) {
        out.push(Finding::fix(
            AREA,
            format!(
                "team {}: {key}.workspace_id is {} but the bot token belongs to workspace {token_team}",
                t.name, t.workspace_id
            ),
            format!(
                "set {key}.workspace_id = \"{token_team}\", or use the bot token of workspace {}",
                t.workspace_id
            ),
        ));
        // Its channel and people live in another workspace: asking would only repeat the finding.
        return out;
    }
    let channel = &t.share_channel;
    let params = [("channel", channel.as_str())];
    let answer = retrying(|| api.get::<ChannelInfo>("conversations.info", &params)).await;
    out.push(match answer {
        Ok(info) if info.channel.is_archived => Finding::fix(
            AREA,
            format!("team {}: the share channel #{} ({channel}) is archived", t.name, info.channel.name),
            format!("unarchive it, or set {key}.share_channel to another channel's id"),
        ),
        Ok(info) if !info.channel.is_member => Finding::fix(
            AREA,
            format!("team {}: the bot is not in the share channel #{} ({channel})", t.name, info.channel.name),
            format!("in #{}, type /invite @Amplifier", info.channel.name),
        ),
        Ok(info) => Finding::ok(
            AREA,
            format!("team {}: the bot is in the share channel #{} ({channel})", t.name, info.channel.name),
        ),
        Err(ApiError::Slack { code, .. }) if code == "channel_not_found" => Finding::fix(
            AREA,
            format!("team {}: the share channel {channel} was not found", t.name),
            format!(
                "check {key}.share_channel (the id from the channel's details, C…); for a private channel, \
                 invite the bot first with /invite @Amplifier"
            ),
        ),
        Err(e) => Finding::fix(
            AREA,
            format!("team {}: the share channel {channel} could not be checked: {e}", t.name),
            format!("check {key}.share_channel and the bot token's scopes (channels:read, groups:read)"),
        ),
    });
    let mut unknown = Vec::new();
    let before = out.len();
    for (person_key, id) in team.people() {
        let params = [("user", id)];
        let answer = retrying(|| api.get::<UserInfo>("users.info", &params)).await;
        match answer {
            Ok(info) if info.user.deleted => out.push(Finding::fix(
                AREA,
                format!(
                    "team {}: {person_key} names {id} ({}), whose account is deactivated",
                    t.name, info.user.name
                ),
                format!("remove {id} from {person_key}"),
            )),
            Ok(info) if info.user.is_bot => out.push(Finding::fix(
                AREA,
                format!(
                    "team {}: {person_key} names {id} ({}), which is a bot",
                    t.name, info.user.name
                ),
                format!("remove {id} from {person_key}"),
            )),
            Ok(_) => {}
            Err(ApiError::Slack { code, .. }) if code == "user_not_found" => {
                unknown.push((person_key, id))
            }
            Err(e) => out.push(Finding::fix(
                AREA,
                format!(
                    "team {}: {person_key} names {id}, who could not be checked: {e}",
                    t.name
                ),
                "run doctor again; if it repeats, check the bot token's users:read scope",
            )),
        }
    }
    for (person_key, id) in &unknown {
        out.push(Finding::fix(
            AREA,
            format!("team {}: {person_key} names {id}, who is not a member of workspace {}", t.name, t.workspace_id),
            format!(
                "in Slack open the person's profile → ⋮ → Copy member ID, and put that id (U…) in {person_key}"
            ),
        ));
    }
    let people = team.people().len();
    if out.len() == before {
        out.push(Finding::ok(
            AREA,
            format!(
                "team {}: all {people} configured {} exist in the workspace",
                t.name,
                if people == 1 { "person" } else { "people" }
            ),
        ));
    }
    out
}

/// One call, and once more after a 429's `Retry-After` when that is short.
async fn retrying<T, F, Fut>(call: F) -> Result<T, ApiError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    match call().await {
        Err(ApiError::RateLimited { retry_after, .. }) if retry_after <= LONGEST_WAIT => {
            tokio::time::sleep(retry_after).await;
            call().await
        }
        other => other,
    }
}
