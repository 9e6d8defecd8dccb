//! A fake Discord REST API under `/api/v10` on 127.0.0.1:0, for the adapter's tests: it records every request,
//! checks each body against the official OpenAPI spec and the documented limits the spec cannot express, keeps
//! Discord's global and per-route rate limits (429 with headers) on an injected clock, dedupes messages by
//! nonce within a few minutes (as Discord does with `enforce_nonce`), refuses DMs for chosen users (50007), keeps
//! servers with roles, members' roles and channel overwrites and computes the bot's permissions from them as
//! Discord documents it (a channel it cannot view is 403 Missing Access, a post without Send Messages 403 Missing
//! Permissions), gives and takes members' roles only with Manage Roles and below the bot's highest role (403
//! Missing Permissions otherwise), and fails calls on demand or at random ([`FakeDiscord::set_faults`]).

pub mod gateway;
pub mod limits;
pub mod schema;

use super::chaos::{Fault, Faults};
use amplifier::clock::Clock;
use axum::body::{to_bytes, Body};
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

pub const BOT_ID: &str = "1200000000000000001";
pub const APPLICATION_ID: &str = "1200000000000000001";
/// The bot's own role in every fake server (Discord makes one when a bot is invited with permissions).
pub const BOT_ROLE: &str = "1200000000000000002";
/// How long a create-message `nonce` (with `enforce_nonce`) dedupes: Discord says "the past few minutes".
pub const NONCE_WINDOW: Duration = Duration::minutes(5);
/// How long Discord waits for an interaction's first answer (real time).
pub const INTERACTION_DEADLINE: std::time::Duration = std::time::Duration::from_secs(3);

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub body: Value,
    pub status: u16,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct Bucket {
    remaining: u32,
    reset_at: DateTime<Utc>,
    /// Set when a 429 told the client to wait until then.
    told_until: Option<DateTime<Utc>>,
}

struct Failure {
    path_contains: String,
    status: u16,
    body: Value,
    times: usize,
}

struct State {
    clock: Arc<dyn Clock>,
    requests: Vec<Recorded>,
    violations: Vec<String>,
    early: Vec<String>,
    next_id: u64,
    dm_channels: HashMap<String, String>,
    refuses_dms: HashSet<String>,
    /// message id → (channel id, body as stored)
    messages: HashMap<String, (String, Value)>,
    /// (channel, nonce) → (message id, when it was created).
    nonces: HashMap<(String, String), (String, DateTime<Utc>)>,
    /// Creates answered with the earlier message because of their nonce.
    nonce_dedupes: u32,
    /// Requests answered 429 by the rate limits themselves (not by an injected fault).
    limited: Vec<String>,
    faults: Option<Faults>,
    /// Until when the last global 429 said to wait.
    global_told_until: Option<DateTime<Utc>>,
    answered_interactions: HashSet<String>,
    /// When the gateway dispatched each interaction: a first answer more than 3 s later is refused.
    dispatched: gateway::Dispatched,
    /// Interactions answered after Discord's 3 seconds (refused with 10062, as Discord does).
    late: Vec<String>,
    buckets: HashMap<String, Bucket>,
    route_limit: (u32, Duration),
    global_window: (DateTime<Utc>, u32),
    failures: Vec<Failure>,
    gateway_url: String,
    /// When set, requests without `Authorization: Bot <token>` are answered 401, as Discord does.
    token: Option<String>,
    /// The application's flags (`GET /applications/@me`).
    application_flags: u64,
    /// Servers the bot is in.
    guilds: HashMap<String, Guild>,
    /// Role changes refused with Missing Permissions.
    role_refusals: u32,
    /// Roles a message may ping (`allowed_mentions.roles`): the opt-in roles tests name.
    pingable: Vec<String>,
    /// Role mentions in server channels: (channel, role, how many members it reached; 0 when Discord would not
    /// ping it: not mentionable and no Mention Everyone).
    role_pings: Vec<(String, String, usize)>,
    /// Registered commands by (application, guild; "" for global ones), as Discord answers them.
    commands: HashMap<(String, String), Value>,
}

/// A server the bot is in: its name, text channels (id → name), members, roles, the roles each member holds, and
/// each channel's permission overwrites.
#[derive(Debug, Clone, Default)]
struct Guild {
    name: String,
    owner: String,
    channels: HashMap<String, String>,
    members: HashSet<String>,
    /// The `@everyone` role (the server's id) first.
    roles: Vec<FakeRole>,
    member_roles: HashMap<String, Vec<String>>,
    /// Channel id → its overwrites as Discord sends them (`{id, type, allow, deny}`, bit sets as strings).
    overwrites: HashMap<String, Vec<Value>>,
}

