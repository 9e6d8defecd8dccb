//! Driving the Slack rig as people (and forgers) would: DMs, `/amplify`, button presses, form submissions and
//! the message shortcut over Socket Mode, each waited on through its acknowledgement; delivery drained on the
//! rig's manual clock; and what reached the fake since a mark.

// Each test binary uses a part of this module.
#![allow(dead_code)]

use crate::support::fake_slack::rig::{Mode, SlackRig, SHARE_CHANNEL};
use crate::support::fake_slack::{blockkit, Recorded, TEAM};
use amplifier::clock::Clock;
use amplifier::store::Store;
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How long one envelope may take to be acknowledged before the test fails (a deadline, never a sleep).
const WITHIN: Duration = Duration::from_secs(20);

/// Where a command or a button press happens.
#[derive(Debug, Clone)]
pub enum Where {
    /// The person's DM with the bot.
    Dm,
    /// A channel (the share channel unless said otherwise).
    Channel(String),
}

pub struct Slack {
    pub rig: SlackRig,
    next: AtomicU64,
}

/// How Slack sends typed text: `&`, `<`, `>` escaped.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Slack's own escaping undone, for reading what a person would see.
pub fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

impl Slack {
    /// A Socket Mode rig on `store`, connected.
    pub async fn start(store: Arc<dyn Store>, start: DateTime<Utc>) -> Slack {
        let rig = SlackRig::start_on(Mode::SocketMode, start, store).await;
        rig.socket()
            .wait_for("a Socket Mode connection", WITHIN, |s| s.live() == 1)
            .await;
        Slack {
            rig,
            next: AtomicU64::new(1),
        }
    }

