//! Checks request bodies against Discord's official OpenAPI spec (`tests/data/platform-specs/openapi.json`, loaded
//! at test time): the JSON Schema keywords that spec uses (`$ref`, `type`, `const`, `enum`, `properties`, `required`,
//! `additionalProperties`, `items`, `oneOf`/`anyOf`/`allOf`, lengths, counts, bounds). `format` and the two
//! `pattern`s are not checked.

use serde_json::Value;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The spec, parsed once per test binary, from this repository's copy (`tests/data/platform-specs/`).
pub fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/platform-specs/openapi.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "the fake Discord needs Discord's OpenAPI spec at {}: {e}",
                path.display()
            )
        });
        serde_json::from_str(&text).expect("openapi.json is JSON")
    })
}

/// The request-body schema of `method path`, matching the spec's path templates (most literal segments win).
pub fn request_schema(method: &str, path: &str) -> Option<&'static Value> {
    operation(method, path)?.pointer("/requestBody/content/application~1json/schema")
}

/// Whether the spec has `method path` at all (for requests without a body).
pub fn has_route(method: &str, path: &str) -> bool {
    operation(method, path).is_some()
}

/// The spec's operation for `method path`.
fn operation(method: &str, path: &str) -> Option<&'static Value> {
    let paths = spec()["paths"].as_object()?;
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut best: Option<(usize, &Value)> = None;
    for (template, item) in paths {
        let parts: Vec<&str> = template.trim_matches('/').split('/').collect();
        if parts.len() != segments.len() {
            continue;
        }
        let mut literal = 0;
        let fits = parts.iter().zip(&segments).all(|(t, s)| {
            if t.starts_with('{') {
                true
            } else {
                literal += 1;
                t == s
            }
        });
        if fits && best.is_none_or(|(n, _)| literal > n) {
            best = Some((literal, item));
        }
    }
    best?.1.get(method.to_lowercase())
}

/// Every way `value` breaks `schema`, with JSON paths.
pub fn validate(schema: &Value, value: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(schema, value, "$", &mut errors);
    errors
}

fn resolve(schema: &Value) -> &Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(
            spec()
                .pointer(r.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("unresolvable $ref {r}")),
        ),
        None => schema,
    }
}

fn type_fits(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => true,
    }
}

fn check(schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let s = resolve(schema);
    if let Some(types) = s.get("type") {
        let fits = match types {
            Value::String(t) => type_fits(t, v),
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).any(|t| type_fits(t, v)),
            _ => true,
        };
        if !fits {
            errors.push(format!("{at}: {v} is not of type {types}"));
            return;
        }
    }
    if let Some(c) = s.get("const") {
        if c != v {
            errors.push(format!("{at}: {v} is not {c}"));
        }
    }
    if let Some(options) = s.get("enum").and_then(Value::as_array) {
        if !options.contains(v) {
            errors.push(format!("{at}: {v} is not one of {options:?}"));
        }
    }
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for sub in all {
            check(sub, v, at, errors);
        }
    }
    for (key, exactly_one) in [("anyOf", false), ("oneOf", true)] {
        if let Some(options) = s.get(key).and_then(Value::as_array) {
            let fitting = options.iter().filter(|o| validate(o, v).is_empty()).count();
            if fitting == 0 || (exactly_one && fitting > 1) {
                // Name the closest option's errors so a failure says what to fix.
                let closest = options
                    .iter()
                    .map(|o| validate(o, v))
                    .min_by_key(Vec::len)
                    .unwrap_or_default();
                errors.push(format!(
                    "{at}: fits {fitting} of the {key} options; closest: {closest:?}"
                ));
            }
        }
    }
    match v {
        Value::String(text) => {
            let n = text.chars().count() as u64;
            if s.get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| n > m)
            {
                errors.push(format!(
                    "{at}: {n} characters, more than maxLength {}",
                    s["maxLength"]
                ));
            }
            if s.get("minLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| n < m)
            {
                errors.push(format!(
                    "{at}: {n} characters, fewer than minLength {}",
                    s["minLength"]
                ));
            }
        }
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(0.0);
            if s.get("minimum")
                .and_then(Value::as_f64)
                .is_some_and(|m| f < m)
            {
                errors.push(format!("{at}: {n} below minimum {}", s["minimum"]));
            }
            if s.get("maximum")
                .and_then(Value::as_f64)
                .is_some_and(|m| f > m)
            {
                errors.push(format!("{at}: {n} above maximum {}", s["maximum"]));
            }
        }
        Value::Array(items) => {
            let n = items.len() as u64;
            if s.get("maxItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| n > m)
            {
                errors.push(format!(
                    "{at}: {n} items, more than maxItems {}",
                    s["maxItems"]
                ));
            }
            if s.get("minItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| n < m)
            {
                errors.push(format!(
                    "{at}: {n} items, fewer than minItems {}",
                    s["minItems"]
                ));
            }
            if s.get("uniqueItems") == Some(&Value::Bool(true)) {
                for (i, item) in items.iter().enumerate() {
                    if items[..i].contains(item) {
                        errors.push(format!("{at}[{i}]: duplicate item {item}"));
                    }
                }
            }
            if let Some(item_schema) = s.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(item_schema, item, &format!("{at}[{i}]"), errors);
                }
            }
        }
        Value::Object(map) => {
            let props = s.get("properties").and_then(Value::as_object);
            if let Some(required) = s.get("required").and_then(Value::as_array) {
                for key in required.iter().filter_map(Value::as_str) {
                    if !map.contains_key(key) {
                        errors.push(format!("{at}: missing required {key}"));
                    }
                }
            }
            let n = map.len() as u64;
            if s.get("maxProperties")
                .and_then(Value::as_u64)
                .is_some_and(|m| n > m)
            {
                errors.push(format!(
                    "{at}: {n} properties, more than {}",
                    s["maxProperties"]
                ));
            }
            for (key, value) in map {
                let path = format!("{at}.{key}");
                match props.and_then(|p| p.get(key)) {
                    Some(sub) => check(sub, value, &path, errors),
                    None => match s.get("additionalProperties") {
                        Some(Value::Bool(false)) => {
                            errors.push(format!("{path}: not a property the spec allows"))
                        }
                        Some(sub @ Value::Object(_)) => check(sub, value, &path, errors),
                        _ => {}
                    },
                }
            }
        }
        _ => {}
    }
}