/// A role of a fake server.
#[derive(Debug, Clone)]
pub struct FakeRole {
    pub id: String,
    pub name: String,
    pub permissions: u64,
    pub position: i64,
    pub mentionable: bool,
}

impl FakeRole {
    fn json(&self) -> Value {
        json!({"id": self.id, "name": self.name, "permissions": self.permissions.to_string(),
            "position": self.position, "color": 0, "colors": {"primary_color": 0, "secondary_color": null,
            "tertiary_color": null}, "hoist": false, "managed": self.id == BOT_ROLE, "mentionable": self.mentionable,
            "icon": null, "unicode_emoji": null, "flags": 0, "description": null})
    }
}

/// Permission bits the fake checks, numbered as Discord documents them (topics/permissions.mdx).
pub mod bits {
    pub const ADMINISTRATOR: u64 = 1 << 3;
    pub const VIEW_CHANNEL: u64 = 1 << 10;
    pub const SEND_MESSAGES: u64 = 1 << 11;
    pub const EMBED_LINKS: u64 = 1 << 14;
    pub const MENTION_EVERYONE: u64 = 1 << 17;
    pub const MANAGE_ROLES: u64 = 1 << 28;
    /// What the documented invite link grants the bot's own role.
    pub const INVITE: u64 = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | MANAGE_ROLES;
}

impl Guild {
    /// `member`'s permissions in the server (`channel: None`) or in a channel, computed the way Discord documents
    /// it: `@everyone` and the member's roles, everything for the owner and administrators, then the channel's
    /// overwrites for `@everyone`, the member's roles (combined) and the member.
    fn permissions(&self, guild: &str, member: &str, channel: Option<&str>) -> u64 {
        if self.owner == member {
            return u64::MAX;
        }
        let held = self.member_roles.get(member).cloned().unwrap_or_default();
        let mut perms = 0;
        for role in &self.roles {
            if role.id == guild || held.contains(&role.id) {
                perms |= role.permissions;
            }
        }
        if perms & bits::ADMINISTRATOR != 0 {
            return u64::MAX;
        }
        let Some(overwrites) = channel.and_then(|c| self.overwrites.get(c)) else {
            return perms;
        };
        let n = |v: &Value| v.as_str().and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
        let find = |id: &str, kind: u64| {
            overwrites
                .iter()
                .find(|o| o["id"] == id && o["type"] == kind)
                .map(|o| (n(&o["allow"]), n(&o["deny"])))
        };
        if let Some((allow, deny)) = find(guild, 0) {
            perms = (perms & !deny) | allow;
        }
        let (mut allow, mut deny) = (0, 0);
        for role in held.iter().filter(|r| *r != guild) {
            if let Some((a, d)) = find(role, 0) {
                allow |= a;
                deny |= d;
            }
        }
        perms = (perms & !deny) | allow;
        if let Some((allow, deny)) = find(member, 1) {
            perms = (perms & !deny) | allow;
        }
        perms
    }

    /// The position of the member's highest role (`@everyone` is 0).
    fn highest(&self, member: &str) -> i64 {
        let held = self.member_roles.get(member).cloned().unwrap_or_default();
        self.roles
            .iter()
            .filter(|r| held.contains(&r.id))
            .map(|r| r.position)
            .max()
            .unwrap_or(0)
    }
}

/// The running fake; cheap to clone.
#[derive(Clone)]
pub struct FakeDiscord {
    state: Arc<Mutex<State>>,
    pub base_url: String,
    /// The gateway `GET /gateway` points at.
    pub gateway: gateway::FakeGateway,
}

