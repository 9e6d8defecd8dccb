//! The official Web API spec (`slack_web_openapi_v2.json`), read at test time: each method's argument names and
//! which are required.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Methods the 2020 spec predates, with their arguments (name, required).
const NOT_IN_SPEC: &[(&str, &[(&str, bool)])] = &[("apps.connections.open", &[])];

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub required: bool,
}

/// Where the spec is: `AMPLIFIER_SLACK_SPEC`, or the copy in this repository (`tests/data/platform-specs/`).
pub fn spec_path() -> PathBuf {
    std::env::var_os("AMPLIFIER_SLACK_SPEC")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data/platform-specs/slack_web_openapi_v2.json")
        })
}

/// Every method's arguments (the token travels in the header and is left out).
pub fn methods() -> &'static HashMap<String, Vec<Param>> {
    static SPEC: OnceLock<HashMap<String, Vec<Param>>> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = spec_path();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "the fake Slack checks requests against {}: {e} (set AMPLIFIER_SLACK_SPEC to the file)",
                path.display()
            )
        });
        let spec: serde_json::Value = serde_json::from_str(&text).expect("the Slack spec is JSON");
        let mut methods: HashMap<String, Vec<Param>> = HashMap::new();
        for (path, verbs) in spec["paths"].as_object().expect("spec paths") {
            let name = path.trim_start_matches('/').to_string();
            let params = methods.entry(name).or_default();
            // `views.open` and others are listed under the wrong verb: merge all verbs.
            for op in verbs.as_object().into_iter().flat_map(|o| o.values()) {
                for p in op["parameters"].as_array().into_iter().flatten() {
                    let Some(pname) = p["name"].as_str() else { continue };
                    if pname == "token" || params.iter().any(|q| q.name == pname) {
                        continue;
                    }
                    params.push(Param {
                        name: pname.to_string(),
                        required: p["required"].as_bool().unwrap_or(false),
                    });
                }
            }
        }
        for (name, params) in NOT_IN_SPEC {
            methods.insert(
                name.to_string(),
                params
                    .iter()
                    .map(|(n, r)| Param {
                        name: n.to_string(),
                        required: *r,
                    })
                    .collect(),
            );
        }
        methods
    })
}

/// What is wrong with a call's arguments by the spec: unknown method, unknown or missing arguments.
pub fn check_args(method: &str, args: &serde_json::Map<String, serde_json::Value>) -> Vec<String> {
    let Some(params) = methods().get(method) else {
        return vec![format!("{method} is not a Slack Web API method")];
    };
    let mut problems = Vec::new();
    for name in args.keys() {
        if !params.iter().any(|p| &p.name == name) {
            problems.push(format!("{method}: argument {name} is not in the spec"));
        }
    }
    for p in params.iter().filter(|p| p.required) {
        if !args.contains_key(&p.name) {
            problems.push(format!("{method}: required argument {} is missing", p.name));
        }
    }
    problems
}
