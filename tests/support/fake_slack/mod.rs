//! A fake Slack on 127.0.0.1:0 for the adapter's tests: the Web API over HTTP with a workspace of users,
//! channels and IMs, a record of every request, checks against the official spec and Block Kit limits, rate
//! limits answered with 429 + `Retry-After` on the test's clock, and failures on demand or at random
//! ([`FakeSlack::set_faults`]).

pub mod blockkit;
pub mod rig;
pub mod socket;
pub mod spec;

use super::chaos::{Fault, Faults};
use amplifier::clock::Clock;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub const TEAM: &str = "T0FAKE0001";
pub const BOT_USER: &str = "U0FAKEBOT1";
pub const BOT_TOKEN: &str = "xoxb-fake-bot-token";
pub const APP_TOKEN: &str = "xapp-fake-app-token";

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub args: Map<String, Value>,
    pub at: DateTime<Utc>,
    /// The HTTP status the fake answered.
    pub status: u16,
    /// Slack's `error` when it answered `ok: false`.
    pub error: Option<String>,
}

/// What the fake does with the next calls of a method, instead of answering normally.
#[derive(Debug, Clone)]
pub enum Failure {
    RateLimited { retry_after_secs: u64 },
    Error(&'static str),
    ServerError,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub name: String,
    pub tz: String,
    pub status_emoji: String,
    pub status_text: String,
}

struct World {
    clock: Arc<dyn Clock>,
    requests: Vec<Recorded>,
    violations: Vec<String>,
    users: HashMap<String, User>,
    /// Channel id → archived.
    channels: HashMap<String, bool>,
    ims: HashMap<String, String>,
    /// Messages by (channel, ts): (text, blocks).
    messages: HashMap<(String, String), (String, Value)>,
    /// (channel, ts) in the order messages were posted.
    posted: Vec<(String, String)>,
    next_ts: u64,
    failures: HashMap<String, VecDeque<Failure>>,
    faults: Option<Faults>,
    /// Accepted calls per rate-limit scope, for the tiers and the per-channel pace.
    calls: HashMap<String, Vec<DateTime<Utc>>>,
    /// After a 429: the scope is closed until then; a call before it is a violation.
    blocked_until: HashMap<String, DateTime<Utc>>,
    triggers: HashMap<String, DateTime<Utc>>,
    /// User group id (`S…`) → its members.
    usergroups: HashMap<String, Vec<String>>,
    /// `response_url` id → (issued at, answers taken).
    response_urls: HashMap<String, (DateTime<Utc>, u8)>,
    /// What `apps.connections.open` hands out.
    socket_url: Option<String>,
    /// The bot token's scopes, sent in `X-OAuth-Scopes` as Slack does.
    scopes: Vec<String>,
    /// Channels the bot is not a member of (`conversations.info` says `is_member: false`).
    bot_absent: std::collections::HashSet<String>,
    /// Benchmarks measuring the bot's own cost switch the tiers off ([`FakeSlack::lift_rate_limits`]).
    unlimited: bool,
    /// Where each request is also sent as it is answered, with the wall instant (benchmarks).
    taps: Vec<tokio::sync::mpsc::UnboundedSender<(Recorded, std::time::Instant)>>,
}

/// The fake. Dropping it leaves the server running until the test's runtime ends.
#[derive(Clone)]
pub struct FakeSlack {
    pub api_url: String,
    world: Arc<Mutex<World>>,
}

/// Requests per minute for a method (Slack's tiers), `None` for unlimited in the fake.
fn tier(method: &str) -> Option<usize> {
    Some(match method {
        // Tier 1 is "1+ per minute"; Slack lets a client reconnect after each `disconnect`.
        "apps.connections.open" => 10,
        "conversations.open" | "chat.update" => 50,
        "chat.postEphemeral"
        | "views.open"
        | "views.publish"
        | "users.info"
        | "conversations.members"
        | "chat.postMessage" => 100,
        "auth.test" => return None,
        _ => 20,
    })
}

impl FakeSlack {
    /// Starts the fake on a free loopback port with one workspace: Alice, Bob, Carol, Dan, Erin and the
    /// channels `C0AMPLIFY1` (the share channel) and `C0ARCHIVED` (archived).
    pub async fn start(clock: Arc<dyn Clock>) -> FakeSlack {
        let mut users = HashMap::new();
        for (id, name, tz) in [
            ("U0ALICE001", "alice", "Europe/Berlin"),
            ("U0BOB00001", "bob", "America/New_York"),
            ("U0CAROL001", "carol", "Europe/Berlin"),
            ("U0DAN00001", "dan", "Asia/Tokyo"),
            ("U0ERIN0001", "erin", "Europe/London"),
        ] {
            users.insert(
                id.to_string(),
                User {
                    id: id.to_string(),
                    name: name.to_string(),
                    tz: tz.to_string(),
                    status_emoji: String::new(),
                    status_text: String::new(),
                },
            );
        }
        let channels = HashMap::from([
            ("C0AMPLIFY1".to_string(), false),
            ("C0ARCHIVED".to_string(), true),
        ]);
        let world = Arc::new(Mutex::new(World {
            clock,
            requests: Vec::new(),
            violations: Vec::new(),
            users,
            channels,
            ims: HashMap::new(),
            messages: HashMap::new(),
            posted: Vec::new(),
            next_ts: 1,
            failures: HashMap::new(),
            faults: None,
            calls: HashMap::new(),
            blocked_until: HashMap::new(),
            triggers: HashMap::new(),
            response_urls: HashMap::new(),
            usergroups: HashMap::new(),
            socket_url: None,
            scopes: amplifier::slack::scopes::manifest_bot_scopes(),
            bot_absent: Default::default(),
            unlimited: false,
            taps: Vec::new(),
        }));
        let app = Router::new()
            .route("/api/{method}", axum::routing::any(web_api))
            .route("/response/{id}", axum::routing::post(response_url))
            .with_state(world.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Slack");
        let addr = listener.local_addr().expect("fake Slack address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeSlack {
            api_url: format!("http://{addr}/api"),
            world,
        }
    }

    fn lock(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// The requests from the `from`-th on (a count taken earlier with [`FakeSlack::request_count`]).
    pub fn requests_since(&self, from: usize) -> Vec<Recorded> {
        self.lock()
            .requests
            .get(from..)
            .unwrap_or_default()
            .to_vec()
    }

    pub fn request_count(&self) -> usize {
        self.lock().requests.len()
    }

    /// The accepted calls of one method.
    pub fn calls(&self, method: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method && r.status == 200 && r.error.is_none())
            .collect()
    }

    /// Everything a request did that real Slack would refuse or that the bot must never do.
    pub fn violations(&self) -> Vec<String> {
        self.lock().violations.clone()
    }

    /// The next `n` calls of `method` fail this way.
    pub fn fail_next(&self, method: &str, n: usize, failure: Failure) {
        let mut world = self.lock();
        let queue = world.failures.entry(method.to_string()).or_default();
        queue.extend(std::iter::repeat_n(failure, n));
    }

    /// From now on a share of calls fails at random (5xx, or 429 with `Retry-After`); `None` stops it.
    pub fn set_faults(&self, faults: Option<Faults>) {
        self.lock().faults = faults;
    }

    /// The faults injected so far: (5xx, 429).
    pub fn injected(&self) -> (u32, u32) {
        self.lock()
            .faults
            .as_ref()
            .map_or((0, 0), |f| (f.injected_5xx, f.injected_429))
    }

    /// Adds a user the fake knows (in the share channel like everyone), e.g. a member for a fan-out, or
    /// someone from another organization in a shared channel.
    pub fn add_user(&self, id: &str, name: &str, tz: &str) {
        self.lock().users.insert(
            id.to_string(),
            User {
                id: id.to_string(),
                name: name.to_string(),
                tz: tz.to_string(),
                status_emoji: String::new(),
                status_text: String::new(),
            },
        );
    }

    /// A fresh `trigger_id`, valid for 3 seconds on the fake's clock and once, as Slack's are.
    pub fn new_trigger(&self) -> String {
        let mut world = self.lock();
        // Unique for the fake's life (the ts counter only grows).
        world.next_ts += 1;
        let id = format!("3741996366174.{}.fake", world.next_ts);
        let now = world.clock.now();
        world.triggers.insert(id.clone(), now);
        id
    }

    /// A fresh `response_url` for a press or command payload: it takes five answers within 30 minutes on the
    /// fake's clock, as Slack's do. Its answers are recorded as calls of the method `"response_url"`.
    pub fn new_response_url(&self) -> String {
        let mut world = self.lock();
        world.next_ts += 1;
        let id = format!("T0FAKE-{}-fakehook", world.next_ts);
        let now = world.clock.now();
        world.response_urls.insert(id.clone(), (now, 0));
        format!("{}/response/{id}", self.api_url.trim_end_matches("/api"))
    }

    /// A user group (`S…`) with these members.
    pub fn add_usergroup(&self, id: &str, members: &[&str]) {
        self.lock().usergroups.insert(
            id.to_string(),
            members.iter().map(|m| m.to_string()).collect(),
        );
    }

    /// The members of a user group, as `usergroups.users.list` would answer.
    pub fn usergroup(&self, id: &str) -> Vec<String> {
        self.lock().usergroups.get(id).cloned().unwrap_or_default()
    }

    /// The DM channel of a user (opened if needed), as conversations.open would answer.
    pub fn im_of(&self, user: &str) -> String {
        let mut world = self.lock();
        open_im(&mut world, user)
    }

    /// A message as it is now (after updates): its text and blocks.
    pub fn message(&self, channel: &str, ts: &str) -> Option<(String, Value)> {
        self.lock()
            .messages
            .get(&(channel.to_string(), ts.to_string()))
            .cloned()
    }

    /// The messages in a channel as they are now (after updates), oldest first: (ts, text, blocks).
    pub fn messages_in(&self, channel: &str) -> Vec<(String, String, Value)> {
        let world = self.lock();
        world
            .posted
            .iter()
            .filter(|(c, _)| c == channel)
            .filter_map(|key| {
                let (text, blocks) = world.messages.get(key)?;
                Some((key.1.clone(), text.clone(), blocks.clone()))
            })
            .collect()
    }

    /// The action id of the newest button labelled `label` in a channel's messages.
    pub fn button(&self, channel: &str, label: &str) -> Option<String> {
        self.messages_in(channel)
            .iter()
            .rev()
            .find_map(|(_, _, blocks)| {
                blocks.as_array()?.iter().find_map(|block| {
                    block["elements"].as_array()?.iter().find_map(|e| {
                        (e["type"] == "button" && e["text"]["text"] == label)
                            .then(|| e["action_id"].as_str().map(str::to_string))
                            .flatten()
                    })
                })
            })
    }

    /// No tier or per-channel limits from now on (benchmarks of the bot's own cost); failures on demand stay.
    pub fn lift_rate_limits(&self) {
        self.lock().unlimited = true;
    }

    /// Every request from now on, with the wall instant it was answered.
    pub fn tap(&self) -> tokio::sync::mpsc::UnboundedReceiver<(Recorded, std::time::Instant)> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        self.lock().taps.push(tx);
        rx
    }