    fn n(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    pub fn channel_of(&self, user: &str, place: &Where) -> String {
        match place {
            Where::Dm => self.rig.fake.im_of(user),
            Where::Channel(c) => c.clone(),
        }
    }

    /// Pushes an envelope and waits for its acknowledgement (an envelope the engine failed on is never
    /// acknowledged, so this fails the test).
    pub async fn push(&self, kind: &str, payload: Value) -> anyhow::Result<String> {
        let socket = self.rig.socket().clone();
        let id = socket.push(kind, payload);
        let waited = id.clone();
        // `wait_for` fails by panicking: caught here, so the case that caused it is named.
        tokio::spawn(async move {
            socket
                .wait_for(&format!("the ack of {waited}"), WITHIN, |s| {
                    s.acked(&waited)
                })
                .await
        })
        .await
        .map_err(|_| {
            anyhow::anyhow!(
                "envelope {id} was not acknowledged within {WITHIN:?}: the engine failed on it"
            )
        })?;
        Ok(id)
    }

    /// Sends an acknowledged envelope again (same envelope id, `retry_attempt` 1) and waits for its second ack.
    pub async fn resend(&self, id: &str, kind: &str, payload: Value) {
        let socket = self.rig.socket();
        let before = socket.acks().iter().filter(|a| *a == id).count();
        socket.resend(id, kind, payload);
        socket
            .wait_for(&format!("the second ack of {id}"), WITHIN, |s| {
                s.acks().iter().filter(|a| *a == id).count() > before
            })
            .await;
    }

    /// A DM `text` (already in Slack's markup) from `user` in `team`.
    pub fn dm_payload(&self, team: &str, user: &str, text: &str) -> Value {
        let n = self.n();
        json!({"token": "x", "team_id": team, "api_app_id": "A0FAKEAPP1", "type": "event_callback",
            "event_id": format!("EvDRIVE{n:06}"), "event_time": self.rig.now().timestamp(),
            "event": {"type": "message", "user": user, "text": text,
                "ts": format!("{}.{n:06}", self.rig.now().timestamp()),
                "channel": self.rig.fake.im_of(user), "channel_type": "im", "event_ts": "1"}})
    }

    /// `/amplify TEXT` (already in Slack's markup) from `user`.
    pub fn command_payload(&self, team: &str, user: &str, place: &Where, text: &str) -> Value {
        json!({"token": "x", "team_id": team, "team_domain": "fake-team",
            "channel_id": self.channel_of(user, place), "channel_name": "amplify", "user_id": user,
            "user_name": user, "command": "/amplify", "text": text, "api_app_id": "A0FAKEAPP1",
            "is_enterprise_install": "false", "response_url": "http://127.0.0.1:1/commands/x",
            "trigger_id": self.rig.fake.new_trigger()})
    }

    /// A button press carrying `action_id`.
    pub fn press_payload(&self, team: &str, user: &str, place: &Where, action_id: &str) -> Value {
        let channel = self.channel_of(user, place);
        json!({"type": "block_actions", "team": {"id": team, "domain": "fake-team"},
            "user": {"id": user, "username": user, "team_id": team}, "api_app_id": "A0FAKEAPP1",
            "token": "x", "container": {"type": "message", "channel_id": channel},
            "trigger_id": self.rig.fake.new_trigger(), "channel": {"id": channel},
            "response_url": "http://127.0.0.1:1/actions/x",
            "actions": [{"action_id": action_id, "block_id": "b", "type": "button", "action_ts": "1"}]})
    }

    /// A form submitted with `callback_id` and one input per `(id, value)` (the input's block and action ids).
    pub fn submit_payload(
        &self,
        team: &str,
        user: &str,
        callback_id: &str,
        fields: &[(&str, &str)],
    ) -> Value {
        let n = self.n();
        let mut values = serde_json::Map::new();
        for (id, value) in fields {
            values.insert(
                id.to_string(),
                json!({ *id: {"type": "plain_text_input", "value": value} }),
            );
        }
        json!({"type": "view_submission", "team": {"id": team}, "user": {"id": user, "team_id": team},
            "api_app_id": "A0FAKEAPP1", "trigger_id": self.rig.fake.new_trigger(),
            "view": {"id": format!("V0DRIVE{n:05}"), "team_id": team, "type": "modal", "hash": format!("{n}.h"),
                "callback_id": callback_id, "state": {"values": values}}})
    }

    /// "Draft an insight from this" on a message whose text (Slack markup) is `text`.
    pub fn shortcut_payload(&self, team: &str, user: &str, text: &str) -> Value {
        let n = self.n();
        json!({"type": "message_action", "team": {"id": team, "domain": "fake-team"},
            "user": {"id": user, "team_id": team}, "api_app_id": "A0FAKEAPP1", "token": "x",
            "callback_id": amplifier::slack::inbound::SHORTCUT, "trigger_id": self.rig.fake.new_trigger(),
            "channel": {"id": SHARE_CHANNEL}, "message_ts": format!("1795671261.{n:06}"),
            "message": {"type": "message", "user": "U0DAN00001", "ts": format!("1795671261.{n:06}"), "text": text}})
    }

    pub async fn dm(&self, user: &str, text: &str) -> anyhow::Result<String> {
        self.push("events_api", self.dm_payload(TEAM, user, text))
            .await
    }

    pub async fn command(&self, user: &str, place: &Where, text: &str) -> anyhow::Result<String> {
        self.push(
            "slash_commands",
            self.command_payload(TEAM, user, place, text),
        )
        .await
    }

    pub async fn press(
        &self,
        user: &str,
        place: &Where,
        action_id: &str,
    ) -> anyhow::Result<String> {
        self.push(
            "interactive",
            self.press_payload(TEAM, user, place, action_id),
        )
        .await
    }

    /// Presses the newest button labelled `label` in the person's DM.
    pub async fn press_label(&self, user: &str, label: &str) -> anyhow::Result<String> {
        let im = self.rig.fake.im_of(user);
        let id = self
            .rig
            .fake
            .button(&im, label)
            .with_context(|| format!("no button {label:?} in {user}'s DM"))?;
        self.press(user, &Where::Dm, &id).await
    }

    pub async fn submit(
        &self,
        user: &str,
        callback_id: &str,
        fields: &[(&str, &str)],
    ) -> anyhow::Result<String> {
        self.push(
            "interactive",
            self.submit_payload(TEAM, user, callback_id, fields),
        )
        .await
    }

    /// An HTTP-mode rig (Events API with signatures) on `store`.
    pub async fn start_http(store: Arc<dyn Store>, start: DateTime<Utc>) -> Slack {
        let rig = SlackRig::start_on(Mode::Http, start, store).await;
        Slack {
            rig,
            next: AtomicU64::new(1),
        }
    }

    /// POSTs a payload to the HTTP events endpoint as Slack does (JSON for events, a form for commands and
    /// interactions), signed, with `X-Slack-Retry-Num` when it is a retry; returns the status.
    pub async fn post(&self, kind: &str, payload: &Value, retry: Option<u32>) -> u16 {
        let (content_type, body) = match kind {
            "events_api" => ("application/json", payload.to_string()),
            "slash_commands" => {
                let fields: Vec<(String, String)> = payload
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect();
                let body = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(fields)
                    .finish();
                ("application/x-www-form-urlencoded", body)
            }
            _ => (
                "application/x-www-form-urlencoded",
                url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("payload", &payload.to_string())
                    .finish(),
            ),
        };
        let mut headers = SlackRig::signed(
            crate::support::fake_slack::rig::SIGNING_SECRET,
            self.rig.now().timestamp(),
            &body,
        );
        if let Some(n) = retry {
            headers.push(("X-Slack-Retry-Num", n.to_string()));
            headers.push(("X-Slack-Retry-Reason", "http_timeout".to_string()));
        }
        self.rig.post_http(content_type, &body, &headers).await.0
    }

    /// Delivers every due outbox row, moving the clock as pacing, 429s and backoff ask; stops at rows due
    /// more than two minutes ahead (a nudge for someone's morning).
    pub async fn deliver(&self) -> anyhow::Result<()> {
        let rig = &self.rig;
        for _ in 0..2000 {
            let report = rig.delivery.run_once(&*rig.clock).await?;
            let depth = rig.store.outbox_depth().await?;
            if depth.interactive + depth.bulk == 0 {
                return Ok(());
            }
            let now = rig.clock.now();
            match report.next_due {
                Some(due) if due > now + chrono::Duration::minutes(2) => return Ok(()),
                Some(due) if due > now => rig.clock.set(due),
                _ => rig.clock.advance(chrono::Duration::milliseconds(250)),
            }
        }
        anyhow::bail!("the outbox did not drain")
    }

    /// The engine's clock work at the rig's now, then delivery.
    pub async fn tick(&self) -> anyhow::Result<()> {
        self.rig.engine.tick(self.rig.now()).await?;
        self.deliver().await
    }

    /// How many requests the fake has seen: a mark for [`Slack::since`].
    pub fn mark(&self) -> usize {
        self.rig.fake.request_count()
    }

    pub fn since(&self, mark: usize) -> Vec<Recorded> {
        self.rig.fake.requests_since(mark)
    }
}

/// The messages among `requests` (posts, ephemeral answers, updates, modals): method and arguments.
pub fn messages(requests: &[Recorded]) -> Vec<&Recorded> {
    requests
        .iter()
        .filter(|r| {
            matches!(
                r.method.as_str(),
                "chat.postMessage"
                    | "chat.postEphemeral"
                    | "chat.update"
                    | "views.open"
                    | "views.publish"
            ) && r.status == 200
                && r.error.is_none()
        })
        .collect()
}

/// Everything a person reads in a request (every string in it), with Slack's escaping undone.
pub fn readable(r: &Recorded) -> String {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(inner @ (Value::Array(_) | Value::Object(_))) => walk(&inner, out),
                _ => out.push(unescape(s)),
            },
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Object(map) => map.values().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&Value::Object(r.args.clone()), &mut out);
    out.join("\n")
}

/// Problems with the mentions in `requests`: any broadcast, any user mention but `intended`, and any link
/// whose label hides where it goes (user text can only become one by escaping failing).
pub fn mention_problems(requests: &[Recorded], intended: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    for r in requests {
        let payload = blockkit::mrkdwn(&Value::Object(r.args.clone()));
        problems.extend(
            blockkit::broadcasts(&payload)
                .into_iter()
                .map(|p| format!("{}: {p}", r.method)),
        );
        for user in blockkit::user_mentions(&payload) {
            if !intended.contains(&user.as_str()) {
                problems.push(format!("{}: mentions {user}: {payload}", r.method));
            }
        }
        if payload.contains("<http") || payload.contains("<mailto") {
            problems.push(format!("{}: a Slack link in mrkdwn: {payload}", r.method));
        }
        if payload.contains("<#") {
            problems.push(format!("{}: a channel link in mrkdwn: {payload}", r.method));
        }
    }
    problems
}
