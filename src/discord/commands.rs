//! The `/amplify` slash command and the "Draft an insight" message command: their definitions
//! (`bots/discord/commands.json`, compiled in), idempotent registration, and flattening an invocation back into
//! the command text the neutral grammar in `chat::command` reads.

use super::rest::{NoAnswer, Rest};
use reqwest::Method;
use serde_json::Value;

/// The definitions Discord gets, exactly as in `bots/discord/commands.json`.
pub const COMMANDS_JSON: &str = include_str!("../../bots/discord/commands.json");
/// The message context command's name (as Discord shows it in the Apps menu).
pub const DRAFT_FROM_MESSAGE: &str = "Draft an insight";
/// Options whose name is part of the grammar (`pause until DATE`), not only their value.
const KEYWORD_OPTIONS: &[&str] = &["until"];

/// Registers the commands globally, with `contexts` (servers, and the bot's DM for `/amplify`, where leaders
/// answer their question: commands registered in a server never show there), then clears what earlier
/// versions registered in each of `guilds` (a server would show both). Bulk overwrites (`PUT`): running it at
/// every start changes nothing when nothing changed. Discord may take a few minutes to show a changed global
/// command.
pub async fn register(
    rest: &Rest,
    application_id: &str,
    guilds: &[&str],
) -> Result<(), RegisterError> {
    let body: Value = serde_json::from_str(COMMANDS_JSON).map_err(RegisterError::Definitions)?;
    put(
        rest,
        &format!("/applications/{application_id}/commands"),
        &body,
    )
    .await?;
    for guild in guilds {
        put(
            rest,
            &format!("/applications/{application_id}/guilds/{guild}/commands"),
            &Value::Array(Vec::new()),
        )
        .await?;
    }
    Ok(())
}

/// Why the commands could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("bots/discord/commands.json is not valid JSON")]
    Definitions(#[source] serde_json::Error),
    #[error(transparent)]
    NoAnswer(#[from] NoAnswer),
    #[error(
        "registering the Discord commands failed: {0}; check discord.application_id and that the bot was \
         invited with the applications.commands scope"
    )]
    Refused(String),
}

async fn put(rest: &Rest, path: &str, body: &Value) -> Result<(), RegisterError> {
    let answer = rest.call(Method::PUT, path, Some(body)).await?;
    if answer.ok() {
        Ok(())
    } else {
        Err(RegisterError::Refused(answer.describe()))
    }
}

/// The command text of a slash-command invocation's `data`: subcommand (group) names, then option values in
/// order; user, role and channel options as mentions (`<@ID>`, `<@&ID>`, `<#ID>`) as the grammar expects.
pub fn flatten(data: &Value) -> String {
    let mut words = Vec::new();
    collect(
        data["options"].as_array().map(Vec::as_slice).unwrap_or(&[]),
        &mut words,
    );
    words.join(" ")
}

fn collect(options: &[Value], words: &mut Vec<String>) {
    for option in options {
        let name = option["name"].as_str().unwrap_or_default();
        match option["type"].as_u64() {
            // Subcommand, subcommand group.
            Some(1) | Some(2) => {
                words.push(name.to_string());
                collect(
                    option["options"]
                        .as_array()
                        .map(Vec::as_slice)
                        .unwrap_or(&[]),
                    words,
                );
            }
            Some(kind) => {
                let value = match &option["value"] {
                    Value::String(s) => s.trim().to_string(),
                    Value::Null => continue,
                    other => other.to_string(),
                };
                if KEYWORD_OPTIONS.contains(&name) {
                    words.push(name.to_string());
                }
                words.push(match kind {
                    6 => format!("<@{value}>"),
                    8 => format!("<@&{value}>"),
                    7 => format!("<#{value}>"),
                    _ => value,
                });
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_definitions_hold_the_command_and_the_message_command() {
        let defs: Value = serde_json::from_str(COMMANDS_JSON).unwrap();
        let names: Vec<&str> = defs
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["amplify", DRAFT_FROM_MESSAGE]);
        assert_eq!(defs[1]["type"], 3);
        assert!(defs[0]["options"].as_array().unwrap().len() <= 25);
    }

    /// The grammar, Discord's definitions and Slack's usage hint cannot drift: every command word is a
    /// subcommand of `/amplify` on Discord (flattening back into that word) and named in Slack's hint.
    #[test]
    fn every_word_of_the_grammar_is_reachable_on_every_platform() {
        let defs: Value = serde_json::from_str(COMMANDS_JSON).unwrap();
        let subcommands: Vec<&str> = defs[0]["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        let manifest: Value =
            serde_json::from_str(include_str!("../../bots/slack/manifest.json")).unwrap();
        let hint = manifest["features"]["slash_commands"][0]["usage_hint"]
            .as_str()
            .unwrap();
        for verb in crate::chat::command::VERBS {
            assert!(
                subcommands.contains(verb),
                "/amplify {verb} is missing from bots/discord/commands.json"
            );
            let pressed =
                json!({"name": "amplify", "options": [{"type": 1, "name": verb, "options": []}]});
            assert_eq!(flatten(&pressed), *verb);
            assert!(
                hint.split('|')
                    .any(|w| w.split_whitespace().next() == Some(verb)),
                "{verb} is missing from the Slack manifest's usage hint"
            );
        }
        for sub in &subcommands {
            assert!(
                crate::chat::command::VERBS.contains(sub),
                "{sub} in commands.json is no word of the grammar"
            );
        }
        // The editor takes 3,000 characters; the command's text takes as many.
        let draft = defs[0]["options"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == "draft")
            .unwrap();
        assert_eq!(
            draft["options"][0]["max_length"],
            crate::engine::prompts::INSIGHT_MAX
        );
    }

    #[test]
    fn invocations_flatten_into_the_grammars_words() {
        let pause = json!({"name": "amplify", "options": [
            {"type": 1, "name": "pause", "options": [{"type": 3, "name": "until", "value": "Dec 24"}]}]});
        assert_eq!(flatten(&pause), "pause until Dec 24");
        let tz = json!({"name": "amplify", "options": [
            {"type": 1, "name": "timezone", "options": [{"type": 3, "name": "zone", "value": " Europe/Berlin "}]}]});
        assert_eq!(flatten(&tz), "timezone Europe/Berlin");
        let status = json!({"name": "amplify", "options": [{"type": 1, "name": "status"}]});
        assert_eq!(flatten(&status), "status");
        let grouped = json!({"name": "amplify", "options": [{"type": 2, "name": "team", "options": [
            {"type": 1, "name": "add", "options": [
                {"type": 3, "name": "role", "value": "leader"},
                {"type": 6, "name": "person", "value": "100000000000000002"},
                {"type": 8, "name": "r", "value": "5"},
                {"type": 7, "name": "c", "value": "7"},
                {"type": 4, "name": "n", "value": 3}]}]}]});
        assert_eq!(
            flatten(&grouped),
            "team add leader <@100000000000000002> <@&5> <#7> 3"
        );
        let args = json!({"name": "amplify", "options": [
            {"type": 1, "name": "team", "options": [{"type": 3, "name": "args", "value": "add leader <@1> to Leadership"}]}]});
        assert_eq!(flatten(&args), "team add leader <@1> to Leadership");
    }
}
