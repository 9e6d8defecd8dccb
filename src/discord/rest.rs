//! A small Discord REST client: the bot token, the configured base URL, a timeout, and answers classified into
//! what the delivery layer understands (sent, rate limited, worth retrying, never deliverable).
//!
//! Not serenity's `Http`: behind a proxy URL serenity bypasses its own rate limiter and loses `retry_after` from
//! 429 bodies without a `code` (LIBRARY-NOTES), and the transport needs the raw `X-RateLimit-*` headers and the
//! exact body (nonce, `allowed_mentions`) anyway.

use super::ratelimit::BucketState;
use serde_json::Value;
use std::time::Duration;

/// Every request gives up after this long; shutdown waits for an in-flight send.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Discord's JSON error codes the adapter acts on.
pub mod codes {
    /// "Cannot send messages to this user": the user does not accept DMs from the bot.
    pub const CANNOT_DM: i64 = 50007;
    /// "You are opening direct messages too fast".
    pub const DM_OPENING_TOO_FAST: i64 = 40003;
    /// "Unknown interaction": the token expired or the interaction was already answered.
    pub const UNKNOWN_INTERACTION: i64 = 10062;
    /// "Interaction has already been acknowledged".
    pub const ALREADY_ACKNOWLEDGED: i64 = 40060;
    /// "Missing Permissions": the bot lacks a permission, or (for roles) its highest role is not above the role.
    pub const MISSING_PERMISSIONS: i64 = 50013;
    /// "Unknown Role".
    pub const UNKNOWN_ROLE: i64 = 10011;
}

#[derive(Debug, Clone)]
pub struct Rest {
    client: reqwest::Client,
    base: String,
    auth: String,
}

/// An answer with a body (JSON, or `Null` for 204) and its route's bucket, when the headers said.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub bucket: Option<BucketState>,
    /// For a 429: how long to wait, from the body's `retry_after`, else `Retry-After`, else a safe default.
    pub retry_after: Option<Duration>,
    pub global: bool,
    /// Discord's clock, from the `Date` header (for `amplifier doctor`).
    pub date: Option<chrono::DateTime<chrono::Utc>>,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Discord's JSON error code, when the body carries one.
    pub fn code(&self) -> Option<i64> {
        self.body.get("code").and_then(Value::as_i64)
    }

    /// The error as an operator reads it.
    pub fn describe(&self) -> String {
        let message = self
            .body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("no message");
        match self.code() {
            Some(code) => format!("HTTP {} (Discord code {code}: {message})", self.status),
            None => format!("HTTP {} ({message})", self.status),
        }
    }
}

/// The request did not get an answer (connection refused, reset, timed out).
#[derive(Debug, thiserror::Error)]
#[error("Discord did not answer {route}: {source}")]
pub struct NoAnswer {
    route: String,
    #[source]
    source: reqwest::Error,
}

/// The HTTP client could not be built (no TLS backend, a bad system configuration).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client for Discord")]
pub struct ClientError(#[source] reqwest::Error);

impl Rest {
    /// `base` is the API root, e.g. `https://discord.com/api/v10` (no trailing slash needed).
    pub fn new(base: &str, bot_token: &str) -> Result<Rest, ClientError> {
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!(
                "DiscordBot (https://github.com/amplifier, ",
                env!("CARGO_PKG_VERSION"),
                ")"
            ))
            .build()
            .map_err(ClientError)?;
        Ok(Rest {
            client,
            base: base.trim_end_matches('/').to_string(),
            auth: format!("Bot {bot_token}"),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, NoAnswer> {
        let route = format!("{method} {path}");
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", &self.auth);
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.map_err(|source| NoAnswer {
            route: route.clone(),
            source,
        })?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let bucket = match (
            header("x-ratelimit-remaining").and_then(|v| v.parse::<i64>().ok()),
            header("x-ratelimit-reset-after").and_then(|v| v.parse::<f64>().ok()),
        ) {
            (Some(remaining), Some(reset_after)) => Some(BucketState {
                remaining,
                reset_after,
            }),
            _ => None,
        };
        let text = response.text().await.map_err(|source| NoAnswer {
            route: route.clone(),
            source,
        })?;
        let body: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        let mut retry_after = None;
        let mut global = false;
        if status == 429 {
            global = body.get("global").and_then(Value::as_bool).unwrap_or(false)
                || header("x-ratelimit-global").is_some_and(|v| v == "true");
            let seconds = body
                .get("retry_after")
                .and_then(Value::as_f64)
                .or_else(|| header("retry-after").and_then(|v| v.parse().ok()))
                .or(bucket.map(|b| b.reset_after))
                .unwrap_or(5.0);
            retry_after = Some(Duration::from_millis(
                (seconds.max(0.0) * 1000.0).ceil() as u64
            ));
        }
        Ok(Answer {
            status,
            body,
            bucket,
            retry_after,
            global,
            date: header("date")
                .as_deref()
                .and_then(crate::doctor::parse_http_date),
        })
    }
}