    pub fn set_status(&self, user: &str, emoji: &str, text: &str) {
        if let Some(u) = self.lock().users.get_mut(user) {
            u.status_emoji = emoji.to_string();
            u.status_text = text.to_string();
        }
    }

    /// Starts Socket Mode: `apps.connections.open` hands out this server's URL from now on.
    /// The scopes the bot token was granted (all the manifest asks for, unless changed here).
    pub fn set_scopes(&self, scopes: &[&str]) {
        self.lock().scopes = scopes.iter().map(|s| s.to_string()).collect();
    }

    /// The bot leaves a channel (it stays readable, as a public channel is).
    pub fn remove_bot_from(&self, channel: &str) {
        self.lock().bot_absent.insert(channel.to_string());
    }

    pub async fn socket_mode(&self) -> socket::FakeSocket {
        let socket = socket::FakeSocket::start().await;
        self.lock().socket_url = Some(socket.url.clone());
        socket
    }
}

fn open_im(world: &mut World, user: &str) -> String {
    let n = world.ims.len() + 1;
    world
        .ims
        .entry(user.to_string())
        .or_insert_with(|| format!("D0IM{n:06}"))
        .clone()
}

/// The request's arguments: a JSON body, a form body or the query string.
fn arguments(
    query: Option<String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Map<String, Value>, String> {
    let mut args = Map::new();
    if let Some(q) = query {
        for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
            args.insert(k.into_owned(), Value::String(v.into_owned()));
        }
    }
    if body.is_empty() {
        return Ok(args);
    }
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/json") {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => args.extend(map),
            Ok(_) => return Err("the JSON body is not an object".to_string()),
            Err(e) => return Err(format!("unreadable JSON body: {e}")),
        }
    } else {
        for (k, v) in url::form_urlencoded::parse(body) {
            args.insert(k.into_owned(), Value::String(v.into_owned()));
        }
    }
    Ok(args)
}

