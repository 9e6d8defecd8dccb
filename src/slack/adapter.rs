//! Wiring for `amplifier run`: checks the bot token and its scopes (`scopes::require_bot_token`, the one
//! `auth.test` at start), builds the transport, and starts receiving events (Socket Mode with an app token, otherwise an HTTP events router for the shared HTTP listener).

use super::api::WebApi;
use super::receive::Receiver;
use super::transport::SlackTransport;
use crate::clock::Clock;
use crate::config::SlackConfig;
use crate::delivery::Transport;
use crate::engine::Engine;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Why the adapter could not start, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum SlackStartError {
    #[error("slack.bot_token is not set: set it to the Bot User OAuth Token (xoxb-…) or set AMPLIFIER_SLACK_BOT_TOKEN")]
    NoBotToken,
    #[error("neither slack.app_token (Socket Mode) nor slack.signing_secret (HTTP events) is set: Amplifier could send but never hear anyone")]
    NoEventSource,
    #[error("cannot build the HTTP client for {url}: {source}")]
    Client { url: String, source: std::io::Error },
    #[error(transparent)]
    Token(#[from] super::scopes::TokenError),
}

/// A running Slack adapter.
pub struct SlackConnection {
    /// Hand to `Delivery::new`.
    pub transport: Arc<dyn Transport>,
    /// The workspace the bot token belongs to.
    pub team_id: String,
    /// The bot's own user id.
    pub bot_user: String,
    /// The Socket Mode task (ends after `shutdown`); `None` in HTTP mode.
    pub socket_mode: Option<JoinHandle<()>>,
    /// Names, time zones and out-of-office from Slack: run `slack::people::run` with it (hourly, once a
    /// day per person).
    pub people: Arc<super::people::People>,
    /// Whether events can arrive: follows the Socket Mode connection (up after Slack's `hello`, down while
    /// reconnecting); always up in HTTP mode. For `/readyz`.
    pub connected: tokio::sync::watch::Receiver<bool>,
    /// In HTTP mode, the events routes (`/slack/events`, `/slack/interactive`, `/slack/commands`) to serve
    /// on `http.listen`.
    pub http_routes: Option<axum::Router>,
}

/// Connects to Slack. `wake` is notified whenever an event enqueued something (pass the delivery loop's);
/// `shutdown` stops Socket Mode.
pub async fn connect(
    config: &SlackConfig,
    engine: Arc<Engine>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<SlackConnection, SlackStartError> {
    let url = config.api_base_url.trim_end_matches('/').to_string();
    let bot_token = config
        .bot_token
        .as_ref()
        .ok_or(SlackStartError::NoBotToken)?;
    let client = |token: &str| {
        WebApi::new(&url, token).map_err(|source| SlackStartError::Client {
            url: url.clone(),
            source,
        })
    };
    let bot_api = client(bot_token.expose())?;
    let identity = super::scopes::require_bot_token(&url, bot_token.expose()).await?;
    match super::members::seed_share_channels(
        &bot_api,
        &engine,
        &*clock,
        &identity.team_id,
        &identity.user_id,
    )
    .await
    {
        Ok(0) => {}
        Ok(n) => tracing::info!(joined = n, "share-channel members joined their teams"),
        Err(e) => {
            tracing::warn!(error = %e, "could not list share-channel members; they join as they post or join")
        }
    }
    let people = Arc::new(super::people::People::new(
        client(bot_token.expose())?,
        engine.store().clone(),
        config.out_of_office.as_ref().map_or_else(
            super::people::OutOfOfficeRule::default,
            |rule| super::people::OutOfOfficeRule {
                emojis: rule.emojis.clone(),
                words: rule.words.clone(),
            },
        ),
    ));
    let responses = Arc::new(super::responses::ResponseUrls::new(&url));
    let receiver = Arc::new(
        Receiver::new(
            engine.clone(),
            people.clone(),
            clock.clone(),
            identity.user_id.clone(),
            wake,
            responses.clone(),
        )
        .with_api(Arc::new(client(bot_token.expose())?)),
    );
    let (connected_tx, connected) = tokio::sync::watch::channel(config.app_token.is_none());
    let (socket_mode, http_routes) = match (&config.app_token, &config.signing_secret) {
        (Some(app_token), _) => {
            let app_api = client(app_token.expose())?;
            let task = tokio::spawn(super::socket::run(
                app_api,
                receiver,
                connected_tx,
                shutdown,
            ));
            (Some(task), None)
        }
        (None, Some(secret)) => (
            None,
            Some(super::http::routes(
                receiver,
                secret.expose().to_string(),
                clock.clone(),
            )),
        ),
        (None, None) => return Err(SlackStartError::NoEventSource),
    };
    let transport: Arc<dyn Transport> =
        Arc::new(SlackTransport::new(bot_api, engine.store().clone(), clock).answering(responses));
    tracing::info!(team = %identity.team_id, bot = %identity.user_id, socket_mode = socket_mode.is_some(), "Slack connected");
    Ok(SlackConnection {
        transport,
        team_id: identity.team_id,
        bot_user: identity.user_id,
        socket_mode,
        people,
        connected,
        http_routes,
    })
}