impl FakeDiscord {
    /// Starts the fake (REST and gateway) on free loopback ports; its rate limits run on `clock`.
    pub async fn start(clock: Arc<dyn Clock>) -> FakeDiscord {
        let gateway = gateway::FakeGateway::start().await;
        let state = Arc::new(Mutex::new(State {
            clock,
            requests: Vec::new(),
            violations: Vec::new(),
            early: Vec::new(),
            next_id: 1_300_000_000_000_000_000,
            dm_channels: HashMap::new(),
            refuses_dms: HashSet::new(),
            messages: HashMap::new(),
            nonces: HashMap::new(),
            nonce_dedupes: 0,
            limited: Vec::new(),
            faults: None,
            global_told_until: None,
            answered_interactions: HashSet::new(),
            dispatched: gateway.interactions.clone(),
            late: Vec::new(),
            buckets: HashMap::new(),
            route_limit: (5, Duration::seconds(5)),
            global_window: (DateTime::<Utc>::MIN_UTC, 0),
            failures: Vec::new(),
            gateway_url: gateway.url.clone(),
            token: None,
            application_flags: 0,
            guilds: HashMap::new(),
            role_refusals: 0,
            pingable: Vec::new(),
            role_pings: Vec::new(),
            commands: HashMap::new(),
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local addr").port();
        let shared = state.clone();
        let app = Router::new().fallback(move |request: Request<Body>| {
            let state = shared.clone();
            async move { handle(state, request).await }
        });
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeDiscord {
            state,
            base_url: format!("http://127.0.0.1:{port}/api/v10"),
            gateway,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    /// The requests from the `from`-th on (a count taken earlier with [`FakeDiscord::request_count`]).
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

    /// Requests whose body broke the spec or a documented limit (each was answered 400).
    pub fn violations(&self) -> Vec<String> {
        self.lock().violations.clone()
    }

    /// Requests that came while a 429 the fake had sent still said to wait.
    pub fn early(&self) -> Vec<String> {
        self.lock().early.clone()
    }

    /// From now on a share of requests fails at random (5xx, or 429 with `retry_after`); `None` stops it.
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

    /// Requests the global or a route limit answered 429 (the client went faster than the limits).
    pub fn limited(&self) -> Vec<String> {
        self.lock().limited.clone()
    }

    /// How many create-messages were answered with an earlier message because of their nonce.
    pub fn nonce_dedupes(&self) -> u32 {
        self.lock().nonce_dedupes
    }

    /// From now on only `token` is accepted; any other is answered 401.
    pub fn require_token(&self, token: &str) {
        self.lock().token = Some(token.to_string());
    }

    /// The bot is in server `id` with these text channels (id, name) and members. The server starts as a freshly
    /// invited bot finds it: `@everyone` with no permissions, the bot's own role ([`BOT_ROLE`], position 1) with
    /// what the documented invite grants ([`bits::INVITE`]), no overwrites.
    pub fn add_guild(&self, id: &str, name: &str, channels: &[(&str, &str)], members: &[&str]) {
        let mut members: HashSet<String> = members.iter().map(|m| m.to_string()).collect();
        members.insert(BOT_ID.to_string());
        self.lock().guilds.insert(
            id.to_string(),
            Guild {
                name: name.to_string(),
                owner: "1".to_string(),
                channels: channels
                    .iter()
                    .map(|(c, n)| (c.to_string(), n.to_string()))
                    .collect(),
                members,
                roles: vec![
                    FakeRole {
                        id: id.to_string(),
                        name: "@everyone".into(),
                        permissions: 0,
                        position: 0,
                        mentionable: false,
                    },
                    FakeRole {
                        id: BOT_ROLE.to_string(),
                        name: "Amplifier".into(),
                        permissions: bits::INVITE,
                        position: 1,
                        mentionable: false,
                    },
                ],
                member_roles: HashMap::from([(BOT_ID.to_string(), vec![BOT_ROLE.to_string()])]),
                overwrites: HashMap::new(),
            },
        );
    }

    fn with_guild<T>(&self, guild: &str, f: impl FnOnce(&mut Guild) -> T) -> T {
        let mut state = self.lock();
        let g = state
            .guilds
            .get_mut(guild)
            .unwrap_or_else(|| panic!("add_guild({guild}) first"));
        f(g)
    }

    /// Adds (or replaces) a role of server `guild` (`@everyone` has the server's id; [`BOT_ROLE`] is the bot's).
    pub fn set_role(&self, guild: &str, role: FakeRole) {
        self.with_guild(guild, |g| {
            g.roles.retain(|r| r.id != role.id);
            g.roles.push(role);
        });
    }

    /// The role `id` of server `guild`.
    pub fn role(&self, guild: &str, id: &str) -> Option<FakeRole> {
        self.with_guild(guild, |g| g.roles.iter().find(|r| r.id == id).cloned())
    }

    /// The roles `member` holds in `guild` (a member the fake does not know yet becomes one).
    pub fn set_member_roles(&self, guild: &str, member: &str, roles: &[&str]) {
        self.with_guild(guild, |g| {
            g.members.insert(member.to_string());
            g.member_roles.insert(
                member.to_string(),
                roles.iter().map(|r| r.to_string()).collect(),
            );
        });
    }

    /// The roles `member` holds in `guild` now.
    pub fn member_roles(&self, guild: &str, member: &str) -> Vec<String> {
        self.with_guild(guild, |g| {
            g.member_roles.get(member).cloned().unwrap_or_default()
        })
    }

    /// From now on messages may ping `role` (a team's opt-in role); any other role is a violation.
    pub fn allow_role_pings(&self, role: &str) {
        self.lock().pingable.push(role.to_string());
    }

    /// Every role mention posted in a server channel: (channel, role, members it reached).
    pub fn role_pings(&self) -> Vec<(String, String, usize)> {
        self.lock().role_pings.clone()
    }

    /// How many members of `guild` hold `role`.
    pub fn holders(&self, guild: &str, role: &str) -> usize {
        self.with_guild(guild, |g| {
            g.member_roles
                .values()
                .filter(|held| held.iter().any(|r| r == role))
                .count()
        })
    }

    /// How many role changes the fake refused with Missing Permissions.
    pub fn role_refusals(&self) -> u32 {
        self.lock().role_refusals
    }

    /// Adds members to `guild` (with no roles).
    pub fn add_members(&self, guild: &str, members: &[&str]) {
        self.with_guild(guild, |g| {
            g.members.extend(members.iter().map(|m| m.to_string()));
        });
    }

    /// A permission overwrite on `channel` of `guild`, for a role (`kind` 0; `@everyone` is the server's id) or a
    /// member (`kind` 1).
    pub fn add_overwrite(
        &self,
        guild: &str,
        channel: &str,
        id: &str,
        kind: u8,
        allow: u64,
        deny: u64,
    ) {
        self.with_guild(guild, |g| {
            g.overwrites.entry(channel.to_string()).or_default().push(
                json!({"id": id, "type": kind, "allow": allow.to_string(), "deny": deny.to_string()}),
            );
        });
    }

    pub fn refuse_dms(&self, user: &str) {
        self.lock().refuses_dms.insert(user.to_string());
    }

    /// Each route bucket allows `limit` requests per `per`.
    pub fn set_route_limit(&self, limit: u32, per: Duration) {
        self.lock().route_limit = (limit, per);
    }

    pub fn set_gateway_url(&self, url: &str) {
        self.lock().gateway_url = url.to_string();
    }

    /// The next `times` requests whose path contains `path_contains` are answered `status` with `body`.
    pub fn fail_next(&self, path_contains: &str, status: u16, body: Value, times: usize) {
        self.lock().failures.push(Failure {
            path_contains: path_contains.to_string(),
            status,
            body,
            times,
        });
    }

    pub fn dm_channel_of(&self, user: &str) -> Option<String> {
        self.lock().dm_channels.get(user).cloned()
    }

    /// The messages in a channel, oldest first, as stored (edits applied).
    pub fn messages_in(&self, channel: &str) -> Vec<Value> {
        let state = self.lock();
        let mut found: Vec<(u64, Value)> = state
            .messages
            .iter()
            .filter(|(_, (c, _))| c == channel)
            .map(|(id, (_, body))| (id.parse().unwrap_or(0), body.clone()))
            .collect();
        found.sort_by_key(|(id, _)| *id);
        found.into_iter().map(|(_, b)| b).collect()
    }

    /// First answers to interactions that came after Discord's 3 seconds (each refused with 10062).
    pub fn late_interactions(&self) -> Vec<String> {
        self.lock().late.clone()
    }

    /// Interaction callbacks and follow-ups, in order.
    pub fn interaction_answers(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.contains("/interactions/") || r.path.contains("/webhooks/"))
            .collect()
    }
}

fn snowflake(state: &mut State) -> String {
    state.next_id += 1;
    state.next_id.to_string()
}

/// Which bucket a route falls in (route + top-level resource, as Discord keys them), and whether it counts
/// against the global limit.
fn bucket_of(method: &Method, path: &str) -> (String, bool) {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["channels", c, "messages"] if method == Method::POST => (format!("create:{c}"), true),
        ["channels", c, "messages", _] => (format!("edit:{c}"), true),
        ["users", "@me", "channels"] => ("dm-open".to_string(), true),
        ["interactions", id, ..] => (format!("interaction:{id}"), false),
        ["webhooks", app, token] => (format!("webhook:{app}:{token}"), true),
        _ => (format!("{method} {path}"), true),
    }
}

fn error(status: u16, body: Value) -> (u16, Value) {
    (status, body)
}

async fn handle(state: Arc<Mutex<State>>, request: Request<Body>) -> Response {
    let method = request.method().clone();
    let full_path = request.uri().path().to_string();
    let authorization = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = to_bytes(request.into_body(), 26 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let body: Value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::String("<not JSON>".into()))
    };
    let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
    let now = s.clock.now();
    let Some(path) = full_path.strip_prefix("/api/v10") else {
        return reply(
            &mut s,
            &method,
            &full_path,
            body,
            now,
            404,
            json!({"message": "404: Not Found", "code": 0}),
            None,
        );
    };
    let path = path.to_string();
    if let Some(token) = &s.token {
        if authorization.as_deref() != Some(format!("Bot {token}").as_str()) {
            return reply(
                &mut s,
                &method,
                &path,
                body,
                now,
                401,
                json!({"message": "401: Unauthorized", "code": 0}),
                None,
            );
        }
    }
    let (bucket_key, global) = bucket_of(&method, &path);

    // Global limit: 50 per second (interaction callbacks excluded).
    if global {
        if s.global_told_until.is_some_and(|u| now < u) {
            s.early.push(format!("{method} {path} at {now} (global)"));
        }
        let (start, count) = s.global_window;
        if now - start >= Duration::seconds(1) {
            s.global_window = (now, 0);
        }
        s.global_window.1 += 1;
        if s.global_window.1 > 50 {
            let retry =
                (s.global_window.0 + Duration::seconds(1) - now).num_milliseconds() as f64 / 1000.0;
            let _ = count;
            s.global_told_until = Some(s.global_window.0 + Duration::seconds(1));
            s.limited.push(format!("{method} {path} at {now} (global)"));
            let headers = rate_headers_429(retry, true);
            return reply(
                &mut s,
                &method,
                &path,
                body,
                now,
                429,
                json!({"message": "You are being rate limited.", "retry_after": retry, "global": true}),
                Some(headers),
            );
        }
    }

    // Per-route bucket.
    let (limit, per) = s.route_limit;
    let bucket = s.buckets.entry(bucket_key.clone()).or_insert(Bucket {
        remaining: limit,
        reset_at: now + per,
        told_until: None,
    });
    if bucket.reset_at <= now {
        bucket.remaining = limit;
        bucket.reset_at = now + per;
        // An injected 429 may have said to wait past the reset.
        bucket.told_until = bucket.told_until.filter(|u| now < *u);
    }
    let told_early = bucket.told_until.is_some_and(|u| now < u);
    if bucket.remaining == 0 {
        bucket.told_until = bucket.told_until.max(Some(bucket.reset_at));
    }
    if told_early {
        s.early.push(format!("{method} {path} at {now}"));
    }
    let bucket = s
        .buckets
        .get_mut(&bucket_key)
        .expect("the bucket was just made");
    if bucket.remaining == 0 {
        let retry = (bucket.reset_at - now).num_milliseconds() as f64 / 1000.0;
        let headers = rate_headers_429(retry, false);
        s.limited
            .push(format!("{method} {path} at {now} (bucket {bucket_key})"));
        return reply(
            &mut s,
            &method,
            &path,
            body,
            now,
            429,
            json!({"message": "You are being rate limited.", "retry_after": retry, "global": false}),
            Some(headers),
        );
    }
    bucket.remaining -= 1;
    let headers = bucket_headers(
        limit,
        bucket.remaining,
        (bucket.reset_at - now).num_milliseconds() as f64 / 1000.0,
        &bucket_key,
    );

    // Failures on demand.
    if let Some(f) = s
        .failures
        .iter_mut()
        .find(|f| f.times > 0 && path.contains(&f.path_contains))
    {
        f.times -= 1;
        let (status, fail_body) = (f.status, f.body.clone());
        return reply(
            &mut s,
            &method,
            &path,
            body,
            now,
            status,
            fail_body,
            Some(headers),
        );
    }

    // Failures at random.
    if let Some(fault) = s.faults.as_mut().and_then(Faults::roll) {
        let (status, answer, headers) = match fault {
            Fault::ServerError => (
                500,
                json!({"message": "500: Internal Server Error", "code": 0}),
                headers,
            ),
            Fault::RateLimited { retry_after_secs } => {
                if let Some(bucket) = s.buckets.get_mut(&bucket_key) {
                    bucket.told_until = Some(now + Duration::seconds(retry_after_secs as i64));
                }
                let retry = retry_after_secs as f64;
                // A shared-resource 429: the route's own bucket headers stay true, as Discord sends them.
                let mut headers = headers;
                headers.insert(
                    "retry-after",
                    HeaderValue::from_str(&retry_after_secs.to_string()).expect("header"),
                );
                headers.insert("x-ratelimit-scope", HeaderValue::from_static("shared"));
                (
                    429,
                    json!({"message": "You are being rate limited.", "retry_after": retry, "global": false}),
                    headers,
                )
            }
        };
        return reply(
            &mut s,
            &method,
            &path,
            body,
            now,
            status,
            answer,
            Some(headers),
        );
    }

    // The official spec, then the documented limits it cannot express.
    if method != Method::GET {
        let typed = limits::as_the_spec_types_it(method.as_str(), &path, &body);
        let mut problems = match schema::request_schema(method.as_str(), &path) {
            Some(schema) => schema::validate(schema, &typed),
            // A route without a body (giving a member a role) takes none.
            None if schema::has_route(method.as_str(), &path) => match &body {
                Value::Null => Vec::new(),
                _ => vec![format!("{method} {path} takes no body")],
            },
            None => vec![format!("{method} {path}: no such route in the spec")],
        };
        problems.extend(limits::check(method.as_str(), &path, &body, &s.pingable));
        if !problems.is_empty() {
            s.violations.push(format!("{method} {path}: {problems:?}"));
            return reply(
                &mut s,
                &method,
                &path,
                body,
                now,
                400,
                json!({"message": "Invalid Form Body", "code": 50035, "errors": problems}),
                Some(headers),
            );
        }
    } else if !schema::has_route(method.as_str(), &path) {
        s.violations
            .push(format!("{method} {path}: no such route in the spec"));
        return reply(
            &mut s,
            &method,
            &path,
            body,
            now,
            404,
            json!({"message": "404: Not Found", "code": 0}),
            Some(headers),
        );
    }

    let (status, answer) = route(&mut s, &method, &path, &body);
    reply(
        &mut s,
        &method,
        &path,
        body,
        now,
        status,
        answer,
        Some(headers),
    )
}

fn route(s: &mut State, method: &Method, path: &str, body: &Value) -> (u16, Value) {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["gateway"]) => (200, json!({ "url": s.gateway_url })),
        ("GET", ["gateway", "bot"]) => (
            200,
            json!({ "url": s.gateway_url, "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}}),
        ),
        ("GET", ["users", "@me"]) => (200, user(BOT_ID, "Amplifier", true)),
        ("POST", ["users", "@me", "channels"]) => {
            let Some(recipient) = body["recipient_id"].as_str() else {
                return error(400, json!({"message": "Invalid Form Body", "code": 50035}));
            };
            let channel = match s.dm_channels.get(recipient) {
                Some(c) => c.clone(),
                None => {
                    let c = snowflake(s);
                    s.dm_channels.insert(recipient.to_string(), c.clone());
                    c
                }
            };
            (
                200,
                json!({"id": channel, "type": 1, "last_message_id": null, "flags": 0,
                "recipients": [user(recipient, "member", false)]}),
            )
        }
        ("POST", ["channels", channel, "messages"]) => {
            // In a server's channel the bot needs View Channel and Send Messages, as on Discord.
            let allowed = s.guilds.iter().find_map(|(id, g)| {
                g.channels.contains_key(*channel).then(|| {
                    let perms = g.permissions(id, BOT_ID, Some(channel));
                    perms & bits::VIEW_CHANNEL != 0 && perms & bits::SEND_MESSAGES != 0
                })
            });
            if allowed == Some(false) {
                return error(
                    403,
                    json!({"message": "Missing Permissions", "code": 50013}),
                );
            }
            let recipient = s
                .dm_channels
                .iter()
                .find(|(_, c)| c == channel)
                .map(|(u, _)| u.clone());
            if recipient.is_some_and(|u| s.refuses_dms.contains(&u)) {
                return error(
                    403,
                    json!({"message": "Cannot send messages to this user", "code": 50007}),
                );
            }
            let nonce = body["nonce"].as_str().map(str::to_string);
            if body["enforce_nonce"] == json!(true) {
                if let Some(nonce) = &nonce {
                    let now = s.clock.now();
                    let earlier = s
                        .nonces
                        .get(&(channel.to_string(), nonce.clone()))
                        .filter(|(_, at)| now - *at < NONCE_WINDOW)
                        .map(|(id, _)| id.clone());
                    if let Some(id) = earlier {
                        s.nonce_dedupes += 1;
                        return (200, s.messages[&id].1.clone());
                    }
                }
            }
            // (A message the nonce deduped above pinged once, when it was created.)
            // A role mention reaches its holders when the role is mentionable or the bot may mention everyone.
            let pinged: Vec<String> = body["allowed_mentions"]["roles"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r.as_str().map(str::to_string))
                .filter(|r| {
                    body["content"]
                        .as_str()
                        .is_some_and(|c| c.contains(&format!("<@&{r}>")))
                })
                .collect();
            for role in pinged {
                let reached = s.guilds.iter().find_map(|(id, g)| {
                    g.channels.contains_key(*channel).then(|| {
                        let may = g.roles.iter().any(|r| r.id == role && r.mentionable)
                            || g.permissions(id, BOT_ID, Some(channel)) & bits::MENTION_EVERYONE
                                != 0;
                        if may {
                            g.member_roles
                                .values()
                                .filter(|held| held.contains(&role))
                                .count()
                        } else {
                            0
                        }
                    })
                });
                if let Some(reached) = reached {
                    s.role_pings.push((channel.to_string(), role, reached));
                }
            }
            let id = snowflake(s);
            let mut stored = body.clone();
            stored["id"] = json!(id);
            stored["channel_id"] = json!(channel);
            stored["author"] = user(BOT_ID, "Amplifier", true);
            stored["type"] = json!(0);
            if let Some(nonce) = nonce {
                let now = s.clock.now();
                s.nonces
                    .insert((channel.to_string(), nonce), (id.clone(), now));
            }
            s.messages.insert(id, (channel.to_string(), stored.clone()));
            (200, stored)
        }
        ("PATCH", ["channels", channel, "messages", id]) => match s.messages.get_mut(*id) {
            Some((c, stored)) if c == channel => {
                for (k, v) in body.as_object().into_iter().flatten() {
                    stored[k] = v.clone();
                }
                (200, stored.clone())
            }
            _ => error(404, json!({"message": "Unknown Message", "code": 10008})),
        },
        ("POST", ["interactions", id, _token, "callback"]) => {
            let waited = s
                .dispatched
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(*id)
                .map(|at| at.elapsed());
            if let Some(waited) = waited.filter(|w| *w > INTERACTION_DEADLINE) {
                s.late
                    .push(format!("interaction {id} answered after {waited:?}"));
                return error(
                    404,
                    json!({"message": "Unknown interaction", "code": 10062}),
                );
            }
            if !s.answered_interactions.insert(id.to_string()) {
                return error(
                    400,
                    json!({"message": "Interaction has already been acknowledged.", "code": 40060}),
                );
            }
            (204, Value::Null)
        }
        ("POST", ["webhooks", _app, _token]) => {
            let id = snowflake(s);
            (
                200,
                json!({"id": id, "content": body["content"], "flags": body["flags"]}),
            )
        }
        ("PUT", ["applications", app, "commands"]) => {
            let mut registered = body.clone();
            for command in registered.as_array_mut().into_iter().flatten() {
                let id = snowflake(s);
                command["id"] = json!(id);
                command["application_id"] = json!(app);
                command["version"] = json!(id);
                if command.get("default_member_permissions").is_none() {
                    command["default_member_permissions"] = Value::Null;
                }
            }
            s.commands
                .insert((app.to_string(), String::new()), registered.clone());
            (200, registered)
        }
        ("GET", ["applications", app, "commands"]) if *app != "@me" => (
            200,
            s.commands
                .get(&(app.to_string(), String::new()))
                .cloned()
                .unwrap_or_else(|| json!([])),
        ),
        ("PUT", ["applications", app, "guilds", guild, "commands"]) => {
            let mut registered = body.clone();
            for command in registered.as_array_mut().into_iter().flatten() {
                let id = snowflake(s);
                command["id"] = json!(id);
                command["application_id"] = json!(app);
                command["guild_id"] = json!(guild);
                command["version"] = json!(id);
                command["default_member_permissions"] = Value::Null;
            }
            s.commands
                .insert((app.to_string(), guild.to_string()), registered.clone());
            (200, registered)
        }
        ("GET", ["applications", "@me"]) => (
            200,
            json!({"id": APPLICATION_ID, "name": "Amplifier", "description": "", "icon": null,
                "bot_public": true, "bot_require_code_grant": false, "verify_key": "0",
                "flags": s.application_flags, "bot": user(BOT_ID, "Amplifier", true)}),
        ),
        ("GET", ["applications", app, "guilds", guild, "commands"]) => (
            200,
            s.commands
                .get(&(app.to_string(), guild.to_string()))
                .cloned()
                .unwrap_or(json!([])),
        ),
        ("GET", ["guilds", guild]) => match s.guilds.get(*guild) {
            Some(g) => (
                200,
                json!({"id": guild, "name": g.name, "icon": null, "owner_id": g.owner,
                    "roles": g.roles.iter().map(FakeRole::json).collect::<Vec<_>>(), "features": []}),
            ),
            None => error(404, json!({"message": "Unknown Guild", "code": 10004})),
        },
        ("GET", ["guilds", guild, "roles"]) => match s.guilds.get(*guild) {
            Some(g) => (
                200,
                Value::Array(g.roles.iter().map(FakeRole::json).collect()),
            ),
            None => error(404, json!({"message": "Unknown Guild", "code": 10004})),
        },
        ("GET", ["channels", channel]) => {
            match s
                .guilds
                .iter()
                .find_map(|(id, g)| g.channels.get(*channel).map(|name| (id, g, name)))
            {
                // Discord answers a channel the bot cannot view with Missing Access.
                Some((guild, g, _))
                    if g.permissions(guild, BOT_ID, Some(channel)) & bits::VIEW_CHANNEL == 0 =>
                {
                    error(403, json!({"message": "Missing Access", "code": 50001}))
                }
                Some((guild, g, name)) => (
                    200,
                    json!({"id": channel, "type": 0, "guild_id": guild, "name": name, "position": 0,
                        "permission_overwrites": g.overwrites.get(*channel).cloned().unwrap_or_default(),
                        "nsfw": false, "parent_id": null}),
                ),
                None => error(404, json!({"message": "Unknown Channel", "code": 10003})),
            }
        }
        ("GET", ["guilds", guild, "members", member]) => {
            match s.guilds.get(*guild).filter(|g| g.members.contains(*member)) {
                Some(g) => (
                    200,
                    json!({"user": user(member, "member", *member == BOT_ID),
                        "roles": g.member_roles.get(*member).cloned().unwrap_or_default(),
                        "joined_at": "2026-01-01T00:00:00+00:00",
                        "deaf": false, "mute": false, "flags": 0, "pending": false}),
                ),
                None => error(404, json!({"message": "Unknown Member", "code": 10007})),
            }
        }
        (m @ ("PUT" | "DELETE"), ["guilds", guild, "members", member, "roles", role]) => {
            let Some(g) = s.guilds.get_mut(*guild) else {
                return error(404, json!({"message": "Unknown Guild", "code": 10004}));
            };
            let Some(target) = g.roles.iter().find(|r| r.id == *role).cloned() else {
                return error(404, json!({"message": "Unknown Role", "code": 10011}));
            };
            if !g.members.contains(*member) {
                return error(404, json!({"message": "Unknown Member", "code": 10007}));
            }
            // Discord: Manage Roles, and only roles below the bot's highest role.
            let may = g.permissions(guild, BOT_ID, None) & bits::MANAGE_ROLES != 0
                && g.highest(BOT_ID) > target.position;
            if !may {
                s.role_refusals += 1;
                return error(
                    403,
                    json!({"message": "Missing Permissions", "code": 50013}),
                );
            }
            let held = g.member_roles.entry(member.to_string()).or_default();
            if m == "PUT" {
                if !held.contains(&target.id) {
                    held.push(target.id);
                }
            } else {
                held.retain(|r| *r != target.id);
            }
            (204, Value::Null)
        }
        _ => error(404, json!({"message": "404: Not Found", "code": 0})),
    }
}

fn user(id: &str, name: &str, bot: bool) -> Value {
    json!({"id": id, "username": name, "avatar": null, "discriminator": "0", "public_flags": 0,
        "flags": 0, "bot": bot, "global_name": name})
}

fn bucket_headers(limit: u32, remaining: u32, reset_after: f64, bucket: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    let put = |h: &mut HeaderMap, k: &'static str, v: String| {
        h.insert(k, HeaderValue::from_str(&v).expect("header value"));
    };
    put(&mut h, "x-ratelimit-limit", limit.to_string());
    put(&mut h, "x-ratelimit-remaining", remaining.to_string());
    put(
        &mut h,
        "x-ratelimit-reset-after",
        format!("{reset_after:.3}"),
    );
    put(
        &mut h,
        "x-ratelimit-bucket",
        format!("{:016x}", bucket.len() as u64 * 7919),
    );
    h
}

fn rate_headers_429(retry: f64, global: bool) -> HeaderMap {
    let mut h = bucket_headers(5, 0, retry, "429");
    h.insert(
        "retry-after",
        HeaderValue::from_str(&(retry.ceil() as u64).to_string()).expect("header"),
    );
    h.insert(
        "x-ratelimit-scope",
        HeaderValue::from_static(if global { "global" } else { "user" }),
    );
    if global {
        h.insert("x-ratelimit-global", HeaderValue::from_static("true"));
    }
    h
}

#[allow(clippy::too_many_arguments)]
fn reply(
    s: &mut State,
    method: &Method,
    path: &str,
    body: Value,
    now: DateTime<Utc>,
    status: u16,
    answer: Value,
    headers: Option<HeaderMap>,
) -> Response {
    s.requests.push(Recorded {
        method: method.to_string(),
        path: path.to_string(),
        body,
        status,
        at: now,
    });
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = if answer.is_null() {
        code.into_response()
    } else {
        (code, axum::Json(answer)).into_response()
    };
    if let Some(headers) = headers {
        response.headers_mut().extend(headers);
    }
    // Discord's clock is the fake's.
    if let Ok(date) = HeaderValue::from_str(&now.format("%a, %d %b %Y %H:%M:%S GMT").to_string()) {
        response.headers_mut().insert("date", date);
    }
    response
}

/// The `custom_id` of the button labelled exactly `label` in a stored message.
pub fn button_id(message: &Value, label: &str) -> Option<String> {
    message["components"]
        .as_array()?
        .iter()
        .flat_map(|row| row["components"].as_array().into_iter().flatten())
        .find(|b| b["label"] == label)
        .and_then(|b| b["custom_id"].as_str())
        .map(str::to_string)
}