/// A `blocks` or `view` argument: JSON in a JSON body, a JSON string in a form.
fn json_arg(args: &Map<String, Value>, name: &str) -> Option<Value> {
    match args.get(name)? {
        Value::String(s) => serde_json::from_str(s).ok(),
        other => Some(other.clone()),
    }
}

fn slack_error(code: &str) -> Response {
    axum::Json(json!({"ok": false, "error": code})).into_response()
}

fn rate_limited(secs: u64) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [("retry-after", secs.to_string())],
        axum::Json(json!({"ok": false, "error": "ratelimited"})),
    )
        .into_response()
}

/// The rate-limit scope of a call (chat.postMessage is paced per channel).
fn scope(method: &str, args: &Map<String, Value>) -> String {
    match (method, args.get("channel").and_then(Value::as_str)) {
        ("chat.postMessage", Some(channel)) => format!("{method}:{channel}"),
        _ => method.to_string(),
    }
}

/// A `response_url`: JSON with `text` or `blocks`, `response_type` ephemeral or in_channel; five answers within
/// 30 minutes, then `404 used_url` / `404 expired_url` as Slack answers.
async fn response_url(
    State(world): State<Arc<Mutex<World>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut world = world.lock().unwrap_or_else(|e| e.into_inner());
    let now = world.clock.now();
    let mut problems = Vec::new();
    if !headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
    {
        problems.push("a response_url answer must be JSON".to_string());
    }
    let args = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(args)) => args,
        _ => {
            problems.push("a response_url answer is not a JSON object".to_string());
            Map::new()
        }
    };
    match args.get("response_type").and_then(Value::as_str) {
        None | Some("ephemeral") | Some("in_channel") => {}
        Some(other) => problems.push(format!("response_type {other:?}")),
    }
    let text = args.get("text").and_then(Value::as_str).unwrap_or("");
    match args.get("blocks") {
        Some(blocks) => problems.extend(blockkit::check_blocks(blocks, 50)),
        None if text.is_empty() => problems.push("neither text nor blocks".to_string()),
        None => {}
    }
    let (status, error) = match world.response_urls.get_mut(&id) {
        None => (404, Some("invalid_url")),
        Some((issued, _)) if now - *issued >= chrono::Duration::minutes(30) => {
            (404, Some("expired_url"))
        }
        Some((_, used)) if *used >= 5 => (404, Some("used_url")),
        Some((_, used)) => {
            *used += 1;
            (200, None)
        }
    };
    world
        .violations
        .extend(problems.into_iter().map(|p| format!("response_url: {p}")));
    world.requests.push(Recorded {
        method: "response_url".to_string(),
        args,
        at: now,
        status,
        error: error.map(str::to_string),
    });
    match error {
        None => (StatusCode::OK, "ok").into_response(),
        Some(code) => (StatusCode::NOT_FOUND, code).into_response(),
    }
}

