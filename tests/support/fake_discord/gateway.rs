//! A fake Discord gateway over WebSocket on 127.0.0.1:0: Hello, Identify → Ready + Guild Create, heartbeat
//! ACKs, Resume → replay of the dispatches the client missed + Resumed, and test controls to push dispatches,
//! drop the socket and read what the client identified with.
//!
//! Payloads start from the captured real ones in `payloads/` (serenity 0.12.5 parsed each of them), with the
//! ids a test needs put in. Frames go out as plain text, which serenity reads as well as zlib binary.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message as Frame;

const READY: &str = include_str!("payloads/ready.json");
const GUILD_CREATE: &str = include_str!("payloads/guild_create.json");
const MESSAGE_CREATE_DM: &str = include_str!("payloads/message_create_dm.json");
const BUTTON: &str = include_str!("payloads/interaction_create_button.json");
const MODAL_SUBMIT: &str = include_str!("payloads/interaction_create_modal_submit.json");
const SLASH: &str = include_str!("payloads/interaction_create_slash_subcommand.json");
const MESSAGE_COMMAND: &str = include_str!("payloads/interaction_create_message_context.json");

/// Long enough that no test sees a heartbeat it did not expect to; serenity heartbeats on its own timer.
const HEARTBEAT_INTERVAL_MS: u64 = 41_250;

/// What a connection's writer is told to do.
enum Out {
    Frame(Value),
    Drop,
}

#[derive(Default)]
struct State {
    /// The current session (a new one per Identify).
    session_id: Option<String>,
    /// Every dispatch of the current session with its sequence number, for replay on Resume.
    log: Vec<(u64, Value)>,
    seq: u64,
    /// The connection that identified or resumed, if any: dispatches go there at once.
    live: Option<mpsc::UnboundedSender<Out>>,
    identifies: Vec<Value>,
    resumes: Vec<Value>,
    connections: u32,
    heartbeats: u32,
    guilds: Vec<String>,
    sessions: u32,
}

/// When each interaction was dispatched (real time: Discord's 3 seconds are wall-clock seconds), by id.
pub type Dispatched = Arc<Mutex<std::collections::HashMap<String, std::time::Instant>>>;

/// The running fake gateway; cheap to clone.
#[derive(Clone)]
pub struct FakeGateway {
    state: Arc<Mutex<State>>,
    /// Shared with the REST side, which refuses a first answer after 3 seconds as Discord does.
    pub interactions: Dispatched,
    changed: watch::Sender<u64>,
    /// `ws://127.0.0.1:PORT/gateway`, as `GET /gateway` returns it.
    pub url: String,
}

