//! Block Kit limits and mention rules the real Slack enforces (or that no request of ours may break), checked
//! on every message and view the fake receives.

use serde_json::Value;

/// Broadcasts the bot never means to send.
const BROADCASTS: &[&str] = &["<!channel", "<!here", "<!everyone", "<!subteam"];

fn len(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

fn text_of(v: &Value) -> &str {
    v["text"].as_str().unwrap_or("")
}

/// Problems with a `blocks` array (at most `max_blocks`).
pub fn check_blocks(blocks: &Value, max_blocks: usize) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(list) = blocks.as_array() else {
        return vec!["blocks is not an array".to_string()];
    };
    if list.len() > max_blocks {
        problems.push(format!("{} blocks (at most {max_blocks})", list.len()));
    }
    let mut action_ids = Vec::new();
    for block in list {
        let kind = block["type"].as_str().unwrap_or("");
        match kind {
            "section" => {
                if len(&block["text"]["text"]) > 3000 {
                    problems.push(format!(
                        "section text of {} characters",
                        len(&block["text"]["text"])
                    ));
                }
                if text_of(&block["text"]).is_empty() {
                    problems.push("section without text".to_string());
                }
            }
            "context" => {
                let elements = block["elements"].as_array().map_or(0, |e| e.len());
                if elements == 0 || elements > 10 {
                    problems.push(format!("context with {elements} elements"));
                }
                for e in block["elements"].as_array().into_iter().flatten() {
                    if len(&e["text"]) > 3000 {
                        problems.push("context element over 3000".to_string());
                    }
                }
            }
            "actions" => {
                let elements = block["elements"].as_array().cloned().unwrap_or_default();
                if elements.is_empty() || elements.len() > 25 {
                    problems.push(format!("actions with {} elements", elements.len()));
                }
                for e in &elements {
                    if len(&e["text"]["text"]) > 75 {
                        problems.push(format!("button text {:?} over 75", text_of(&e["text"])));
                    }
                    if len(&e["action_id"]) > 255 {
                        problems.push("action_id over 255".to_string());
                    }
                    if len(&e["value"]) > 2000 {
                        problems.push("button value over 2000".to_string());
                    }
                    if len(&e["url"]) > 3000 {
                        problems.push("button url over 3000".to_string());
                    }
                    if let Some(id) = e["action_id"].as_str() {
                        if action_ids.contains(&id.to_string()) {
                            problems.push(format!("duplicate action_id {id}"));
                        }
                        action_ids.push(id.to_string());
                    }
                }
            }
            "divider" => {}
            "header" => {
                if len(&block["text"]["text"]) > 150 {
                    problems.push("header over 150".to_string());
                }
            }
            "input" => {
                if len(&block["label"]["text"]) > 2000 {
                    problems.push("input label over 2000".to_string());
                }
                let element = &block["element"];
                let max = element["max_length"].as_u64().unwrap_or(3000);
                if max > 3000 || max == 0 {
                    problems.push(format!("plain_text_input max_length {max}"));
                }
                if len(&element["initial_value"]) as u64 > max {
                    problems.push("initial_value longer than max_length".to_string());
                }
            }
            other => problems.push(format!("block type {other:?} is not one Amplifier sends")),
        }
    }
    problems
}

/// Problems with a modal view.
pub fn check_view(view: &Value) -> Vec<String> {
    let mut problems = check_blocks(&view["blocks"], 100);
    for key in ["title", "submit", "close"] {
        if len(&view[key]["text"]) > 24 {
            problems.push(format!("view {key} over 24 characters"));
        }
    }
    if len(&view["title"]["text"]) == 0 && view["type"] != "home" {
        problems.push("view without a title".to_string());
    }
    if len(&view["callback_id"]) > 255 {
        problems.push("callback_id over 255".to_string());
    }
    problems
}

/// Every text Slack would read as mrkdwn (where `<!channel>` or `<@U…>` would ping): the `text` argument and
/// every `mrkdwn` text object. Plain text (button labels, titles, an input's initial value) never pings.
pub fn mrkdwn(args: &Value) -> String {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if map.get("type").and_then(Value::as_str) == Some("mrkdwn") {
                    out.extend(map.get("text").and_then(Value::as_str).map(str::to_string));
                }
                for value in map.values() {
                    walk(value, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out: Vec<String> = args["text"]
        .as_str()
        .map(str::to_string)
        .into_iter()
        .collect();
    for key in ["blocks", "view"] {
        match &args[key] {
            Value::String(s) => walk(&serde_json::from_str(s).unwrap_or(Value::Null), &mut out),
            other => walk(other, &mut out),
        }
    }
    out.join("\n")
}

/// Broadcast mentions in mrkdwn text (see [`mrkdwn`]).
pub fn broadcasts(payload: &str) -> Vec<String> {
    BROADCASTS
        .iter()
        .filter(|b| payload.contains(*b))
        .map(|b| format!("the request carries {b}…>, which the bot never means to send"))
        .collect()
}

/// User mentions (`<@U…>`) in the payload, for tests to compare with the ones the bot meant.
pub fn user_mentions(payload: &str) -> Vec<String> {
    payload
        .match_indices("<@")
        .filter_map(|(i, _)| {
            let rest = &payload[i + 2..];
            let end = rest.find(['>', '|'])?;
            Some(rest[..end].to_string())
        })
        .collect()
}
