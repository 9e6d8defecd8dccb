//! Events over HTTP (the alternative to Socket Mode): one endpoint for events, interactions and commands, every
//! request's v0 signature checked (401 otherwise), retries (`X-Slack-Retry-Num`) applied once.

use super::receive::{Outcome, PayloadKind, Receiver};
use super::signature::verify;
use crate::clock::Clock;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::sync::Arc;

/// Where Slack posts (Event Subscriptions, Interactivity and the slash command all use this URL).
pub const PATH: &str = "/slack/events";

#[derive(Clone)]
struct Endpoint {
    receiver: Arc<Receiver>,
    secret: Arc<str>,
    clock: Arc<dyn Clock>,
}

/// The routes to serve on `http.listen`.
pub fn routes(receiver: Arc<Receiver>, signing_secret: String, clock: Arc<dyn Clock>) -> Router {
    Router::new()
        .route(PATH, axum::routing::post(events))
        .with_state(Endpoint {
            receiver,
            secret: signing_secret.into(),
            clock,
        })
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn events(State(endpoint): State<Endpoint>, headers: HeaderMap, body: Bytes) -> Response {
    let received = std::time::Instant::now();
    if let Err(e) = verify(
        &endpoint.secret,
        header(&headers, "x-slack-signature"),
        header(&headers, "x-slack-request-timestamp"),
        &body,
        endpoint.clock.now(),
    ) {
        tracing::warn!(error = %e, "refused a Slack request");
        return (StatusCode::UNAUTHORIZED, e.to_string()).into_response();
    }
    let is_json =
        header(&headers, "content-type").is_some_and(|c| c.starts_with("application/json"));
    let (kind, payload) = if is_json {
        let Ok(payload) = serde_json::from_slice::<serde_json::Value>(&body) else {
            return (StatusCode::BAD_REQUEST, "unreadable JSON").into_response();
        };
        if payload["type"] == "url_verification" {
            return axum::Json(serde_json::json!({"challenge": payload["challenge"]}))
                .into_response();
        }
        (PayloadKind::EventsApi, payload)
    } else {
        let form: serde_json::Map<String, serde_json::Value> = url::form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
            .collect();
        match form.get("payload").and_then(|p| p.as_str()) {
            Some(json) => match serde_json::from_str(json) {
                Ok(payload) => (PayloadKind::Interactive, payload),
                Err(_) => return (StatusCode::BAD_REQUEST, "unreadable payload").into_response(),
            },
            None => (PayloadKind::SlashCommand, serde_json::Value::Object(form)),
        }
    };
    if let Some(retry) = header(&headers, "x-slack-retry-num") {
        // The engine keys events by Slack's event_id, so a retry of one we applied changes nothing.
        tracing::debug!(
            retry,
            reason = header(&headers, "x-slack-retry-reason"),
            "Slack retried an event"
        );
    }
    let outcome = endpoint.receiver.receive(kind, &payload).await;
    crate::telemetry::record_ack("slack", "http", received.elapsed());
    match outcome {
        Outcome::Failed(_) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "not applied; retry").into_response()
        }
        _ => StatusCode::OK.into_response(),
    }
}
