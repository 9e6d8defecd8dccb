//! The fake's Socket Mode: a WebSocket server that greets each connection with `hello`, pushes envelopes to
//! the newest connection, records acks, and on demand redelivers unacknowledged envelopes, asks the client
//! to reconnect (`disconnect`) or drops the socket.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message as Frame;

enum Control {
    Send(String),
    Close,
    Drop,
}

#[derive(Default)]
struct Sockets {
    /// Live connections by number, newest last.
    live: Vec<(usize, mpsc::UnboundedSender<Control>)>,
    accepted: usize,
    /// Envelopes sent and not yet acknowledged, by id, with their retry count.
    unacked: HashMap<String, (Value, u32)>,
    acked: Vec<String>,
    next_id: usize,
    /// Where each ack is also sent, with the wall instant it arrived (benchmarks).
    ack_taps: Vec<mpsc::UnboundedSender<(String, std::time::Instant)>>,
}

/// The Socket Mode side of the fake.
#[derive(Clone)]
pub struct FakeSocket {
    pub url: String,
    state: Arc<Mutex<Sockets>>,
    changed: Arc<watch::Sender<u64>>,
}

impl FakeSocket {
    pub async fn start() -> FakeSocket {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Socket Mode server");
        let addr = listener.local_addr().expect("address");
        let socket = FakeSocket {
            url: format!("ws://{addr}/link/?ticket=fake&app_id=A0FAKEAPP1"),
            state: Arc::default(),
            changed: Arc::new(watch::channel(0).0),
        };
        let server = socket.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let server = server.clone();
                tokio::spawn(async move { server.connection(stream).await });
            }
        });
        socket
    }

    fn lock(&self) -> MutexGuard<'_, Sockets> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn bump(&self) {
        self.changed.send_modify(|n| *n += 1);
    }

    async fn connection(&self, stream: tokio::net::TcpStream) {
        let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
            return;
        };
        let (tx, mut rx) = mpsc::unbounded_channel();
        let number = {
            let mut s = self.lock();
            s.accepted += 1;
            let n = s.accepted;
            s.live.push((n, tx));
            n
        };
        let hello = json!({"type": "hello", "num_connections": 1,
            "debug_info": {"host": format!("applink-fake-conn-{number}"), "build_number": 105, "approximate_connection_time": 18060},
            "connection_info": {"app_id": "A0FAKEAPP1"}});
        let _ = ws.send(Frame::Text(hello.to_string().into())).await;
        self.bump();
        loop {
            tokio::select! {
                control = rx.recv() => match control {
                    Some(Control::Send(text)) => { let _ = ws.send(Frame::Text(text.into())).await; }
                    Some(Control::Close) => { let _ = ws.close(None).await; break; }
                    Some(Control::Drop) | None => break,
                },
                frame = ws.next() => match frame {
                    Some(Ok(Frame::Text(text))) => {
                        if let Some(id) = serde_json::from_str::<Value>(text.as_str()).ok()
                            .and_then(|v| v["envelope_id"].as_str().map(str::to_string)) {
                            let mut s = self.lock();
                            s.unacked.remove(&id);
                            if !s.ack_taps.is_empty() {
                                let at = std::time::Instant::now();
                                s.ack_taps.retain(|tap| tap.send((id.clone(), at)).is_ok());
                            }
                            s.acked.push(id);
                        }
                        self.bump();
                    }
                    Some(Ok(_)) => {}
                    _ => break,
                },
            }
        }
        self.lock().live.retain(|(n, _)| *n != number);
        self.bump();
    }

    /// Waits until `ready` holds, failing the test after `within`.
    pub async fn wait_for(
        &self,
        what: &str,
        within: Duration,
        ready: impl Fn(&FakeSocket) -> bool,
    ) {
        let mut changes = self.changed.subscribe();
        let deadline = tokio::time::Instant::now() + within;
        while !ready(self) {
            if tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_err()
            {
                panic!("the fake Slack waited {within:?} for {what}");
            }
        }
    }

    pub fn accepted(&self) -> usize {
        self.lock().accepted
    }

    pub fn live(&self) -> usize {
        self.lock().live.len()
    }

    pub fn acked(&self, envelope_id: &str) -> bool {
        self.lock().acked.iter().any(|a| a == envelope_id)
    }

    /// Envelopes sent and not acknowledged yet.
    pub fn unacked(&self) -> usize {
        self.lock().unacked.len()
    }

    /// Every ack from now on: the envelope id and the wall instant it arrived.
    pub fn ack_tap(&self) -> mpsc::UnboundedReceiver<(String, std::time::Instant)> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.lock().ack_taps.push(tx);
        rx
    }

    pub fn acks(&self) -> Vec<String> {
        self.lock().acked.clone()
    }

    fn send_newest(&self, text: String) {
        if let Some((_, tx)) = self.lock().live.last() {
            let _ = tx.send(Control::Send(text));
        }
    }

    /// Pushes an envelope (`events_api`, `interactive`, `slash_commands`) to the newest connection; returns its id.
    pub fn push(&self, kind: &str, payload: Value) -> String {
        let id = {
            let mut s = self.lock();
            s.next_id += 1;
            format!("fake-envelope-{}", s.next_id)
        };
        let envelope = envelope(&id, kind, &payload, 0);
        self.lock()
            .unacked
            .insert(id.clone(), (json!({"kind": kind, "payload": payload}), 0));
        self.send_newest(envelope);
        id
    }

    /// An envelope "lost on the wire": recorded as sent but never reaching the client, so only a redelivery
    /// brings it.
    pub fn push_lost(&self, kind: &str, payload: Value) -> String {
        let mut s = self.lock();
        s.next_id += 1;
        let id = format!("fake-envelope-{}", s.next_id);
        s.unacked
            .insert(id.clone(), (json!({"kind": kind, "payload": payload}), 0));
        id
    }

    /// Sends every unacknowledged envelope again, as Slack does, with `retry_attempt` + 1.
    pub fn redeliver_unacked(&self) -> usize {
        let again: Vec<(String, Value, u32)> = {
            let mut s = self.lock();
            s.unacked
                .iter_mut()
                .map(|(id, (v, retries))| {
                    *retries += 1;
                    (id.clone(), v.clone(), *retries)
                })
                .collect()
        };
        for (id, v, retries) in &again {
            let kind = v["kind"].as_str().unwrap_or("events_api");
            self.send_newest(envelope(id, kind, &v["payload"], *retries));
        }
        again.len()
    }

    /// Sends the same envelope again even though it was acknowledged (Slack may, e.g. after a reconnect).
    pub fn resend(&self, id: &str, kind: &str, payload: Value) {
        self.send_newest(envelope(id, kind, &payload, 1));
    }

    /// `disconnect` with a reason, then closes the socket as Slack does.
    pub fn disconnect(&self, reason: &str) {
        let message =
            json!({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}});
        if let Some((_, tx)) = self.lock().live.last() {
            let _ = tx.send(Control::Send(message.to_string()));
            let _ = tx.send(Control::Close);
        }
    }

    /// Drops the newest connection without a close frame.
    pub fn drop_socket(&self) {
        if let Some((_, tx)) = self.lock().live.last() {
            let _ = tx.send(Control::Drop);
        }
    }
}

fn envelope(id: &str, kind: &str, payload: &Value, retry: u32) -> String {
    let mut e = json!({"envelope_id": id, "type": kind, "payload": payload,
        "accepts_response_payload": kind != "events_api"});
    if kind == "events_api" {
        e["retry_attempt"] = json!(retry);
        e["retry_reason"] = json!(if retry == 0 { "" } else { "timeout" });
    }
    e.to_string()
}