async fn web_api(
    State(world): State<Arc<Mutex<World>>>,
    Path(method): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut world = world.lock().unwrap_or_else(|e| e.into_inner());
    let now = world.clock.now();
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_string();
    let args = match arguments(query, &headers, &body) {
        Ok(args) => args,
        Err(e) => {
            world.violations.push(format!("{method}: {e}"));
            return slack_error("invalid_arguments");
        }
    };
    let (status, response) = answer(&mut world, &method, &args, &token, now);
    let error = if status == 200 {
        response
            .get("error")
            .and_then(Value::as_str)
            .map(str::to_string)
    } else {
        Some("ratelimited".to_string())
    };
    let recorded = Recorded {
        method: method.clone(),
        args,
        at: now,
        status,
        error,
    };
    if !world.taps.is_empty() {
        let at = std::time::Instant::now();
        world
            .taps
            .retain(|tap| tap.send((recorded.clone(), at)).is_ok());
    }
    world.requests.push(recorded);
    let scopes = world.scopes.join(",");
    // Slack's clock is the fake's: `Date` on every answer, as a real server sends it.
    let date =
        axum::http::HeaderValue::from_str(&now.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
            .expect("a date is a header value");
    let mut answer = match status {
        200 => {
            let mut answer = axum::Json(response).into_response();
            if let Ok(value) = axum::http::HeaderValue::from_str(&scopes) {
                answer.headers_mut().insert("x-oauth-scopes", value);
            }
            answer
        }
        429 => rate_limited(response["retry_after"].as_u64().unwrap_or(1)),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "fake Slack failure on demand",
        )
            .into_response(),
    };
    answer.headers_mut().insert("date", date);
    answer
}

