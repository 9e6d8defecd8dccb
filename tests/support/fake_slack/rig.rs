//! A whole Amplifier on Slack for tests: a store, the engine with a Slack team, the real adapter connected to
//! the fake, delivery through the Slack transport, and a manual clock.

use super::{FakeSlack, APP_TOKEN, BOT_TOKEN, TEAM};
use amplifier::clock::{Clock, ManualClock};
use amplifier::config::Config;
use amplifier::delivery::{Delivery, DeliveryConfig, DeliveryReport};
use amplifier::engine::Engine;
use amplifier::slack::SlackConnection;
use amplifier::store::{OutboxId, OutboxStatus, Store};
use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{oneshot, Notify};

pub const ALICE: &str = "U0ALICE001";
pub const BOB: &str = "U0BOB00001";
pub const CAROL: &str = "U0CAROL001";
pub const DAN: &str = "U0DAN00001";
pub const ERIN: &str = "U0ERIN0001";
pub const SHARE_CHANNEL: &str = "C0AMPLIFY1";
pub const SIGNING_SECRET: &str = "fake-signing-secret";

/// How events reach the adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    SocketMode,
    Http,
}

pub struct SlackRig {
    pub fake: FakeSlack,
    pub socket: Option<super::socket::FakeSocket>,
    pub store: Arc<dyn Store>,
    pub engine: Arc<Engine>,
    pub clock: Arc<ManualClock>,
    pub delivery: Delivery,
    pub connection: SlackConnection,
    pub wake: Arc<Notify>,
    /// Where the adapter's HTTP events routes listen (HTTP mode).
    pub http: Option<std::net::SocketAddr>,
    stop: Option<oneshot::Sender<()>>,
    _dir: Option<tempfile::TempDir>,
}

fn config(mode: Mode, api_url: &str, team_extra: &str) -> String {
    let events = match mode {
        Mode::SocketMode => format!("app_token = \"{APP_TOKEN}\""),
        Mode::Http => format!("signing_secret = \"{SIGNING_SECRET}\""),
    };
    format!(
        r#"
[slack]
bot_token = "{BOT_TOKEN}"
{events}
api_base_url = "{api_url}"

[[teams]]
name = "Leadership"
platform = "slack"
workspace_id = "{TEAM}"
leaders = ["{ALICE}", "{BOB}"]
approvers = ["{CAROL}"]
admins = ["{CAROL}"]
members = ["{DAN}", "{ERIN}"]
share_channel = "{SHARE_CHANNEL}"
time_zone = "Europe/Berlin"
networks = ["linkedin", "x", "bluesky"]
{team_extra}
"#
    )
}

impl SlackRig {
    pub async fn start(mode: Mode, start: DateTime<Utc>) -> SlackRig {
        Self::start_with(mode, start, "").await
    }

