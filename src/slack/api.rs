//! The Web API client: slack-morphism's HTTP client with our own typed requests, its errors sorted into what the
//! delivery workers need (rate limited, worth retrying, never deliverable). It never retries on its own.

use serde::de::DeserializeOwned;
use serde::Serialize;
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;
use std::time::Duration;

/// How long one Web API call may take before it counts as a transient failure (shutdown waits for it).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a Web API call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// HTTP 429: nothing more for this method before `retry_after`.
    #[error("{method} is rate limited for {retry_after:?}")]
    RateLimited {
        method: String,
        retry_after: Duration,
    },
    /// `ok: false` with Slack's error code.
    #[error("{method} answered {code}")]
    Slack { method: String, code: String },
    /// No usable answer (network, timeout, 5xx, unreadable body).
    #[error("{method} failed: {detail}")]
    Transport { method: String, detail: String },
}

/// The error codes after which the same call can never succeed (the user, channel or message is gone, or
/// the payload itself is refused): the row is failed and audited instead of retried.
pub const PERMANENT_CODES: &[&str] = &[
    "channel_not_found",
    "user_not_found",
    "users_not_found",
    "is_archived",
    "not_in_channel",
    "cannot_dm_bot",
    "user_disabled",
    "account_inactive",
    "user_not_in_channel",
    "message_not_found",
    "cant_update_message",
    "edit_window_closed",
    "msg_too_long",
    "msg_blocks_too_long",
    "no_text",
    "invalid_blocks",
    "invalid_arguments",
    "invalid_arg_name",
    "too_many_attachments",
    "expired_trigger_id",
    "invalid_trigger_id",
    "exchanged_trigger_id",
    "view_too_large",
    "restricted_action",
];

impl ApiError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, ApiError::Slack { code, .. } if PERMANENT_CODES.contains(&code.as_str()))
    }
}

/// A Web API client for one workspace's bot token.
pub struct WebApi {
    client: SlackHyperClient,
    token: SlackApiToken,
}

impl WebApi {
    /// `base_url` is the Web API root without a trailing slash (`https://slack.com/api`, or a loopback fake).
    pub fn new(base_url: &str, token: &str) -> std::io::Result<WebApi> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()?
            .https_or_http()
            .enable_http1()
            .build();
        let client = SlackClient::new(
            SlackClientHyperConnector::from(connector)
                .with_slack_api_url(base_url.trim_end_matches('/')),
        );
        Ok(WebApi {
            client,
            token: SlackApiToken::new(SlackApiTokenValue(token.to_string())),
        })
    }

    /// POSTs `request` as JSON to `method`.
    pub async fn post<RQ, RS>(&self, method: &str, request: &RQ) -> Result<RS, ApiError>
    where
        RQ: Serialize + Send + Sync,
        RS: DeserializeOwned + Send,
    {
        let session = self.client.open_session(&self.token);
        let call = session.http_session_api.http_post(method, request, None);
        match tokio::time::timeout(CALL_TIMEOUT, call).await {
            Ok(result) => result.map_err(|e| sort(method, e)),
            Err(_) => Err(ApiError::Transport {
                method: method.to_string(),
                detail: format!("no answer within {CALL_TIMEOUT:?}"),
            }),
        }
    }

    /// GETs `method` with query parameters (Slack's read methods).
    pub async fn get<RS>(&self, method: &str, params: &[(&str, &str)]) -> Result<RS, ApiError>
    where
        RS: DeserializeOwned + Send,
    {
        let session = self.client.open_session(&self.token);
        let params: Vec<(&str, Option<&str>)> =
            params.iter().map(|(k, v)| (*k, Some(*v))).collect();
        let call = session
            .http_session_api
            .http_get::<RS, _, &str>(method, &params, None);
        match tokio::time::timeout(CALL_TIMEOUT, call).await {
            Ok(result) => result.map_err(|e| sort(method, e)),
            Err(_) => Err(ApiError::Transport {
                method: method.to_string(),
                detail: format!("no answer within {CALL_TIMEOUT:?}"),
            }),
        }
    }
}

/// When Slack sends a 429 without `Retry-After`, wait this long (the documented minimum window is a minute
/// for tier 1; most methods recover within seconds).
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(30);

fn sort(method: &str, error: SlackClientError) -> ApiError {
    let method = method.to_string();
    match error {
        SlackClientError::RateLimitError(e) => ApiError::RateLimited {
            method,
            retry_after: e.retry_after.unwrap_or(DEFAULT_RETRY_AFTER),
        },
        SlackClientError::ApiError(e) => ApiError::Slack {
            method,
            code: e.code,
        },
        other => ApiError::Transport {
            method,
            detail: other.to_string(),
        },
    }
}