/// The status and body for one call (a 429's body carries `retry_after` for the caller above).
fn answer(
    world: &mut World,
    method: &str,
    args: &Map<String, Value>,
    token: &str,
    now: DateTime<Utc>,
) -> (u16, Value) {
    let expected_token = if method == "apps.connections.open" {
        APP_TOKEN
    } else {
        BOT_TOKEN
    };
    if token != expected_token {
        world.violations.push(format!(
            "{method}: sent with the wrong token in Authorization"
        ));
        return (200, json!({"ok": false, "error": "invalid_auth"}));
    }
    let problems = spec::check_args(method, args);
    if !problems.is_empty() {
        world.violations.extend(problems);
        return (200, json!({"ok": false, "error": "invalid_arguments"}));
    }
    let mut content = Vec::new();
    if let Some(blocks) = json_arg(args, "blocks") {
        content.extend(blockkit::check_blocks(&blocks, 50));
    }
    if let Some(view) = json_arg(args, "view") {
        content.extend(blockkit::check_view(&view));
    }
    if args
        .get("link_names")
        .is_some_and(|v| v == &json!(true) || v == "1" || v == "true")
    {
        content.push(format!("{method}: link_names is set"));
    }
    if args.get("parse").is_some_and(|v| v == "full") {
        content.push(format!("{method}: parse=full is set"));
    }
    let text = args.get("text").and_then(Value::as_str).unwrap_or("");
    if text.chars().count() > 40_000 {
        content.push(format!("{method}: text over 40,000 characters"));
    }
    content.extend(blockkit::broadcasts(&blockkit::mrkdwn(&Value::Object(
        args.clone(),
    ))));
    if !content.is_empty() {
        world
            .violations
            .extend(content.iter().map(|p| format!("{method}: {p}")));
        return (200, json!({"ok": false, "error": "invalid_blocks"}));
    }

    // Rate limits: a call before an earlier Retry-After passed is a violation; then failures on demand;
    // then the tiers and chat.postMessage's one message per second per channel.
    let scope = scope(method, args);
    if let Some(until) = world.blocked_until.get(&scope).copied() {
        if now < until {
            world.violations.push(format!(
                "{scope} called at {now} before its Retry-After passed at {until}"
            ));
        }
    }
    let failure = match world.failures.get_mut(method).and_then(VecDeque::pop_front) {
        Some(failure) => Some(failure),
        None => world
            .faults
            .as_mut()
            .and_then(Faults::roll)
            .map(|f| match f {
                Fault::ServerError => Failure::ServerError,
                Fault::RateLimited { retry_after_secs } => {
                    Failure::RateLimited { retry_after_secs }
                }
            }),
    };
    if let Some(failure) = failure {
        return match failure {
            Failure::RateLimited { retry_after_secs } => {
                world.blocked_until.insert(
                    scope,
                    now + chrono::Duration::seconds(retry_after_secs as i64),
                );
                (429, json!({"retry_after": retry_after_secs}))
            }
            Failure::Error(code) => (200, json!({"ok": false, "error": code})),
            Failure::ServerError => (500, json!({})),
        };
    }
    if let Some(retry) = over_limit(world, method, &scope, now).filter(|_| !world.unlimited) {
        let secs = retry.as_secs().max(1);
        world
            .blocked_until
            .insert(scope, now + chrono::Duration::seconds(secs as i64));
        return (429, json!({"retry_after": secs}));
    }
    world.calls.entry(scope).or_default().push(now);
    (200, respond(world, method, args, now))
}