    /// [`SlackRig::start`] with more keys for the team (TOML lines).
    pub async fn start_with(mode: Mode, start: DateTime<Utc>, team_extra: &str) -> SlackRig {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("slack.db").display());
        let store = amplifier::store::open(&url).await.unwrap();
        store.migrate().await.unwrap();
        let mut rig = SlackRig::start_on_with(mode, start, store, team_extra).await;
        rig._dir = Some(dir);
        rig
    }

    /// The rig on a store the caller made and migrated (for suites that run on SQLite and PostgreSQL).
    pub async fn start_on(mode: Mode, start: DateTime<Utc>, store: Arc<dyn Store>) -> SlackRig {
        Self::start_on_with(mode, start, store, "").await
    }

    /// [`SlackRig::start_on`] with more keys for the team (TOML lines).
    pub async fn start_on_with(
        mode: Mode,
        start: DateTime<Utc>,
        store: Arc<dyn Store>,
        team_extra: &str,
    ) -> SlackRig {
        let clock = Arc::new(ManualClock::new(start));
        let fake = FakeSlack::start(clock.clone()).await;
        let socket = match mode {
            Mode::SocketMode => Some(fake.socket_mode().await),
            Mode::Http => None,
        };
        let config =
            Config::parse(&config(mode, &fake.api_url, team_extra)).expect("test config parses");
        amplifier::teams::sync_config_teams(&*store, &config, start)
            .await
            .unwrap();
        let engine = Arc::new(Engine::new(
            store.clone(),
            PathBuf::from("."),
            Duration::from_secs(6 * 3600),
        ));
        engine.load_prompt_packs().await.unwrap();
        let wake = Arc::new(Notify::new());
        let (stop, stopped) = oneshot::channel::<()>();
        let connection = amplifier::slack::connect(
            config.slack.as_ref().unwrap(),
            engine.clone(),
            clock.clone(),
            wake.clone(),
            async move {
                let _ = stopped.await;
            },
        )
        .await
        .expect("the adapter connects to the fake");
        let http = match connection.http_routes.clone() {
            Some(routes) => {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                tokio::spawn(async move {
                    let _ = axum::serve(listener, routes).await;
                });
                Some(addr)
            }
            None => None,
        };
        let delivery = Delivery::new(
            store.clone(),
            vec![connection.transport.clone()],
            DeliveryConfig {
                base_backoff: Duration::from_secs(2),
                max_backoff: Duration::from_secs(10),
                ..DeliveryConfig::new("slack-rig")
            },
        )
        .unwrap();
        SlackRig {
            fake,
            socket,
            store,
            engine,
            clock,
            delivery,
            connection,
            wake,
            http,
            stop: Some(stop),
            _dir: None,
        }
    }

    pub fn socket(&self) -> &super::socket::FakeSocket {
        self.socket.as_ref().expect("a Socket Mode rig")
    }

    /// Delivery passes until no row is due within two minutes of test time: between passes the clock jumps to
    /// the earliest `not_before` of a pending row (pacing, 429 holds, backoff). Rows waiting longer, such as
    /// nudges for someone's morning, stay.
    pub async fn deliver(&self) -> Vec<DeliveryReport> {
        let deadline = self.clock.now() + chrono::Duration::minutes(2);
        let mut reports = Vec::new();
        loop {
            reports.push(self.delivery.run_once(&*self.clock).await.unwrap());
            match self.next_pending(deadline).await {
                Some(due) if due > self.clock.now() => self.clock.set(due),
                Some(_) => self.clock.advance(chrono::Duration::milliseconds(10)),
                None => return reports,
            }
        }
    }

    /// The earliest `not_before` of a pending outbox row, if it is before `deadline` (rows are numbered from 1).
    async fn next_pending(&self, deadline: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut earliest: Option<DateTime<Utc>> = None;
        let mut id = 1;
        while let Some(row) = self.store.outbox_message(OutboxId(id)).await.unwrap() {
            if row.status == OutboxStatus::Pending && row.not_before <= deadline {
                earliest = Some(earliest.map_or(row.not_before, |e| e.min(row.not_before)));
            }
            id += 1;
        }
        earliest
    }

    /// Moves the clock and does the engine's clock work, then delivers.
    pub async fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
        self.engine.tick(self.clock.now()).await.unwrap();
        self.deliver().await;
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// POSTs to the adapter's HTTP events endpoint as Slack would (plain HTTP/1.1), with `headers` added;
    /// returns the status and body.
    pub async fn post_http(
        &self,
        content_type: &str,
        body: &str,
        headers: &[(&str, String)],
    ) -> (u16, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = self.http.expect("an HTTP rig");
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut request = format!(
            "POST {} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
            amplifier::slack::http::PATH,
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        tokio::time::timeout(
            Duration::from_secs(10),
            stream.read_to_string(&mut response),
        )
        .await
        .expect("the events endpoint answers within 10 s")
        .unwrap();
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    /// Signs `body` as Slack does, at `at` (unix seconds), with `secret`.
    pub fn signed(secret: &str, at: i64, body: &str) -> Vec<(&'static str, String)> {
        let ts = at.to_string();
        vec![
            (
                "X-Slack-Signature",
                amplifier::slack::signature::sign(secret, &ts, body.as_bytes()),
            ),
            ("X-Slack-Request-Timestamp", ts),
        ]
    }

    /// Stops Socket Mode and waits for its task to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.connection.socket_mode.take() {
            tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .expect("Socket Mode stops within 5 s of shutdown")
                .unwrap();
        }
    }
}
