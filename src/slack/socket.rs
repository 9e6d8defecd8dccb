//! Socket Mode: a WebSocket to Slack opened with the app-level token, so no public URL is needed. Envelopes are
//! applied and acknowledged (within Slack's 3 seconds); `disconnect` messages and dropped sockets reconnect
//! through a fresh `apps.connections.open`; an envelope we fail to apply is left unacknowledged for Slack to
//! redeliver, and a redelivery is applied once (the engine keys events).

use super::api::WebApi;
use super::receive::{PayloadKind, Receiver};
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as Frame;

#[derive(Serialize)]
struct NoArgs {}

#[derive(Deserialize)]
struct Opened {
    url: String,
}

/// One Socket Mode frame from Slack.
#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    envelope_id: Option<String>,
    #[serde(default)]
    payload: serde_json::Value,
    reason: Option<String>,
}

#[derive(Serialize)]
struct Ack<'a> {
    envelope_id: &'a str,
}

/// Why one connection ended.
enum Ended {
    Shutdown,
    /// `disconnect` from Slack or the socket dropped: open a new one at once.
    Reconnect(String),
}

/// The longest wait between failed connection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Keeps one Socket Mode connection up until `shutdown`; `connected` says whether one is up.
pub async fn run(
    app_api: WebApi,
    receiver: Arc<Receiver>,
    connected: tokio::sync::watch::Sender<bool>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut failures: u32 = 0;
    loop {
        let opened = tokio::select! {
            _ = &mut shutdown => return,
            opened = app_api.post::<_, Opened>("apps.connections.open", &NoArgs {}) => opened,
        };
        let problem = match opened {
            Ok(opened) => match tokio_tungstenite::connect_async(opened.url.as_str()).await {
                Ok((socket, _)) => {
                    failures = 0;
                    let ended = serve(socket, &receiver, &connected, &mut shutdown).await;
                    connected.send_replace(false);
                    match ended {
                        Ended::Shutdown => return,
                        Ended::Reconnect(why) => {
                            tracing::info!(%why, "Slack Socket Mode reconnecting");
                            continue;
                        }
                    }
                }
                Err(e) => format!("cannot connect to the Socket Mode URL: {e}"),
            },
            Err(e) => format!(
                "apps.connections.open failed: {e} (check slack.app_token: an xapp- token with connections:write, and Socket Mode enabled)"
            ),
        };
        failures += 1;
        let wait = Duration::from_secs(1u64 << failures.min(6)).min(MAX_BACKOFF);
        tracing::warn!(%problem, ?wait, "Slack Socket Mode is down; trying again");
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

async fn serve<S>(
    mut socket: tokio_tungstenite::WebSocketStream<S>,
    receiver: &Receiver,
    connected: &tokio::sync::watch::Sender<bool>,
    shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
) -> Ended
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        let frame = tokio::select! {
            _ = shutdown.as_mut() => {
                let _ = socket.close(None).await;
                return Ended::Shutdown;
            }
            frame = socket.next() => frame,
        };
        let received = std::time::Instant::now();
        let text = match frame {
            Some(Ok(Frame::Text(text))) => text,
            Some(Ok(Frame::Close(_))) | None => {
                return Ended::Reconnect("the socket closed".into())
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Ended::Reconnect(format!("the socket failed: {e}")),
        };
        let envelope: Envelope = match serde_json::from_str(text.as_str()) {
            Ok(envelope) => envelope,
            Err(e) => {
                tracing::warn!(error = %e, "unreadable Socket Mode frame");
                continue;
            }
        };
        let kind = match envelope.kind.as_str() {
            "hello" => {
                tracing::info!("Slack Socket Mode connected");
                connected.send_replace(true);
                continue;
            }
            "disconnect" => {
                return Ended::Reconnect(format!(
                    "Slack asked to reconnect ({})",
                    envelope.reason.as_deref().unwrap_or("no reason given")
                ))
            }
            "events_api" => Some(PayloadKind::EventsApi),
            "interactive" => Some(PayloadKind::Interactive),
            "slash_commands" => Some(PayloadKind::SlashCommand),
            _ => None,
        };
        let Some(id) = envelope.envelope_id.as_deref() else {
            continue;
        };
        let outcome = match kind {
            Some(kind) => receiver.receive(kind, &envelope.payload).await,
            None => super::receive::Outcome::Ignored,
        };
        if outcome.ack() {
            let ack = serde_json::to_string(&Ack { envelope_id: id }).unwrap_or_default();
            if let Err(e) = socket.send(Frame::Text(ack.into())).await {
                return Ended::Reconnect(format!("could not acknowledge: {e}"));
            }
            crate::telemetry::record_ack("slack", "socket_mode", received.elapsed());
        }
    }
}
