//! The bot scopes Amplifier needs (those `bots/slack/manifest.json` asks for), checked against what a token
//! was granted: Slack lists a token's scopes in the `X-OAuth-Scopes` header of every Web API answer.

use std::time::Duration;

const MANIFEST: &str = include_str!("../../bots/slack/manifest.json");

/// Scopes the manifest asks for that Amplifier can do without: keeping a `role_post` team's opt-in user group
/// in step with `/amplify join|leave` (user groups need a paid plan; without them the member is told what to ask
/// for).
pub const OPTIONAL_BOT_SCOPES: &[&str] = &["usergroups:read", "usergroups:write"];

/// The bot scopes a token must hold: the manifest's, less [`OPTIONAL_BOT_SCOPES`].
pub fn required_bot_scopes() -> Vec<String> {
    manifest_bot_scopes()
        .into_iter()
        .filter(|s| !OPTIONAL_BOT_SCOPES.contains(&s.as_str()))
        .collect()
}

/// Every bot scope the app manifest asks for.
pub fn manifest_bot_scopes() -> Vec<String> {
    let manifest: serde_json::Value =
        serde_json::from_str(MANIFEST).expect("bots/slack/manifest.json is JSON");
    manifest["oauth_config"]["scopes"]["bot"]
        .as_array()
        .map(|scopes| {
            scopes
                .iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// What `auth.test` says about a bot token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCheck {
    pub team_id: String,
    /// The Enterprise Grid organization (`E…`) of an org-wide install.
    pub enterprise_id: Option<String>,
    /// The bot's own user id.
    pub user_id: String,
    pub missing_scopes: Vec<String>,
    /// Slack's clock, from the answer's `Date` header (for `amplifier doctor`).
    pub server_date: Option<chrono::DateTime<chrono::Utc>>,
}

/// Why `auth.test` gave no verdict on the token, or refused it; each says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// No readable answer from Slack.
    #[error("{0}")]
    Unreachable(String),
    /// Slack answered `ok: false` with this code.
    #[error("slack.bot_token was refused ({code}): copy the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page")]
    Refused { code: String },
    /// The token works but lacks scopes the app needs ([`require_bot_token`]).
    #[error("{}", missing_scopes_message(.0))]
    MissingScopes(Vec<String>),
}

/// The one token check of `check --live` and `run`: `auth.test` once, an error unless the token works and holds
/// every scope the manifest asks for. (`doctor` calls [`check_bot_token`] to report missing scopes as findings.)
pub async fn require_bot_token(
    api_base_url: &str,
    bot_token: &str,
) -> Result<TokenCheck, TokenError> {
    let check = check_bot_token(api_base_url, bot_token).await?;
    if check.missing_scopes.is_empty() {
        Ok(check)
    } else {
        Err(TokenError::MissingScopes(check.missing_scopes))
    }
}

/// Calls `auth.test` with the bot token and compares its scopes with the manifest's. The error says what to fix.
pub async fn check_bot_token(
    api_base_url: &str,
    bot_token: &str,
) -> Result<TokenCheck, TokenError> {
    let url = format!("{}/auth.test", api_base_url.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| TokenError::Unreachable(e.to_string()))?;
    let answer = client
        .post(&url)
        .bearer_auth(bot_token)
        .send()
        .await
        .map_err(|e| TokenError::Unreachable(format!("cannot reach Slack at {url}: {e}")))?;
    let granted: Vec<String> = answer
        .headers()
        .get("x-oauth-scopes")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let server_date = answer
        .headers()
        .get("date")
        .and_then(|v| v.to_str().ok())
        .and_then(crate::doctor::parse_http_date);
    let text = answer.text().await.map_err(|e| {
        TokenError::Unreachable(format!("auth.test answered something unreadable: {e}"))
    })?;
    let body: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        TokenError::Unreachable(format!("auth.test answered something unreadable: {e}"))
    })?;
    if body["ok"] != serde_json::Value::Bool(true) {
        let code = body["error"].as_str().unwrap_or("unknown_error");
        return Err(TokenError::Refused {
            code: code.to_string(),
        });
    }
    let missing = required_bot_scopes()
        .into_iter()
        .filter(|s| !granted.contains(s))
        .collect();
    Ok(TokenCheck {
        team_id: body["team_id"].as_str().unwrap_or_default().to_string(),
        enterprise_id: body["enterprise_id"]
            .as_str()
            .filter(|e| !e.is_empty())
            .map(str::to_string),
        user_id: body["user_id"].as_str().unwrap_or_default().to_string(),
        missing_scopes: missing,
        server_date,
    })
}

/// The sentence for missing scopes.
pub fn missing_scopes_message(missing: &[String]) -> String {
    format!(
        "the Slack bot token lacks the scopes {}: add them under OAuth & Permissions → Bot Token Scopes (or recreate the app from bots/slack/manifest.json), then reinstall the app to your workspace",
        missing.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_names_the_scopes_the_adapter_uses() {
        let scopes = required_bot_scopes();
        for scope in [
            "chat:write",
            "im:write",
            "im:history",
            "commands",
            "users:read",
        ] {
            assert!(scopes.iter().any(|s| s == scope), "{scope} in {scopes:?}");
        }
    }
}
