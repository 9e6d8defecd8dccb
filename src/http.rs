//! The HTTP side of `amplifier run` on `http.listen`: `/healthz` (the process is up), `/readyz` (the database
//! answers and every configured platform is connected), `/metrics` (Prometheus text), and Slack's HTTP events
//! routes when Slack runs in that mode.

use crate::delivery::{RATE_LIMIT_BUCKETS, RATE_LIMIT_WAIT};
use crate::store::Store;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Whether each platform adapter is connected, as the adapters last said.
#[derive(Debug, Default)]
pub struct Readiness {
    platforms: Mutex<BTreeMap<String, bool>>,
}

impl Readiness {
    pub fn set(&self, platform: &str, connected: bool) {
        self.platforms
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(platform.to_string(), connected);
    }

    fn snapshot(&self) -> BTreeMap<String, bool> {
        self.platforms
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// The process-wide Prometheus recorder (installed once; later calls share it).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(crate::telemetry::ACK_SECONDS.to_string()),
                    crate::telemetry::ACK_BUCKETS,
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(RATE_LIMIT_WAIT.to_string()),
                        RATE_LIMIT_BUCKETS,
                    )
                })
                .expect("the bucket lists are not empty")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (tests embedding the library): then ours only renders.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

#[derive(Clone)]
struct AppState {
    store: Arc<dyn Store>,
    readiness: Arc<Readiness>,
    metrics: PrometheusHandle,
}

/// The health and metrics routes, merged with `extra` (Slack's events routes, when any).
pub fn router(store: Arc<dyn Store>, readiness: Arc<Readiness>, extra: Option<Router>) -> Router {
    let state = AppState {
        store,
        readiness,
        metrics: metrics_handle(),
    };
    let app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render_metrics))
        .with_state(state);
    match extra {
        Some(extra) => app.merge(extra),
        None => app,
    }
}

async fn readyz(State(state): State<AppState>) -> Response {
    let mut problems = Vec::new();
    if let Err(e) = state.store.schema_version().await {
        problems.push(format!("database: {e}"));
    }
    for (platform, connected) in state.readiness.snapshot() {
        if !connected {
            problems.push(format!("{platform}: not connected"));
        }
    }
    if problems.is_empty() {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready:\n{}\n", problems.join("\n")),
        )
            .into_response()
    }
}

async fn render_metrics(State(state): State<AppState>) -> Response {
    if let Ok(depth) = state.store.outbox_depth().await {
        metrics::gauge!("amplifier_outbox_depth", "lane" => "interactive")
            .set(depth.interactive as f64);
        metrics::gauge!("amplifier_outbox_depth", "lane" => "bulk").set(depth.bulk as f64);
    }
    (
        [("content-type", "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn ack_latency_and_rate_limit_waits_render_as_histograms() {
        let handle = metrics_handle();
        crate::telemetry::record_ack("slack", "socket_mode", Duration::from_millis(3));
        metrics::histogram!(RATE_LIMIT_WAIT, "platform" => "discord").record(2.5);
        let text = handle.render();
        for needle in [
            r#"amplifier_interaction_ack_seconds_bucket{platform="slack",via="socket_mode",le="0.0025"} 0"#,
            r#"amplifier_interaction_ack_seconds_bucket{platform="slack",via="socket_mode",le="0.005"} 1"#,
            r#"amplifier_rate_limit_wait_seconds_bucket{platform="discord",le="5"} 1"#,
            r#"amplifier_rate_limit_wait_seconds_sum{platform="discord"} 2.5"#,
        ] {
            assert!(text.contains(needle), "{needle} not in:\n{text}");
        }
    }
}
