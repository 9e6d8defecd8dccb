//! The documented Discord limits that the OpenAPI spec cannot express (LIMITS.md 1 and 2h): content 2,000 for
//! bot messages, 6,000 characters across embeds, 5 action rows of 5 buttons, unique custom ids, modals of 1–5
//! rows, `allowed_mentions` present on every message and never allowing everyone, @here or a role other than an
//! opt-in role the test named, and commands'
//! `default_member_permissions` as the docs' string of an integer (where the spec says integer).

use serde_json::Value;

fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

/// Every limit `body` breaks for `method path`. `pingable` are the roles a test said the bot may ping (a
/// `role_post` team's opt-in role); any other role in `allowed_mentions.roles` is a violation.
pub fn check(method: &str, path: &str, body: &Value, pingable: &[String]) -> Vec<String> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, parts.as_slice()) {
        ("POST", ["channels", _, "messages"]) => {
            let mut p = message(body, pingable);
            if body["enforce_nonce"] != Value::Bool(true) || !body["nonce"].is_string() {
                p.push("a create-message must carry a nonce with enforce_nonce: true".into());
            }
            p
        }
        ("PATCH", ["channels", _, "messages", _]) | ("POST", ["webhooks", _, _]) => {
            message(body, pingable)
        }
        ("POST", ["interactions", _, _, "callback"]) => match body["type"].as_u64() {
            Some(4) | Some(7) => message(&body["data"], pingable),
            Some(9) => {
                let rows = body["data"]["components"].as_array().map_or(0, Vec::len);
                if (1..=5).contains(&rows) {
                    Vec::new()
                } else {
                    vec![format!("a modal has 1 to 5 rows, not {rows}")]
                }
            }
            _ => Vec::new(),
        },
        ("PUT", ["applications", _, "commands"])
        | ("PUT", ["applications", _, "guilds", _, "commands"]) => body
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(permissions_problem)
            .collect(),
        _ => Vec::new(),
    }
}

/// A command's `default_member_permissions`, as the docs define it (application-commands.mdx): `null`, or a
/// permission bit set *as a string* of a non-negative integer ("32"; "0" hides the command from everyone but
/// admins). The OpenAPI spec types it as an integer; the upstream README says the docs win where they disagree.
fn permissions_problem(command: &Value) -> Option<String> {
    let name = command["name"].as_str().unwrap_or("?");
    match command.get("default_member_permissions") {
        None | Some(Value::Null) => None,
        Some(Value::String(bits)) if !bits.is_empty() && bits.bytes().all(|b| b.is_ascii_digit()) => {
            match bits.parse::<u64>() {
                Ok(n) if n <= MAX_PERMISSIONS => None,
                _ => Some(format!(
                    "{name}: default_member_permissions {bits} is not a permission bit set"
                )),
            }
        }
        Some(other) => Some(format!(
            "{name}: default_member_permissions must be a string of an integer (such as \"32\"), not {other}"
        )),
    }
}

/// The spec's bound for a permission bit set.
const MAX_PERMISSIONS: u64 = 18_014_398_509_481_983;

/// The body as the OpenAPI spec types it, so its other rules can be checked: the documented string form of
/// `default_member_permissions` becomes the spec's integer (a wrong form is [`check`]'s to report).
pub fn as_the_spec_types_it(method: &str, path: &str, body: &Value) -> Value {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let commands = matches!(
        (method, parts.as_slice()),
        ("PUT", ["applications", _, "commands"])
            | ("PUT", ["applications", _, "guilds", _, "commands"])
    );
    let mut typed = body.clone();
    if commands {
        for command in typed.as_array_mut().into_iter().flatten() {
            if let Some(n) = command["default_member_permissions"]
                .as_str()
                .and_then(|bits| bits.parse::<u64>().ok())
            {
                command["default_member_permissions"] = Value::from(n);
            }
        }
    }
    typed
}

fn message(body: &Value, pingable: &[String]) -> Vec<String> {
    let mut p = Vec::new();
    if chars(&body["content"]) > 2000 {
        p.push(format!(
            "content has {} characters; bots may send 2,000",
            chars(&body["content"])
        ));
    }
    let embeds: usize = body["embeds"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            chars(&e["title"])
                + chars(&e["description"])
                + chars(&e["footer"]["text"])
                + chars(&e["author"]["name"])
                + e["fields"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| chars(&f["name"]) + chars(&f["value"]))
                    .sum::<usize>()
        })
        .sum();
    if embeds > 6000 {
        p.push(format!(
            "embeds have {embeds} characters together; the limit is 6,000"
        ));
    }
    let rows = body["components"].as_array().cloned().unwrap_or_default();
    if rows.len() > 5 {
        p.push(format!(
            "{} action rows; a message has at most 5",
            rows.len()
        ));
    }
    let mut ids = Vec::new();
    for row in &rows {
        let children = row["components"].as_array().cloned().unwrap_or_default();
        if children.len() > 5 {
            p.push(format!(
                "a row of {} components; at most 5 buttons",
                children.len()
            ));
        }
        for c in children {
            if let Some(id) = c["custom_id"].as_str() {
                if ids.contains(&id.to_string()) {
                    p.push(format!("custom_id {id} twice in one message"));
                }
                ids.push(id.to_string());
            }
        }
    }
    let mentions = &body["allowed_mentions"];
    if !mentions.is_object() {
        p.push("allowed_mentions is missing: user text could ping @everyone or a role".into());
    } else {
        let parse: Vec<&str> = mentions["parse"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !mentions["parse"].is_array() {
            p.push("allowed_mentions.parse must be given (empty)".into());
        }
        if parse.contains(&"everyone") || parse.contains(&"roles") {
            p.push(format!("allowed_mentions.parse allows {parse:?}"));
        }
        if parse.contains(&"users") && mentions["users"].as_array().is_some_and(|u| !u.is_empty()) {
            p.push(
                "allowed_mentions: parse users together with a users list is a 400 on Discord"
                    .into(),
            );
        }
        for role in mentions["roles"].as_array().into_iter().flatten() {
            if !role
                .as_str()
                .is_some_and(|r| pingable.iter().any(|p| p == r))
            {
                p.push(format!(
                    "allowed_mentions.roles holds {role}: the bot pings no role but a team's opt-in role"
                ));
            }
        }
    }
    p
}