impl FakeGateway {
    /// Starts on a free loopback port, in no server yet ([`FakeGateway::join_guild`]).
    pub async fn start() -> FakeGateway {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local addr").port();
        let (changed, _) = watch::channel(0);
        let gateway = FakeGateway {
            state: Arc::new(Mutex::new(State::default())),
            interactions: Dispatched::default(),
            changed,
            url: format!("ws://127.0.0.1:{port}/gateway"),
        };
        let server = gateway.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let server = server.clone();
                tokio::spawn(async move { server.serve(stream).await });
            }
        });
        gateway
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn bump(&self) {
        self.changed.send_modify(|n| *n += 1);
    }

    /// Waits until `check` holds, re-checking at every change of the gateway's state; fails after `deadline`.
    pub async fn wait_for(
        &self,
        what: &str,
        deadline: Duration,
        check: impl Fn(&FakeGateway) -> bool,
    ) {
        let mut rx = self.changed.subscribe();
        let waited = tokio::time::timeout(deadline, async {
            loop {
                if check(self) {
                    return;
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        })
        .await;
        assert!(
            waited.is_ok() && check(self),
            "the gateway never saw: {what}"
        );
    }

    /// The bot is in `guild`: the next Ready lists it and a Guild Create follows.
    pub fn join_guild(&self, guild: &str) {
        self.lock().guilds.push(guild.to_string());
    }

    /// Identify payloads (`d`) in order.
    pub fn identifies(&self) -> Vec<Value> {
        self.lock().identifies.clone()
    }

    /// Resume payloads (`d`) in order.
    pub fn resumes(&self) -> Vec<Value> {
        self.lock().resumes.clone()
    }

    pub fn connections(&self) -> u32 {
        self.lock().connections
    }

    pub fn heartbeats(&self) -> u32 {
        self.lock().heartbeats
    }

    /// Whether a connection is identified or resumed and receiving dispatches.
    pub fn is_live(&self) -> bool {
        self.lock().live.is_some()
    }

    /// Sessions started by Identify (a resume keeps its session).
    pub fn sessions(&self) -> u32 {
        self.lock().sessions
    }

    /// Drops the live socket without a close frame, as a network failure does. Dispatches pushed until the
    /// client resumes are kept for the replay.
    pub fn drop_connection(&self) {
        let live = self.lock().live.take();
        if let Some(live) = live {
            let _ = live.send(Out::Drop);
        }
        self.bump();
    }

    /// Sends a dispatch (`t`, `d`) now, or keeps it for the replay when no connection is live; returns its
    /// sequence number.
    pub fn dispatch(&self, t: &str, d: Value) -> u64 {
        if t == "INTERACTION_CREATE" {
            if let Some(id) = d["id"].as_str() {
                self.interactions
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(id.to_string())
                    .or_insert_with(std::time::Instant::now);
            }
        }
        let seq = {
            let mut s = self.lock();
            s.seq += 1;
            let seq = s.seq;
            let payload = json!({"op": 0, "t": t, "s": seq, "d": d});
            s.log.push((seq, payload.clone()));
            if let Some(live) = &s.live {
                let _ = live.send(Out::Frame(payload));
            }
            seq
        };
        self.bump();
        seq
    }

    async fn serve(&self, stream: tokio::net::TcpStream) {
        let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
            return;
        };
        self.lock().connections += 1;
        self.bump();
        let (mut sink, mut source) = ws.split();
        let (tx, mut rx) = mpsc::unbounded_channel::<Out>();
        let hello = json!({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}, "s": null, "t": null});
        if sink.send(Frame::text(hello.to_string())).await.is_err() {
            return;
        }
        loop {
            tokio::select! {
                out = rx.recv() => match out {
                    Some(Out::Frame(payload)) => {
                        if sink.send(Frame::text(payload.to_string())).await.is_err() {
                            break;
                        }
                    }
                    // Dropping both halves closes the TCP connection without a close frame.
                    Some(Out::Drop) | None => break,
                },
                frame = source.next() => {
                    let Some(Ok(frame)) = frame else { break };
                    let Ok(text) = frame.to_text() else { continue };
                    let Ok(payload) = serde_json::from_str::<Value>(text) else { continue };
                    self.on_client_payload(&payload, &tx);
                }
            }
        }
        let mut s = self.lock();
        if s.live.as_ref().is_some_and(|live| live.same_channel(&tx)) {
            s.live = None;
        }
        drop(s);
        self.bump();
    }

    fn on_client_payload(&self, payload: &Value, tx: &mpsc::UnboundedSender<Out>) {
        let d = payload["d"].clone();
        let mut s = self.lock();
        match payload["op"].as_u64() {
            // Heartbeat → ACK.
            Some(1) => {
                s.heartbeats += 1;
                let _ = tx.send(Out::Frame(
                    json!({"op": 11, "d": null, "s": null, "t": null}),
                ));
            }
            // Identify → a new session: Ready, then one Guild Create per guild.
            Some(2) => {
                s.identifies.push(d);
                s.sessions += 1;
                let session = format!("fake-session-{}", s.sessions);
                s.session_id = Some(session.clone());
                s.log.clear();
                s.live = Some(tx.clone());
                let mut ready: Value = serde_json::from_str(READY).expect("ready.json");
                ready["session_id"] = json!(session);
                ready["resume_gateway_url"] = json!(self.url);
                ready["user"]["id"] = json!(super::BOT_ID);
                ready["application"]["id"] = json!(super::APPLICATION_ID);
                ready["guilds"] = Value::Array(
                    s.guilds
                        .iter()
                        .map(|g| json!({"id": g, "unavailable": true}))
                        .collect(),
                );
                let guilds = s.guilds.clone();
                drop(s);
                self.dispatch("READY", ready);
                for guild in guilds {
                    let mut create: Value =
                        serde_json::from_str(GUILD_CREATE).expect("guild_create.json");
                    create["id"] = json!(guild);
                    self.dispatch("GUILD_CREATE", create);
                }
                return;
            }
            // Resume → replay what the session sent after the client's last sequence, then Resumed.
            Some(6) => {
                s.resumes.push(d.clone());
                let known = d["session_id"].as_str() == s.session_id.as_deref();
                if !known {
                    // Not resumable: the client must identify again.
                    let _ = tx.send(Out::Frame(
                        json!({"op": 9, "d": false, "s": null, "t": null}),
                    ));
                } else {
                    let after = d["seq"].as_u64().unwrap_or(0);
                    for (seq, payload) in &s.log {
                        if *seq > after {
                            let _ = tx.send(Out::Frame(payload.clone()));
                        }
                    }
                    s.live = Some(tx.clone());
                    let resumed = json!({"op": 0, "t": "RESUMED", "s": s.seq, "d": {}});
                    let _ = tx.send(Out::Frame(resumed));
                }
            }
            _ => {}
        }
        drop(s);
        self.bump();
    }
}

/// Where an interaction happens: a guild channel (with the member) or the person's DM with the bot.
#[derive(Debug, Clone)]
pub enum Place {
    Guild { guild: String, channel: String },
    Dm { channel: String },
}

/// Builds dispatches from the captured payloads.
pub mod payloads {
    use super::*;

    fn author(user: &str) -> Value {
        json!({"id": user, "username": format!("user{user}"), "avatar": null, "discriminator": "0",
            "public_flags": 0, "flags": 0, "global_name": null})
    }

