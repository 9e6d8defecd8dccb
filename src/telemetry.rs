//! Logging: tracing with pretty lines on a terminal or JSON lines for collectors, filtered by config or `RUST_LOG`.

use crate::config::{LogConfig, LogFormat};
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; a second call (tests) is a no-op.
pub fn init(log: &LogConfig) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&log.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match log.format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// The interaction acknowledgement histogram's name: seconds from an event's arrival to its
/// acknowledgement (Slack: the Socket Mode ack or the HTTP response; Discord: the interaction's
/// first answer or deferral). Both platforms give 3 seconds.
pub const ACK_SECONDS: &str = "amplifier_interaction_ack_seconds";

/// Buckets for [`ACK_SECONDS`], around the 3-second deadline.
pub const ACK_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0,
];

/// Records one acknowledgement on `/metrics`.
pub fn record_ack(platform: &'static str, via: &'static str, took: std::time::Duration) {
    metrics::histogram!(ACK_SECONDS, "platform" => platform, "via" => via)
        .record(took.as_secs_f64());
}