/// How long until a call in `scope` is allowed, if it is over Slack's limit now.
fn over_limit(world: &World, method: &str, scope: &str, now: DateTime<Utc>) -> Option<Duration> {
    let calls = world.calls.get(scope)?;
    if method == "chat.postMessage" {
        let last = *calls.last()?;
        let gap = now - last;
        return (gap < chrono::Duration::seconds(1)).then(|| {
            (chrono::Duration::seconds(1) - gap)
                .to_std()
                .unwrap_or_default()
        });
    }
    let per_minute = tier(method)?;
    let window_start = now - chrono::Duration::seconds(60);
    let recent: Vec<_> = calls.iter().filter(|t| **t > window_start).collect();
    (recent.len() >= per_minute).then(|| {
        (*recent[0] + chrono::Duration::seconds(60) - now)
            .to_std()
            .unwrap_or_default()
    })
}

fn arg<'a>(args: &'a Map<String, Value>, name: &str) -> &'a str {
    args.get(name).and_then(Value::as_str).unwrap_or("")
}

fn respond(
    world: &mut World,
    method: &str,
    args: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Value {
    let err = |code: &str| json!({"ok": false, "error": code});
    let new_ts = |world: &mut World| {
        world.next_ts += 1;
        format!("{}.{:06}", now.timestamp(), world.next_ts)
    };
    let channel_ok = |world: &World, channel: &str| -> Result<(), &'static str> {
        if world.ims.values().any(|c| c == channel) {
            return Ok(());
        }
        match world.channels.get(channel) {
            None => Err("channel_not_found"),
            Some(true) => Err("is_archived"),
            Some(false) => Ok(()),
        }
    };
    let body = match method {
        "auth.test" => {
            json!({"url": "https://fake-team.slack.com/", "team": "Fake Team", "user": "amplifier",
            "team_id": TEAM, "user_id": BOT_USER, "bot_id": "B0FAKEBOT1", "is_enterprise_install": false})
        }
        "apps.connections.open" => match &world.socket_url {
            Some(url) => json!({"url": url}),
            None => err("internal_error"),
        },
        "conversations.open" => {
            let user = arg(args, "users").to_string();
            if user.contains(',') || !world.users.contains_key(&user) {
                return err("user_not_found");
            }
            json!({"channel": {"id": open_im(world, &user)}})
        }
        "chat.postMessage" => {
            let channel = arg(args, "channel").to_string();
            if let Err(code) = channel_ok(world, &channel) {
                return err(code);
            }
            let ts = new_ts(world);
            let text = arg(args, "text").to_string();
            let blocks = json_arg(args, "blocks").unwrap_or(json!([]));
            world.messages.insert(
                (channel.clone(), ts.clone()),
                (text.clone(), blocks.clone()),
            );
            world.posted.push((channel.clone(), ts.clone()));
            json!({"channel": channel, "ts": ts, "message": {"type": "message", "user": BOT_USER, "ts": ts,
                "bot_id": "B0FAKEBOT1", "text": text, "blocks": blocks}})
        }
        "chat.update" => {
            let key = (
                arg(args, "channel").to_string(),
                arg(args, "ts").to_string(),
            );
            if !world.messages.contains_key(&key) {
                return err("message_not_found");
            }
            let text = arg(args, "text").to_string();
            let blocks = json_arg(args, "blocks").unwrap_or(json!([]));
            world.messages.insert(key.clone(), (text.clone(), blocks));
            json!({"channel": key.0, "ts": key.1, "text": text})
        }
        "chat.postEphemeral" => {
            let channel = arg(args, "channel").to_string();
            if let Err(code) = channel_ok(world, &channel) {
                return err(code);
            }
            if !world.users.contains_key(arg(args, "user")) {
                return err("user_not_found");
            }
            json!({"message_ts": new_ts(world)})
        }
        "views.open" => {
            let trigger = arg(args, "trigger_id");
            match world.triggers.remove(trigger) {
                None => return err("invalid_trigger_id"),
                Some(issued) if now - issued > chrono::Duration::seconds(3) => {
                    return err("expired_trigger_id")
                }
                Some(_) => {}
            }
            let view = json_arg(args, "view").unwrap_or(json!({}));
            let id = format!("V0VIEW{:05}", world.next_ts);
            json!({"view": {"id": id, "team_id": TEAM, "hash": "1.fake", "type": "modal",
                "callback_id": view["callback_id"], "blocks": view["blocks"]}})
        }
        "views.publish" => {
            if !world.users.contains_key(arg(args, "user_id")) {
                return err("user_not_found");
            }
            let view = json_arg(args, "view").unwrap_or(json!({}));
            if view["type"] != "home" {
                return err("invalid_arguments");
            }
            json!({"view": {"id": "V0HOME0001", "team_id": TEAM, "hash": "1.home", "type": "home",
                "blocks": view["blocks"]}})
        }
        "usergroups.users.list" | "usergroups.users.update" => {
            let needed = if method.ends_with("list") {
                "usergroups:read"
            } else {
                "usergroups:write"
            };
            if !world.scopes.iter().any(|s| s == needed) {
                return json!({"ok": false, "error": "missing_scope", "needed": needed});
            }
            let group = arg(args, "usergroup").to_string();
            let Some(members) = world.usergroups.get_mut(&group) else {
                return err("no_such_subteam");
            };
            if method.ends_with("update") {
                let users: Vec<String> = arg(args, "users")
                    .split(',')
                    .map(str::trim)
                    .filter(|u| !u.is_empty())
                    .map(str::to_string)
                    .collect();
                if users.is_empty() {
                    return err("invalid_users");
                }
                *members = users;
                json!({"usergroup": {"id": group, "users": members}})
            } else {
                json!({"users": members})
            }
        }
        "conversations.members" => {
            let channel = arg(args, "channel").to_string();
            match world.channels.get(&channel) {
                None => return err("channel_not_found"),
                Some(_) if channel != "C0AMPLIFY1" => {
                    json!({"members": [], "response_metadata": {"next_cursor": ""}})
                }
                Some(_) => {
                    // Everyone is in the share channel, with the bot; pages of `limit`, the cursor is an offset.
                    let mut members: Vec<String> = world.users.keys().cloned().collect();
                    members.push(BOT_USER.to_string());
                    members.sort();
                    let limit = arg(args, "limit")
                        .parse::<usize>()
                        .unwrap_or(100)
                        .clamp(1, 1000);
                    let start = arg(args, "cursor")
                        .parse::<usize>()
                        .unwrap_or(0)
                        .min(members.len());
                    let end = (start + limit).min(members.len());
                    let next = if end < members.len() {
                        end.to_string()
                    } else {
                        String::new()
                    };
                    json!({"members": members[start..end], "response_metadata": {"next_cursor": next}})
                }
            }
        }
        "conversations.info" => {
            let channel = arg(args, "channel").to_string();
            let Some(archived) = world.channels.get(&channel).copied() else {
                return err("channel_not_found");
            };
            let name = channel.trim_start_matches("C0").to_lowercase();
            json!({"channel": {"id": channel, "name": name, "is_channel": true, "is_private": false,
                "is_archived": archived, "is_member": !world.bot_absent.contains(&channel)}})
        }
        "users.info" => {
            let Some(user) = world.users.get(arg(args, "user")) else {
                return err("user_not_found");
            };
            json!({"user": {"id": user.id, "team_id": TEAM, "name": user.name, "deleted": false, "tz": user.tz,
                "is_bot": false, "profile": {"real_name": user.name, "display_name": user.name,
                "status_emoji": user.status_emoji, "status_text": user.status_text}}})
        }
        other => return err(&format!("the fake does not implement {other}")),
    };
    let mut body = body;
    body["ok"] = json!(true);
    body
}