    /// MESSAGE_CREATE in a DM channel (no `guild_id`), from `user` (or the bot, with `bot: true`).
    pub fn dm_message(id: &str, channel: &str, user: &str, text: &str, bot: bool) -> Value {
        let mut d: Value = serde_json::from_str(MESSAGE_CREATE_DM).expect("message_create_dm.json");
        d["id"] = json!(id);
        d["channel_id"] = json!(channel);
        d["content"] = json!(text);
        d["author"] = author(user);
        if bot {
            d["author"]["bot"] = json!(true);
        }
        d["nonce"] = json!(id);
        d
    }

    /// Puts the interaction in `place`, acted by `user`.
    fn place(d: &mut Value, id: &str, user: &str, at: &Place) {
        d["id"] = json!(id);
        d["token"] = json!(format!("token-{id}"));
        d["application_id"] = json!(super::super::APPLICATION_ID);
        let obj = d.as_object_mut().expect("an object");
        obj.remove("channel");
        match at {
            Place::Guild { guild, channel } => {
                obj.insert("guild_id".into(), json!(guild));
                obj.insert("channel_id".into(), json!(channel));
                obj["guild"]["id"] = json!(guild);
                obj["member"]["user"] = author(user);
                obj.remove("user");
            }
            Place::Dm { channel } => {
                obj.remove("guild_id");
                obj.remove("guild");
                obj.remove("guild_locale");
                obj.remove("member");
                obj.insert("channel_id".into(), json!(channel));
                obj.insert("context".into(), json!(1));
                obj.insert("user".into(), author(user));
            }
        }
        if let Some(message) = obj.get_mut("message") {
            let channel = match at {
                Place::Guild { channel, .. } | Place::Dm { channel } => channel,
            };
            message["channel_id"] = json!(channel);
        }
    }

    /// A button press (type 3) carrying `custom_id`.
    pub fn button(id: &str, user: &str, at: &Place, custom_id: &str) -> Value {
        let mut d: Value = serde_json::from_str(BUTTON).expect("interaction_create_button.json");
        place(&mut d, id, user, at);
        d["data"]["custom_id"] = json!(custom_id);
        d
    }

    /// A choice in a string select menu (component type 3) carrying `custom_id` and the chosen `values`.
    pub fn select(id: &str, user: &str, at: &Place, custom_id: &str, values: &[&str]) -> Value {
        let mut d: Value = serde_json::from_str(BUTTON).expect("interaction_create_button.json");
        place(&mut d, id, user, at);
        d["data"] = json!({"component_type": 3, "custom_id": custom_id, "values": values});
        d
    }

    /// A modal submit (type 5) with one text input per `(custom_id, value)`.
    pub fn modal_submit(
        id: &str,
        user: &str,
        at: &Place,
        custom_id: &str,
        fields: &[(&str, &str)],
    ) -> Value {
        let mut d: Value =
            serde_json::from_str(MODAL_SUBMIT).expect("interaction_create_modal_submit.json");
        place(&mut d, id, user, at);
        d["data"]["custom_id"] = json!(custom_id);
        d["data"]["components"] = Value::Array(
            fields
                .iter()
                .enumerate()
                .map(|(i, (input, value))| {
                    json!({"type": 1, "id": 2 * i + 1, "components": [
                        {"type": 4, "id": 2 * i + 2, "custom_id": input, "value": value}]})
                })
                .collect(),
        );
        d
    }

    /// `/amplify` (type 2) with `options` as Discord sends them (subcommands hold their options).
    pub fn slash(id: &str, user: &str, at: &Place, options: Value) -> Value {
        command(id, user, at, "amplify", options)
    }

    /// The slash command `name` (type 2, such as the admins' `amplify-team`) with `options` as Discord sends them.
    pub fn command(id: &str, user: &str, at: &Place, name: &str, options: Value) -> Value {
        let mut d: Value =
            serde_json::from_str(SLASH).expect("interaction_create_slash_subcommand.json");
        place(&mut d, id, user, at);
        d["data"]["name"] = json!(name);
        d["data"]["options"] = options;
        d["data"]["resolved"] = json!({});
        d
    }

    /// The message command `name` (type 2, data type 3) on a message with `text` by `author_id`.
    pub fn message_command(
        id: &str,
        user: &str,
        at: &Place,
        name: &str,
        target: &str,
        author_id: &str,
        text: &str,
    ) -> Value {
        let mut d: Value =
            serde_json::from_str(MESSAGE_COMMAND).expect("interaction_create_message_context.json");
        place(&mut d, id, user, at);
        d["data"]["name"] = json!(name);
        d["data"]["target_id"] = json!(target);
        let mut message = d["data"]["resolved"]["messages"]
            .as_object()
            .and_then(|m| m.values().next().cloned())
            .expect("a resolved message");
        message["id"] = json!(target);
        message["content"] = json!(text);
        message["author"] = author(author_id);
        d["data"]["resolved"]["messages"] = json!({ target: message });
        d
    }
}
